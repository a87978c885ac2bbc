//! Shared by the integrity and fault-injection tests: the version-1 fixture and in-process
//! training to a step.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use burn::backend::NdArray;
use ditto_train::{Checkpoint, TrainConfig, TrainData, Trainer};

/// The fixture's fingerprint at step 5 (canonical mode: the same on every CPU).
pub const STEP5: &str = "780bd3473a78675fe49bee675e758d9913b85548fcc8d647d3bb0322b5e249a5";
/// The uninterrupted run's fingerprint at step 10 (see `fixtures/README.md`).
pub const STEP10: &str = "612d7d1c2a3d04f1f5d3386877bb13615763ea4f983617be53d211bf07d7acb0";

pub fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-digits-mlp-step5.safetensors")
}

pub fn fixture_bytes() -> Vec<u8> {
    std::fs::read(fixture_path()).unwrap()
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
