//! # ditto-data: the same batches every time
//!
//! Class: portable (each item's own doc gives its class).
//!
//! Datasets and a loader whose batch order is a pure function of (seed, epoch, position):
//!
//! * [`Dataset`]: ditto's own trait (`len`, `get`), which the loader needs to be `Send +
//!   Sync` with a `Send` item and nothing else. Burn's `Dataset<I>` also requires `I: Clone +
//!   Debug + Sync` and comes with a loader that shuffles with `StdRng` (neither portable nor
//!   saveable) and whose worker threads reorder batches. [`InMemory`] implements both traits,
//!   so it also feeds Burn's tooling; `benches/loader.rs` compares the two loaders.
//! * [`InMemory`]: features and labels held in memory; [`idx`] reads IDX files (raw or gzip),
//!   [`csv`] CSV (quoted fields, integer or text labels); [`read_pinned`] reads a file with its SHA-256 ([`FilePin`]) and
//!   refuses one whose content changed.
//! * [`Loader`]: per-epoch shuffle from `seed.derive("data").derive_index(epoch)`, sharding,
//!   drop-last or keep-last, N worker threads with in-order output, and a serde
//!   [`LoaderState`].
//!
//! **Sharding rule.** Each epoch's permutation `p` of `0..n` is cut into `world` shards: rank
//! `r` takes positions `r, r + world, r + 2*world, ...` of `p`. When `n` is not a multiple of
//! `world` the permutation is padded by repeating its first `world - n % world` entries, so
//! every rank gets `ceil(n / world)` samples (the padding rule of PyTorch's
//! `DistributedSampler`).

mod augment;
mod batcher;
pub mod bundled;
pub mod csv;
mod dataset;
mod error;
pub mod idx;
mod loader;
mod pin;
mod split;

pub use augment::{Augmentation, Augmenter, Transform};
pub use batcher::{SampleBatcher, TensorBatch};
pub use dataset::{Dataset, InMemory, Sample, VecDataset};
pub use error::{Error, ErrorKind};
pub use loader::{Batch, EpochIter, Loader, LoaderConfig, LoaderState, epoch_indices};
pub use pin::{FilePin, Sha256Digest, read_pinned};
pub use split::{Subset, split};
