//! The file-backed data sources of the `[data]` table, IDX and CSV, with each file's content
//! pin.

use std::path::{Path, PathBuf};

use ditto_data::{FilePin, Sha256Digest, csv::LabelColumn};
use serde::{Deserialize, Serialize};

/// Class: portable. A data file: its path and, once a run has read it, the SHA-256 and length
/// of its bytes on disk.
///
/// In TOML a plain path (`"data/train.csv"`) or a table with the pin
/// (`{ path = "...", sha256 = "...", bytes = 123 }`). A pin written by hand is checked like a
/// recorded one: a file whose bytes differ is refused before training.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawFile", into = "RawFile")]
pub struct DataFile {
    /// Where the file is; a relative path is relative to the config file's directory (see
    /// [`crate::TrainConfig::from_file`]).
    pub path: PathBuf,
    /// What the file held when the run read it.
    pub pin: Option<FilePin>,
}

/// Class: portable. IDX image and label files (the MNIST format, raw or gzip).
///
/// ```toml
/// [data]
/// source = "idx"
/// train_images = "mnist/train-images-idx3-ubyte.gz"
/// train_labels = "mnist/train-labels-idx1-ubyte.gz"
/// test_images = "mnist/t10k-images-idx3-ubyte.gz"   # optional, with test_labels;
/// test_labels = "mnist/t10k-labels-idx1-ubyte.gz"   # without them test_fraction splits
/// pixel_max = 255
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct IdxSource {
    /// Training images: `[samples, height, width]` (or `[samples, features]`).
    pub train_images: DataFile,
    /// Training labels: `[samples]`, integers.
    pub train_labels: DataFile,
    /// Test images and labels; `None`: `data.test_fraction` of the training files is held out.
    pub test: Option<(DataFile, DataFile)>,
    /// The class count; `None`: one more than the largest label.
    pub classes: Option<u32>,
    /// Every feature is divided by this.
    pub pixel_max: f32,
}

/// Class: portable. A CSV file (RFC 4180 quoting): one sample per row, numeric features, one
/// column the label, integers or text.
///
/// ```toml
/// [data]
/// source = "csv"
/// path = "iris.csv"
/// label = "species"          # a column name (needs header = true) or an index from 0
/// header = true              # required: whether the first row names the columns
/// # test_path = "iris-test.csv"   # optional; without it test_fraction splits
/// # class_names = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
/// ```
///
/// Text labels map to classes in the sorted byte order of the distinct labels of `path` and
/// `test_path` together, and the run records that list as `class_names`; a list given (by
/// hand, or recorded by an earlier run) is the mapping instead (see `ditto_data::csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct CsvSource {
    /// The samples.
    pub path: DataFile,
    /// Test samples in the same layout; `None`: `data.test_fraction` of `path` is held out.
    pub test_path: Option<DataFile>,
    /// The label column.
    pub label: LabelColumn,
    /// Whether the first row names the columns.
    pub header: bool,
    /// The class count; `None`: one more than the largest integer label, or the number of
    /// class names.
    pub classes: Option<u32>,
    /// The class of each label text, by position. `None` in a config: integer labels are
    /// class ids, text labels map in sorted byte order, and a run records the names it
    /// used ([`crate::TrainData::source`]). `Some`: the mapping; a label not in it is refused.
    pub class_names: Option<Vec<String>>,
    /// Every feature is divided by this.
    pub pixel_max: f32,
}

impl DataFile {
    /// Class: not applicable. A file not yet pinned.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            pin: None,
        }
    }

    /// A relative path made relative to `base` instead of the working directory (and
    /// canonical when the file exists, so that the recorded path has no `..`).
    pub(crate) fn resolve(&mut self, base: &Path) {
        if self.path.is_relative() {
            let joined = base.join(&self.path);
            self.path = std::fs::canonicalize(&joined).unwrap_or(joined);
        }
    }

    /// The same file name in `dir`.
    pub(crate) fn relocate(&mut self, dir: &Path) {
        if let Some(name) = self.path.file_name() {
            self.path = dir.join(name);
        }
    }
}

impl IdxSource {
    /// Class: not applicable. Training files only (the test set split off by
    /// `test_fraction`), classes inferred, pixels divided by 255.
    pub fn new(train_images: impl Into<PathBuf>, train_labels: impl Into<PathBuf>) -> Self {
        Self {
            train_images: DataFile::new(train_images),
            train_labels: DataFile::new(train_labels),
            test: None,
            classes: None,
            pixel_max: 255.0,
        }
    }
}

impl CsvSource {
    /// Class: not applicable. Label in column 0, no header, the test set split off by
    /// `test_fraction`, classes and their names inferred, features kept as they are.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: DataFile::new(path),
            test_path: None,
            label: LabelColumn::default(),
            header: false,
            classes: None,
            class_names: None,
            pixel_max: 1.0,
        }
    }
}

impl CsvSource {
    /// Class names that are not empty, not repeated and as many as `classes`, or the field
    /// at fault and why.
    pub(crate) fn check_class_names(&self) -> Result<(), (&'static str, String)> {
        let Some(names) = &self.class_names else {
            return Ok(());
        };
        let mut seen = std::collections::BTreeSet::new();
        if let Some(n) = names.iter().find(|n| !seen.insert(n.as_str())) {
            return Err(("class_names", format!("{n:?} is named twice")));
        }
        if names.is_empty() {
            return Err(("class_names", "is empty".into()));
        }
        match self.classes {
            Some(c) if c as usize != names.len() => Err((
                "classes",
                format!("{c}, but class_names has {} names", names.len()),
            )),
            _ => Ok(()),
        }
    }
}

/// A file as written: a path, or a table with the path and its pin.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum RawFile {
    Path(PathBuf),
    Pinned(PinnedFile),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinnedFile {
    path: PathBuf,
    sha256: Sha256Digest,
    bytes: u64,
}

impl From<RawFile> for DataFile {
    fn from(raw: RawFile) -> Self {
        match raw {
            RawFile::Path(path) => Self { path, pin: None },
            RawFile::Pinned(PinnedFile {
                path,
                sha256,
                bytes,
            }) => Self {
                path,
                pin: Some(FilePin { sha256, bytes }),
            },
        }
    }
}

impl From<DataFile> for RawFile {
    fn from(f: DataFile) -> Self {
        match f.pin {
            None => RawFile::Path(f.path),
            Some(FilePin { sha256, bytes }) => RawFile::Pinned(PinnedFile {
                path: f.path,
                sha256,
                bytes,
            }),
        }
    }
}
