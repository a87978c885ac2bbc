//! Shared by the integrity and fault-injection tests: the version-1 fixture and in-process
//! training to a step.

#![allow(dead_code)]

pub mod python;

use std::path::{Path, PathBuf};

use burn::backend::NdArray;
use ditto_train::{Checkpoint, ReadOptions, TrainConfig, TrainData, Trainer};

/// The fixture's fingerprint at step 5 (canonical mode: the same on every CPU).
pub const STEP5: &str = "780bd3473a78675fe49bee675e758d9913b85548fcc8d647d3bb0322b5e249a5";
/// The fixture resumed to step 10 (see `fixtures/README.md`). The canonical kernels changed
/// after the fixture was written (0.1 Unreleased, Reproducibility-breaking), so this is no
/// longer the bits of a fresh 10-step run; resuming the fixture or its version-2 re-encoding
/// must give exactly these.
pub const STEP10: &str = "54bb8536036b093cfc3039f12c16a00e5902e142af1481ad3719afeb8a838a9b";

pub fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-digits-mlp-step5.safetensors")
}

pub fn fixture_bytes() -> Vec<u8> {
    std::fs::read(fixture_path()).unwrap()
}

/// The reader options that load version-1 files (the fixture has no header hash).
pub fn v1() -> ReadOptions {
    ReadOptions::allowing_unverified_header()
}

/// The fixture, loaded explicitly as a version-1 file.
pub fn fixture() -> Checkpoint {
    Checkpoint::from_bytes_with(&fixture_bytes(), None, v1())
        .unwrap()
        .0
}

/// The config stored in a checkpoint.
pub fn config_of(ck: &Checkpoint) -> TrainConfig {
    ck.run_state().unwrap().config
}

/// Trains `cfg` in `out` (resuming from `resume`) to its end; returns the final fingerprint.
pub fn run(cfg: &TrainConfig, resume: Option<&Checkpoint>, out: &Path) -> String {
    let data = TrainData::bundled(cfg).unwrap();
    let mut t = Trainer::new(cfg.clone()).unwrap().out(out);
    if let Some(ck) = resume {
        t = t.from_checkpoint(ck.clone());
    }
    t.fit_bundled::<NdArray>(&data, &Default::default())
        .unwrap()
        .fingerprint
}
