//! The integration tests of `ditto-kernels`, one test binary (`--test kernels`): each file
//! below is a module. One binary instead of one per file links the Burn stack once,
//! which cut the workspace's test build by a large factor (see CHANGELOG).

mod audit;
mod canonical_carry;
mod canonical_kernels;
mod canonical_math;
mod canonical_mode;
mod canonical_ops;
mod common;
mod feature_proof;
mod microbatch;
mod ops_threads;
mod simd_level;
mod strict;
mod training;
mod wgpu;
