//! Reading a config's data source: bundled sets, IDX and CSV files, each file pinned by the
//! SHA-256 of its bytes and checked against a recorded pin before any training.

use ditto_data::{FilePin, InMemory, bundled, csv, idx, read_pinned};

use super::{Origin, TrainData};
use crate::config::{BundledData, CsvSource, DataFile, DataSource, IdxSource, TrainConfig};
use crate::error::{Error, ErrorKind};
use crate::seeds::RunSeeds;

impl TrainData {
    /// Class: portable. The data of `config.data.source`: a bundled set, IDX files or a CSV
    /// file. Every file is read once, its bytes pinned (SHA-256 and length) and, when the
    /// config already holds a pin (a recorded run, or one written by hand), checked against
    /// it before anything is parsed. Without test files, `data.test_fraction` of the samples
    /// is held out by `ditto_data::split` from the run's seed. The pins go into the run's
    /// recorded config and every checkpoint ([`TrainData::source`]).
    ///
    /// Errors: [`ErrorKind::DataChanged`] for a file whose bytes differ from its pin (the
    /// message names the file and both hashes); [`ErrorKind::Data`] for a file that is
    /// missing, unreadable or malformed (wrong IDX magic, hostile dimensions, a count
    /// mismatch, a label out of range, a CSV cell that is not a number or a label not among
    /// the class names, with its line and column);
    /// [`ErrorKind::Invalid`] for in-memory sources, which only the program that holds the
    /// data can pass to [`crate::Trainer::fit`].
    pub fn from_config(config: &TrainConfig) -> Result<Self, Error> {
        match &config.data.source {
            DataSource::Bundled(_) => Self::bundled(config),
            DataSource::Idx(s) => {
                let mut pinned = s.clone();
                let sets = load_idx(&mut pinned)?;
                Self::from_sets(sets, config, s.pixel_max, DataSource::Idx(pinned))
            }
            DataSource::Csv(s) => {
                let mut pinned = s.clone();
                let sets = load_csv(&mut pinned)?;
                Self::from_sets(sets, config, s.pixel_max, DataSource::Csv(pinned))
            }
            DataSource::InMemory { name, content } => Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!(
                    "this run trained on in-memory data `{name}`{}: only the program that \
                     holds it can train on it again (build the same TrainData and pass it to \
                     `Trainer::fit`; the content hash is checked)",
                    content.map_or(String::new(), |d| format!(" (content sha256 {d})"))
                ),
            )),
        }
    }

    /// A file source's training set and, if it has its own, test set; without one,
    /// `data.test_fraction` is split off by the run's seed. `source` (with its pins) is
    /// recorded as where the data came from.
    fn from_sets(
        (train, test): (InMemory, Option<InMemory>),
        config: &TrainConfig,
        pixel_max: f32,
        source: DataSource,
    ) -> Result<Self, Error> {
        let c = &config.data;
        let mut d = match test {
            Some(test) => Self::new(train, test, pixel_max)?,
            None => {
                let seed = RunSeeds::of(config).split_root();
                Self::split(train, &seed, c.test_fraction, c.stratified, pixel_max)?
            }
        };
        d.origin = Origin::Config(Box::new(source));
        Ok(d)
    }

    /// Class: portable. The bundled data set of `config.data.source` (compiled into the
    /// binary): `digits` (pixels 0..=16, split by the run's seed) or `fashion` (the
    /// Fashion-MNIST subset's own 6000/1000 split, pixels 0..=255).
    ///
    /// Errors: [`ErrorKind::Invalid`] when the source is not a bundled one (use
    /// [`TrainData::from_config`]).
    pub fn bundled(config: &TrainConfig) -> Result<Self, Error> {
        let data_err = |e: ditto_data::Error| {
            Error::with_source(ErrorKind::Data, None, "reading bundled data", e)
        };
        let mut d = match &config.data.source {
            DataSource::Bundled(BundledData::Digits) => Self::split(
                bundled::embedded_digits().map_err(data_err)?,
                &RunSeeds::of(config).split_root(),
                config.data.test_fraction,
                config.data.stratified,
                16.0,
            )?,
            DataSource::Bundled(BundledData::Fashion) => {
                let (train, test) = bundled::embedded_fashion_subset().map_err(data_err)?;
                Self::new(train, test, 255.0)?
            }
            other => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    None,
                    format!(
                        "data source {} is not bundled: use `TrainData::from_config`",
                        other.describe()
                    ),
                ));
            }
        };
        d.origin = Origin::Config(Box::new(config.data.source.clone()));
        Ok(d)
    }
}

/// Reads `file`, checks it against its pin (if any) and records the pin it has.
fn read(file: &mut DataFile) -> Result<Vec<u8>, Error> {
    let (bytes, pin) = read_pinned(&file.path, file.pin.as_ref()).map_err(data_err)?;
    file.pin = Some(pin);
    Ok(bytes)
}

fn data_err(e: ditto_data::Error) -> Error {
    let kind = match e.kind() {
        ditto_data::ErrorKind::Changed => ErrorKind::DataChanged,
        _ => ErrorKind::Data,
    };
    Error::with_source(kind, None, "reading data", e)
}

/// Reads every file first (so that a changed one is refused before anything is decoded).
fn load_idx(s: &mut IdxSource) -> Result<(InMemory, Option<InMemory>), Error> {
    let ib = read(&mut s.train_images)?;
    let lb = read(&mut s.train_labels)?;
    let test_bytes = match &mut s.test {
        Some((i, l)) => Some((read(i)?, read(l)?)),
        None => None,
    };
    let pair = |ib: &[u8], i: &DataFile, lb: &[u8], l: &DataFile| {
        let img = idx::decode(ib, &i.path).map_err(data_err)?;
        let lab = idx::decode(lb, &l.path).map_err(data_err)?;
        idx::dataset(img, &i.path, lab, &l.path, s.classes).map_err(data_err)
    };
    let train = pair(&ib, &s.train_images, &lb, &s.train_labels)?;
    drop((ib, lb));
    let test = match (&test_bytes, &s.test) {
        (Some((ib, lb)), Some((i, l))) => Some(pair(ib, i, lb, l)?),
        _ => None,
    };
    unify_classes(train, test, s.classes)
}

/// Reads both files first, then parses them together: text labels map to classes over the
/// training and the test file at once. The class names used are recorded in `s`.
fn load_csv(s: &mut CsvSource) -> Result<(InMemory, Option<InMemory>), Error> {
    let tb = read(&mut s.path)?;
    let test_bytes = s.test_path.as_mut().map(read).transpose()?;
    let options = csv::CsvOptions {
        label: s.label.clone(),
        header: s.header,
        classes: s.classes,
        class_names: s.class_names.clone(),
    };
    let mut files = vec![(&tb[..], s.path.path.as_path())];
    if let (Some(b), Some(f)) = (&test_bytes, &s.test_path) {
        files.push((&b[..], f.path.as_path()));
    }
    let data = csv::parse_files(&files, &options).map_err(data_err)?;
    s.class_names = data.class_names;
    let mut sets = data.sets.into_iter();
    match (sets.next(), sets.next()) {
        (Some(train), test) => Ok((train, test)),
        (None, _) => Err(Error::new(ErrorKind::Data, None, "no CSV data")),
    }
}

/// With inferred class counts, the training and test files share the larger one.
fn unify_classes(
    train: InMemory,
    test: Option<InMemory>,
    given: Option<u32>,
) -> Result<(InMemory, Option<InMemory>), Error> {
    let Some(test) = test else {
        return Ok((train, None));
    };
    if given.is_some() || train.classes() == test.classes() {
        return Ok((train, Some(test)));
    }
    let k = train.classes().max(test.classes());
    Ok((
        train.with_classes(k).map_err(data_err)?,
        Some(test.with_classes(k).map_err(data_err)?),
    ))
}

/// Class: portable. Every file of `recorded` whose pin differs from `found`'s file in the
/// same role, as `(role, recorded, found)`.
pub(crate) fn pin_changes(
    recorded: &DataSource,
    found: &DataSource,
) -> Vec<(&'static str, FilePin, Option<FilePin>)> {
    let found_files = found.files();
    recorded
        .files()
        .into_iter()
        .filter_map(|(role, f)| {
            let want = f.pin?;
            let got = found_files
                .iter()
                .find(|(r, _)| *r == role)
                .and_then(|(_, g)| g.pin);
            (got != Some(want)).then_some((role, want, got))
        })
        .collect()
}

/// Class: portable. How `found` maps CSV labels to classes when `recorded` names the mapping
/// (class names written in a config or recorded by a run) and `found` used another one: data
/// read with other class names trains on other labels even from the same files.
pub(crate) fn class_name_change(recorded: &DataSource, found: &DataSource) -> Option<String> {
    let (DataSource::Csv(r), DataSource::Csv(f)) = (recorded, found) else {
        return None;
    };
    let want = r.class_names.as_ref()?;
    let got = match &f.class_names {
        Some(n) if n == want => return None,
        Some(n) => format!("{n:?}"),
        None => "integer labels".to_owned(),
    };
    Some(format!("data.class_names: recorded {want:?}, found {got}"))
}
