//! The integration tests of `ditto-data`, one test binary (`--test data`): each file
//! below is a module. One binary links the Burn stack once instead of once per file
//! (ditto-train's 13 test binaries took 2,052 s of compile time, its one binary 265 s:
//! `cargo --timings` on 2 busy cores). A file's tests are named `file::test`.
//! `fuzz.rs` stays a binary of its own: its counting global allocator must not
//! see other tests' allocations.

mod errors;
mod loader;
mod overflow_checks;
