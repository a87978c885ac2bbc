//! # ditto-rng: the seed tree and portable random streams
//!
//! Class: portable (every item of this crate is, unless its doc says otherwise).
//!
//! Every random draw in ditto comes from an explicit [`Stream`] opened on a [`Seed`] that is
//! derived from the run's root seed by a labelled path. There is no global state: two streams
//! never share anything, so draws never depend on threads, scheduling or creation order.
//!
//! ```
//! use ditto_rng::Seed;
//! let root = Seed::from_u64(0);
//! let mut order = root.derive("data").derive_index(0).stream();
//! let perm = order.permutation(10);
//! let mut dropout = root.derive("dropout").stream();
//! let keep = dropout.bernoulli(0.9).unwrap();
//! # let _ = (perm, keep);
//! ```
//!
//! * [`Seed`]: 256-bit seeds, [`Seed::from_u64`], [`Seed::derive`], [`Seed::derive_index`].
//! * [`Stream`]: ChaCha12 with a serde-serialisable [`StreamState`]; portable samplers for
//!   integers, uniform and normal floats, truncated normal, Bernoulli and permutations.
//! * [`Init`]: Burn's initialisers drawn on the host, and [`reinit`] to re-initialise every
//!   parameter of a Burn module keyed by its path.
//!
//! The stability promise (which outputs can change, and when) is in the workspace's
//! `REPRODUCIBILITY.md`; every sampler has a `value_stability` golden test.

mod error;
mod init;
mod int;
mod keep;
mod module;
mod normal;
mod seed;
mod shuffle;
mod stream;
mod tensor;
mod uniform;

pub use error::{Error, ErrorKind};
pub use init::{Fans, Init};
pub use keep::{KeepPaths, PathPattern};
pub use module::{BurnDefaults, InitRule, ParamInfo, param_infos, reinit};
pub use seed::Seed;
pub use stream::{Stream, StreamState};
pub use tensor::tensor_from_f32;
