//! The `[init]` table: which parameters start from the weights the caller built (fine-tuning)
//! and which are never updated.

use ditto_rng::PathPattern;
use serde::{Deserialize, Serialize};

/// Class: portable (decisions by parameter path). The init policy, per parameter path:
///
/// ```toml
/// [init]
/// keep = ["body"]            # start from the weights the model holds (e.g. pretrained)
/// frozen = ["body.conv1"]    # never updated (no gradient reaches the optimiser)
/// ```
///
/// Patterns are [`PathPattern`]s over Burn's parameter paths (`"fc1.weight"`,
/// `"blocks.0.norm.gamma"`; `*` for any run of characters; a pattern also matches every
/// parameter under a module path). Every other parameter is drawn from the seed
/// (`root/init/<path>`), as by default. The starting weights' fingerprint is recorded in every
/// checkpoint; resuming with other starting weights is refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InitConfig {
    /// Parameters that keep the value the caller's model holds instead of being drawn.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keep: Vec<PathPattern>,
    /// Parameters that are never updated (their gradients are dropped before clipping and the
    /// optimiser, so they also do not count in the global clipping norm).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frozen: Vec<PathPattern>,
}

impl InitConfig {
    /// Class: not applicable. Whether this is the default (every parameter drawn and trained).
    pub fn is_default(&self) -> bool {
        self.keep.is_empty() && self.frozen.is_empty()
    }

    /// Class: portable. Whether `path` is kept.
    pub fn keeps(&self, path: &str) -> bool {
        self.keep.iter().any(|p| p.matches(path))
    }

    /// Class: portable. Whether `path` is frozen.
    pub fn freezes(&self, path: &str) -> bool {
        self.frozen.iter().any(|p| p.matches(path))
    }
}
