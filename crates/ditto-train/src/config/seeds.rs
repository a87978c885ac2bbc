//! The `[seeds]` table: a seed of its own for one source of randomness, so that a sweep can
//! vary the initialisation, the data order, dropout, augmentation or the split one at a time.

use serde::{Deserialize, Serialize};

/// Class: portable (a function of the seeds it names). Per-source seed overrides:
///
/// ```toml
/// seed = 0
///
/// [seeds]
/// init = 3         # the initial weights of the run whose seed is 3
/// data_order = 7   # the sample order of the run whose seed is 7
/// ```
///
/// Each field set to `s` takes its branch of the seed tree from `Seed::from_u64(s)` instead of
/// the root seed: `init = 3` gives the initial weights of a run with `seed = 3`, whatever
/// `seed` is. Unset fields (the default) derive from the root seed exactly as without the
/// table, so a config without `[seeds]` trains the same bits as before it existed, and the
/// table is written into a run's `config.toml` only when a field is set (REPRODUCIBILITY.md,
/// "The seed tree of a run").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedsConfig {
    /// Parameter initialisation (`init/<parameter path>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<u64>,
    /// The sample order of every epoch (`data/<epoch>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_order: Option<u64>,
    /// The backend's random ops: dropout masks (`backend`, the decorator's `RngState`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropout: Option<u64>,
    /// Data augmentation draws (`augment/<epoch>/<sample>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub augment: Option<u64>,
    /// The train/test split of data without its own test set (`split`) and the validation
    /// hold-out (`valid/split`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split: Option<u64>,
}

impl SeedsConfig {
    /// Class: not applicable. Whether no source has a seed of its own (every branch derives
    /// from the root seed).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}
