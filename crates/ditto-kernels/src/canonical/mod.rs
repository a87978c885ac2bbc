//! # Canonical kernels
//!
//! Class: portable (canonical): every kernel here computes one specified sequence of IEEE
//! operations per output element, written down in `crates/ditto-kernels/CANONICAL.md`, so
//! its bits do not depend on the thread count, the instruction set (scalar, AVX2+FMA,
//! AVX-512, NEON) or the machine, and a GPU implementation of the same sequence matches them.
//!
//! Plain functions over slices with explicit shapes; one op family per module:
//!
//! * [`matmul`]: FMA chains over `k` ascending (batched and strided forms).
//! * [`reduce`]: sums and means in a fixed blocked order; order-free max, min, arg-max/min.
//! * [`carry`]: those sums fed in pieces (micro-batches), with the same bits.
//! * [`math`]: `exp`, `ln`, `tanh`, `sigmoid`, `erf`, `gelu`, `softplus`, `powf`.
//! * [`softmax`]: softmax, log-softmax, cross-entropy, layer norm as compositions.
//! * [`conv`]: conv2d as im2col + canonical matmul; max and average pooling.
//! * [`conv_backward`]: conv2d's weight, bias and input gradients.
//! * [`elementwise`]: division, reciprocal, sqrt, remainder, `log1p`, integer powers,
//!   ordered products and running sums.
//! * [`pool`]: max pooling with indices and its gradient; adaptive average pooling.
//! * [`fma`]: the fused multiply-add (hardware, or the software reference).
//! * [`scatter`]: index-add / scatter-add in ascending source order.
//! * [`simd`]: the instruction-set switch ([`Isa`], [`SimdLevel`]: `DITTO_SIMD=off` forces the
//!   scalar path; an unknown value is an error, never "best").
//!
//! Shape mismatches return an [`Error`]; kernels never panic on user input.

pub mod carry;
pub mod conv;
pub mod conv_backward;
mod conv_weight;
pub mod elementwise;
mod error;
pub mod fma;
mod im2col;
#[cfg(test)]
mod isa_agreement;
pub mod math;
pub mod matmul;
pub mod pool;
pub mod reduce;
pub mod scatter;
pub mod simd;
pub mod softmax;
mod window;

pub use error::{Error, ErrorKind};
pub use simd::{Isa, SimdLevel};

/// Class: not applicable (a version number). The version of the canonical specification
/// (`crates/ditto-kernels/CANONICAL.md`) that these kernels implement. It changes whenever a
/// canonical kernel's bits change for some input (a new operation order, another constant,
/// another NaN or signed-zero rule, an op moved to or from the canonical path), and only
/// then: two builds with the same value give canonical mode the same bits. Every run records
/// it (`ditto_train::Provenance::canonical_spec_version`), and `ditto env --check` reports a
/// difference as one canonical mode does not promise identity across. A change is a
/// "Reproducibility-breaking" CHANGELOG entry, like the pinned fingerprints it moves.
pub const CANONICAL_SPEC_VERSION: u32 = 1;
