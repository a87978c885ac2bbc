//! The integration tests of `ditto-cli`, one test binary (`--test commands`): each file
//! below is a module. One binary links the Burn stack once instead of once per file
//! (ditto-train's 13 test binaries took 2,052 s of compile time, its one binary 265 s:
//! `cargo --timings` on 2 busy cores). A file's tests are named `file::test`.

mod aarch64;
mod attest;
mod canonical;
mod cli;
mod clip;
mod common;
mod data_sources;
mod env_check;
mod export;
mod ops_trace;
mod parallel;
mod pinned;
mod predict;
mod reliability;
mod run_dirs;
mod sweep;
mod unverified;
mod validation;
#[path = "../../ditto-kernels/tests/common/wgpu_probe.rs"]
mod wgpu_probe;
