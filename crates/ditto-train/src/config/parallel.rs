//! `[parallel]`: how a step's batch is cut into micro-batches over peers.

use serde::{Deserialize, Serialize};

/// Class: portable in canonical mode (every `peers` and `accumulate` give the bits of
/// `1 x 1`; `crates/ditto-kernels/CANONICAL.md`, "Micro-batches and peers"). How a step's
/// batch is cut: into `peers * accumulate` contiguous micro-batches by sample position (sizes
/// differ by at most one), `accumulate` per peer; peers are threads sharing the cores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParallelConfig {
    /// Data-parallel peers (threads; each gets an equal share of the run's threads).
    pub peers: usize,
    /// Micro-batches per peer per step (gradient accumulation).
    pub accumulate: usize,
}

impl Default for ParallelConfig {
    fn default() -> Self {
        Self {
            peers: 1,
            accumulate: 1,
        }
    }
}

impl ParallelConfig {
    /// Class: not applicable. Micro-batches per step: `peers * accumulate`.
    pub fn micro_batches(&self) -> usize {
        self.peers.saturating_mul(self.accumulate)
    }

    /// Class: not applicable. Whether this is one peer with one batch per step.
    pub fn is_single(&self) -> bool {
        self.micro_batches() == 1
    }
}
