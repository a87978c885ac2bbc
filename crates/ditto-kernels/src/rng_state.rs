//! The decorator's random state: how backend random ops draw from the seed tree.

use ditto_rng::{Seed, Stream};
use serde::{Deserialize, Serialize};

/// Class: portable. The state of a device's backend randomness (`float_random`,
/// `int_random`, and so dropout and `Tensor::random`).
///
/// Random op number `k` on the device (counting from 0 since the state was set) fills its
/// tensor, in row-major order, from the stream `seed.derive_index(k)`. The state is therefore
/// just `(seed, calls)`: results depend only on the sequence of random ops and their shapes,
/// never on threads or on the backend, and checkpoints save and restore it exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RngState {
    /// The node of the seed tree the device draws from.
    pub seed: Seed,
    /// How many random ops have been served.
    pub calls: u64,
}

impl RngState {
    /// Class: portable. A fresh state at call 0 of `seed`.
    pub const fn new(seed: Seed) -> Self {
        Self { seed, calls: 0 }
    }

    /// Class: portable. The state that `Backend::seed(device, seed)` installs:
    /// `Seed::from_u64(seed).derive("ditto-kernels/backend")`.
    pub fn from_u64(seed: u64) -> Self {
        Self::new(Seed::from_u64(seed).derive("ditto-kernels/backend"))
    }

    /// The stream for the next op, advancing the call counter.
    pub(crate) fn next_stream(&mut self) -> Stream {
        let s = self.seed.derive_index(self.calls).stream();
        self.calls += 1;
        s
    }
}
