//! The `[data]` table: where the samples come from, how they are split and augmented.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

/// Class: portable. Which data set, and how it is split and augmented.
///
/// In TOML, `source` picks the kind (`bundled` is the default when only `name` is given):
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
    /// Data the caller hands to [`crate::Trainer::fit`] in memory; `name` is recorded.
    InMemory {
        /// What the data is, for the record.
        name: String,
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
    /// Class: not applicable. A short description for reports: `digits`, `memory:<name>`.
    pub fn describe(&self) -> String {
        match self {
            DataSource::Bundled(b) => b.name().to_owned(),
            DataSource::InMemory { name } => format!("memory:{name}"),
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
    InMemory,
}

/// The `[data]` table as written: every key of every source kind, checked by `try_from`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<SourceKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default = "default_fraction")]
    test_fraction: f64,
    #[serde(default = "default_true")]
    stratified: bool,
    #[serde(default)]
    augment: AugmentConfig,
}

fn default_fraction() -> f64 {
    0.2
}

fn default_true() -> bool {
    true
}

impl TryFrom<RawData> for DataConfig {
    type Error = String;

    fn try_from(raw: RawData) -> Result<Self, String> {
        let source = match (raw.source.unwrap_or(SourceKind::Bundled), raw.name) {
            (SourceKind::Bundled, None) => DataSource::Bundled(BundledData::Digits),
            (SourceKind::Bundled, Some(name)) => {
                let b = match name.as_str() {
                    "digits" => BundledData::Digits,
                    "fashion" => BundledData::Fashion,
                    other => {
                        return Err(format!(
                            "data.name: no bundled data set {other:?} (bundled: digits, \
                             fashion; for other data pass your own TrainData to \
                             `Trainer::fit`)"
                        ));
                    }
                };
                DataSource::Bundled(b)
            }
            (SourceKind::InMemory, name) => DataSource::InMemory {
                name: name.unwrap_or_else(|| "unnamed".into()),
            },
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
        let (source, name) = match c.source {
            DataSource::Bundled(b) => (SourceKind::Bundled, b.name().to_owned()),
            DataSource::InMemory { name } => (SourceKind::InMemory, name),
        };
        Self {
            source: Some(source),
            name: Some(name),
            test_fraction: c.test_fraction,
            stratified: c.stratified,
            augment: c.augment,
        }
    }
}
