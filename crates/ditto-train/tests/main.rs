//! The integration tests of `ditto-train`, one test binary (`--test train`): each file
//! below is a module. One binary instead of one per file links the Burn stack once,
//! which cut the workspace's test build by a large factor (see CHANGELOG).
//! `fuzz.rs` stays a binary of its own: its counting global allocator must not
//! see other tests' allocations.

mod canonical_audit;
mod checkpoint;
mod common;
mod data_sources;
mod faults;
mod half_weights;
mod integrity;
mod lock;
mod predict;
mod records;
mod resume;
mod seeds;
mod strict;
mod task_models;
