//! `DittoConfig`: what the decorator does when an op cannot keep its promise.

use serde::{Deserialize, Serialize};

/// Class: not applicable (configuration). The analogue of PyTorch's
/// `use_deterministic_algorithms`: what happens when an op classed `non-deterministic` for
/// the current backend (see `DETERMINISM.md`) is called.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strict {
    /// Panic with a message naming the op, the backend and the way out. The default: a run
    /// that cannot be reproduced should not start.
    #[default]
    Error,
    /// Log a `tracing` warning once per op and device, then run the op.
    Warn,
    /// Run the op silently.
    Off,
}

/// Class: not applicable (configuration). The decorator's settings for one device.
///
/// Set with [`crate::Ditto::configure`]; read back with [`crate::Ditto::config`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DittoConfig {
    /// Strict mode.
    pub strict: Strict,
}
