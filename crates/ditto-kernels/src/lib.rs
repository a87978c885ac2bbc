//! # ditto-kernels: the `Ditto<B>` backend decorator
//!
//! Class: run-to-run (each item's doc gives its own class; random ops are portable).
//!
//! [`Ditto<B>`] wraps a Burn backend (`Autodiff<Ditto<NdArray>>`, `Autodiff<Ditto<Wgpu>>`)
//! and removes the sources of non-reproducibility that Burn leaves in place: a global,
//! backend-specific RNG (replaced by a ditto-rng stream per device, the same on every backend),
//! atomic full reductions on GPU (replaced by ordered reductions), and silent use of
//! non-deterministic ops (refused by strict mode, [`DittoConfig`]).
//!
//! `crates/ditto-kernels/DETERMINISM.md` classes every Backend op on NdArray and on Wgpu,
//! each claim backed by a test.

mod adapter;
mod audit;
mod backend;
mod build_check;
pub mod canonical;
mod config;
pub mod conformance;
mod context;
mod forward;
mod inner;
mod matmul_isa;
pub mod microbatch;
mod ops;
mod refusal;
mod rng_state;
mod strict;
mod trace;

pub use adapter::GpuAdapter;
pub use audit::{CanonicalClass, OpClass, all_ops, canonical_class, op_class, record_ops};
pub use backend::Ditto;
pub use build_check::{BuildReport, BurnFeature, FeatureError, build_check};
pub use canonical::CANONICAL_SPEC_VERSION;
pub use config::{DittoConfig, KernelMode, OnRefusal, Strict};
pub use inner::{BackendKind, HostF32, Inner};
pub use matmul_isa::MatmulIsa;
pub use refusal::Refusal;
pub use rng_state::RngState;
pub use trace::{
    Divergence, Inherited, Misalignment, OpRecord, TensorRecord, TraceDiff,
    compare as compare_traces, tensor_hash, ulp_distance,
};
