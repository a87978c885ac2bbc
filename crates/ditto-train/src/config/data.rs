//! The `[data]` table: where the samples come from, how they are split and augmented.

use std::path::Path;

use ditto_data::Sha256Digest;
use ditto_data::csv::LabelColumn;
use serde::{Deserialize, Serialize};

use super::source::{CsvSource, DataFile, IdxSource};
use crate::error::{Error, ErrorKind};

/// Class: portable. Which data set, and how it is split and augmented.
///
/// In TOML, `source` picks the kind: `bundled` (the default; `name = "digits"` or
/// `"fashion"`), `idx` ([`IdxSource`]), `csv` ([`CsvSource`]), or `in-memory` (recorded by
/// runs on data passed to [`crate::Trainer::fit`]):
///
/// ```toml
/// [data]
/// source = "bundled"
/// name = "digits"
/// test_fraction = 0.2
/// stratified = true
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawData", into = "RawData")]
pub struct DataConfig {
    /// Where the samples come from.
    pub source: DataSource,
    /// Fraction of the data held out for testing, for sources without their own test split.
    pub test_fraction: f64,
    /// Hold out `test_fraction` of each class (`true`) or of the whole set.
    pub stratified: bool,
    /// Training-time augmentation, keyed by (seed, epoch, sample).
    pub augment: AugmentConfig,
}

/// Class: portable. Where a run's samples come from.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    /// A data set compiled into ditto (`ditto_data::bundled`).
    Bundled(BundledData),
    /// IDX image and label files.
    Idx(IdxSource),
    /// A numeric CSV file.
    Csv(CsvSource),
    /// Data the caller hands to [`crate::Trainer::fit`] in memory; `name` and, once a run
    /// has seen it, the content's SHA-256 ([`crate::TrainData::content_sha256`]) are
    /// recorded.
    InMemory {
        /// What the data is, for the record.
        name: String,
        /// The content's SHA-256.
        content: Option<Sha256Digest>,
    },
}

/// Class: portable. The bundled data sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BundledData {
    /// UCI optical digits (8x8, 1797 samples, pixels 0..=16), split by the run's seed.
    Digits,
    /// The Fashion-MNIST subset (28x28, 6000 train / 1000 test, pixels 0..=255).
    Fashion,
}

/// Class: portable. Image augmentations applied to training samples, in this order: crop,
/// flip, noise (see `ditto_data::Augmenter`). All off by default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AugmentConfig {
    /// Random crop after zero-padding by this many pixels (0: off).
    pub crop_padding: usize,
    /// Random horizontal flip.
    pub flip: bool,
    /// Gaussian noise of this standard deviation, in raw pixel units (0: off).
    pub noise_std: f32,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            source: DataSource::Bundled(BundledData::Digits),
            test_fraction: 0.2,
            stratified: true,
            augment: AugmentConfig::default(),
        }
    }
}

impl BundledData {
    /// Class: not applicable. The name used in configs.
    pub fn name(self) -> &'static str {
        match self {
            BundledData::Digits => "digits",
            BundledData::Fashion => "fashion",
        }
    }
}

impl DataSource {
    /// Class: not applicable. A short description for reports: `digits`, `idx:<file>`,
    /// `csv:<file>`, `memory:<name>`.
    pub fn describe(&self) -> String {
        let name = |f: &DataFile| {
            f.path.file_name().map_or_else(
                || f.path.display().to_string(),
                |n| n.to_string_lossy().into(),
            )
        };
        match self {
            DataSource::Bundled(b) => b.name().to_owned(),
            DataSource::Idx(s) => format!("idx:{}", name(&s.train_images)),
            DataSource::Csv(s) => format!("csv:{}", name(&s.path)),
            DataSource::InMemory { name, .. } => format!("memory:{name}"),
        }
    }

    /// Class: not applicable. The source's files with their roles (`train_images`, `path`,
    /// ...), in the config's order; none for bundled and in-memory data.
    pub fn files(&self) -> Vec<(&'static str, &DataFile)> {
        match self {
            DataSource::Idx(s) => {
                let mut v = vec![
                    ("train_images", &s.train_images),
                    ("train_labels", &s.train_labels),
                ];
                if let Some((i, l)) = &s.test {
                    v.extend([("test_images", i), ("test_labels", l)]);
                }
                v
            }
            DataSource::Csv(s) => {
                let mut v = vec![("path", &s.path)];
                v.extend(s.test_path.as_ref().map(|t| ("test_path", t)));
                v
            }
            DataSource::Bundled(_) | DataSource::InMemory { .. } => Vec::new(),
        }
    }

    fn files_mut(&mut self) -> Vec<&mut DataFile> {
        match self {
            DataSource::Idx(s) => {
                let mut v = vec![&mut s.train_images, &mut s.train_labels];
                if let Some((i, l)) = &mut s.test {
                    v.extend([i, l]);
                }
                v
            }
            DataSource::Csv(s) => {
                let mut v = vec![&mut s.path];
                v.extend(s.test_path.as_mut());
                v
            }
            DataSource::Bundled(_) | DataSource::InMemory { .. } => Vec::new(),
        }
    }

    /// Class: not applicable. Makes relative file paths relative to `base` (a config file's
    /// directory) instead of the working directory.
    pub fn resolve_relative(&mut self, base: &Path) {
        for f in self.files_mut() {
            f.resolve(base);
        }
    }

    /// Class: not applicable. Looks for every file under its own name in `dir` (data that
    /// moved). The pins stay: the content must not have changed.
    pub fn relocate(&mut self, dir: &Path) {
        for f in self.files_mut() {
            f.relocate(dir);
        }
    }
}

impl DataConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let bad = |field: &str, why: String| {
            Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("config `data.{field}`: {why}"),
            ))
        };
        if !(0.0 < self.test_fraction && self.test_fraction < 1.0) {
            return bad(
                "test_fraction",
                format!("{} is not in (0, 1)", self.test_fraction),
            );
        }
        let pixel_max = match &self.source {
            DataSource::Idx(s) => Some(s.pixel_max),
            DataSource::Csv(s) => Some(s.pixel_max),
            DataSource::Bundled(_) | DataSource::InMemory { .. } => None,
        };
        if let Some(p) = pixel_max
            && !(p > 0.0 && p.is_finite())
        {
            return bad("pixel_max", format!("{p} is not a finite value > 0"));
        }
        if let DataSource::Csv(s) = &self.source
            && let Err((field, why)) = s.check_class_names()
        {
            return bad(field, why);
        }
        let noise = self.augment.noise_std;
        if !(noise >= 0.0 && noise.is_finite()) {
            return bad(
                "augment.noise_std",
                format!("{noise} is not a finite value >= 0"),
            );
        }
        Ok(())
    }
}

/// The kinds of `source`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum SourceKind {
    Bundled,
    Idx,
    Csv,
    InMemory,
}

/// The `[data]` table as written: every key of every source kind, checked by `try_from`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<SourceKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content: Option<Sha256Digest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<LabelColumn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    header: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    classes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    class_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pixel_max: Option<f32>,
    #[serde(default = "default_fraction")]
    test_fraction: f64,
    #[serde(default = "default_true")]
    stratified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    train_images: Option<DataFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    train_labels: Option<DataFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    test_images: Option<DataFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    test_labels: Option<DataFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<DataFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    test_path: Option<DataFile>,
    #[serde(default)]
    augment: AugmentConfig,
}

fn default_fraction() -> f64 {
    0.2
}

fn default_true() -> bool {
    true
}

impl RawData {
    /// The keys given that only some source kinds take, by name.
    fn source_keys(&self) -> Vec<&'static str> {
        let given = [
            ("name", self.name.is_some()),
            ("content", self.content.is_some()),
            ("label", self.label.is_some()),
            ("header", self.header.is_some()),
            ("classes", self.classes.is_some()),
            ("class_names", self.class_names.is_some()),
            ("pixel_max", self.pixel_max.is_some()),
            ("train_images", self.train_images.is_some()),
            ("train_labels", self.train_labels.is_some()),
            ("test_images", self.test_images.is_some()),
            ("test_labels", self.test_labels.is_some()),
            ("path", self.path.is_some()),
            ("test_path", self.test_path.is_some()),
        ];
        given.iter().filter(|(_, g)| *g).map(|(k, _)| *k).collect()
    }
}

impl TryFrom<RawData> for DataConfig {
    type Error = String;

    fn try_from(raw: RawData) -> Result<Self, String> {
        let kind = raw.source.unwrap_or(SourceKind::Bundled);
        let (kind_name, allowed): (&str, &[&str]) = match kind {
            SourceKind::Bundled => ("bundled", &["name"]),
            SourceKind::InMemory => ("in-memory", &["name", "content"]),
            SourceKind::Idx => (
                "idx",
                &[
                    "train_images",
                    "train_labels",
                    "test_images",
                    "test_labels",
                    "classes",
                    "pixel_max",
                ],
            ),
            SourceKind::Csv => (
                "csv",
                &[
                    "path",
                    "test_path",
                    "label",
                    "header",
                    "classes",
                    "class_names",
                    "pixel_max",
                ],
            ),
        };
        if let Some(k) = raw.source_keys().iter().find(|k| !allowed.contains(k)) {
            return Err(format!(
                "data.{k}: not a key of source = \"{kind_name}\" (its keys: {})",
                allowed.join(", ")
            ));
        }
        let missing = |k: &str| format!("data.{k}: source = \"{kind_name}\" needs it");
        let source = match kind {
            SourceKind::Bundled => DataSource::Bundled(match raw.name.as_deref() {
                None | Some("digits") => BundledData::Digits,
                Some("fashion") => BundledData::Fashion,
                Some(other) => {
                    return Err(format!(
                        "data.name: no bundled data set {other:?} (bundled: digits, \
                         fashion; for your own files use source = \"idx\" or \"csv\", or pass \
                         your own TrainData to `Trainer::fit`)"
                    ));
                }
            }),
            SourceKind::InMemory => DataSource::InMemory {
                name: raw.name.unwrap_or_else(|| "unnamed".into()),
                content: raw.content,
            },
            SourceKind::Idx => DataSource::Idx(IdxSource {
                train_images: raw.train_images.ok_or_else(|| missing("train_images"))?,
                train_labels: raw.train_labels.ok_or_else(|| missing("train_labels"))?,
                test: match (raw.test_images, raw.test_labels) {
                    (Some(i), Some(l)) => Some((i, l)),
                    (None, None) => None,
                    _ => {
                        return Err("data.test_images and data.test_labels: give both or \
                                    neither"
                            .into());
                    }
                },
                classes: raw.classes,
                pixel_max: raw.pixel_max.unwrap_or(255.0),
            }),
            SourceKind::Csv => DataSource::Csv(CsvSource {
                path: raw.path.ok_or_else(|| missing("path"))?,
                test_path: raw.test_path,
                label: raw.label.unwrap_or_default(),
                header: raw.header.ok_or_else(|| {
                    "data.header: source = \"csv\" needs it, it is never guessed: true when \
                     the first row names the columns, false when it is a sample"
                        .to_owned()
                })?,
                classes: raw.classes,
                class_names: raw.class_names,
                pixel_max: raw.pixel_max.unwrap_or(1.0),
            }),
        };
        Ok(Self {
            source,
            test_fraction: raw.test_fraction,
            stratified: raw.stratified,
            augment: raw.augment,
        })
    }
}

impl From<DataConfig> for RawData {
    fn from(c: DataConfig) -> Self {
        let mut raw = RawData {
            test_fraction: c.test_fraction,
            stratified: c.stratified,
            augment: c.augment,
            ..RawData::default()
        };
        match c.source {
            DataSource::Bundled(b) => {
                raw.source = Some(SourceKind::Bundled);
                raw.name = Some(b.name().to_owned());
            }
            DataSource::InMemory { name, content } => {
                raw.source = Some(SourceKind::InMemory);
                raw.name = Some(name);
                raw.content = content;
            }
            DataSource::Idx(s) => {
                raw.source = Some(SourceKind::Idx);
                raw.train_images = Some(s.train_images);
                raw.train_labels = Some(s.train_labels);
                if let Some((i, l)) = s.test {
                    (raw.test_images, raw.test_labels) = (Some(i), Some(l));
                }
                raw.classes = s.classes;
                raw.pixel_max = Some(s.pixel_max);
            }
            DataSource::Csv(s) => {
                raw.source = Some(SourceKind::Csv);
                raw.path = Some(s.path);
                raw.test_path = s.test_path;
                raw.label = Some(s.label);
                raw.header = Some(s.header);
                raw.classes = s.classes;
                raw.class_names = s.class_names;
                raw.pixel_max = Some(s.pixel_max);
            }
        }
        raw
    }
}
