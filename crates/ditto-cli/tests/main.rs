//! The integration tests of `ditto-cli`, one test binary (`--test commands`): each file
//! below is a module. One binary instead of one per file links the Burn stack once,
//! which cut the workspace's test build by a large factor (see CHANGELOG).

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
