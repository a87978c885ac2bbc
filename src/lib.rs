//! Class: not applicable. Holder crate for ditto's workspace-level integration tests
//! (`tests/`) and benchmarks (`benches/`). It has no API of its own.
