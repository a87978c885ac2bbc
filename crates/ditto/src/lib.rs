//! # ditto: the same bits every time
//!
//! Class: portable (this front crate only re-exports; each item's own doc gives its class).
//!
//! ditto makes deep-learning training on [Burn](https://burn.dev) bit-reproducible: the same
//! seed and config give the same trained weights on any run, any thread count, after any
//! resume. This crate re-exports the workspace's crates:
//!
//! * [`rng`] (`ditto-rng`): the seed tree, portable random streams and initialisers.
//! * [`kernels`] (`ditto-kernels`): the [`Ditto`] backend decorator, seeded backend
//!   randomness, ordered reductions, strict mode and the determinism audit.
//! * [`train`] (`ditto-train`): self-describing checkpoints and provenance.
//! * [`data`] (`ditto-data`): datasets and a loader whose batches are a pure function of
//!   (seed, epoch, position) for any worker count, shard and resume point.
//!
//! The reproducibility classes used in every item's doc (`portable`, `run-to-run`,
//! `non-deterministic`) are defined in the repository's `REPRODUCIBILITY.md`.
//!
//! ```
//! use ditto::{Seed, Stream};
//! let mut s: Stream = Seed::from_u64(42).derive("example").stream();
//! let x = s.uniform_f32();
//! assert!((0.0..1.0).contains(&x));
//! ```

pub use ditto_data as data;
pub use ditto_kernels as kernels;
pub use ditto_kernels::{Ditto, DittoConfig, KernelMode, Strict};
pub use ditto_rng as rng;
pub use ditto_rng::{Seed, Stream, StreamState};
pub use ditto_train as train;
