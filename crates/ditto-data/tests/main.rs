//! The integration tests of `ditto-data`, one test binary (`--test data`): each file
//! below is a module. One binary instead of one per file links the Burn stack once,
//! which cut the workspace's test build by a large factor (see CHANGELOG).
//! `fuzz.rs` stays a binary of its own: its counting global allocator must not
//! see other tests' allocations.

mod errors;
mod loader;
mod overflow_checks;
