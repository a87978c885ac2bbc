//! The integration tests of `ditto-kernels`, one test binary (`--test kernels`): each file
//! below is a module. One binary links the Burn stack once instead of once per file
//! (ditto-train's 13 test binaries took 2,052 s of compile time, its one binary 265 s:
//! `cargo --timings` on 2 busy cores). A file's tests are named `file::test`.

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
