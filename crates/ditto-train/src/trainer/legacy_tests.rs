//! Checkpoints written before the optimiser state was split into tensors (one Burn record blob
//! per parameter, `optimizer.<path>` as U8) still load and resume to the same bits.

use std::collections::BTreeMap;
use std::path::Path;

use burn::backend::NdArray;
use burn::optim::Adam;
use burn::optim::record::AdaptorRecord;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};

use crate::checkpoint::{Checkpoint, TensorEntry};
use crate::config::TrainConfig;
use crate::data::TrainData;
use crate::state::RunState;
use crate::trainer::{TrainBackend, Trainer};

type B = TrainBackend<NdArray>;

/// The same checkpoint in the older layout: every parameter's optimiser state as Burn's
/// bincode record, and no skeletons in the state.
fn to_blob_layout(ck: &Checkpoint) -> Checkpoint {
    let mut state: RunState = ck.run_state().unwrap();
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let mut tensors: BTreeMap<String, TensorEntry> = ck
        .tensors
        .iter()
        .filter(|(n, _)| n.starts_with("model."))
        .map(|(n, t)| (n.clone(), t.clone()))
        .collect();
    for (path, skeleton) in &state.optimizer {
        let r: AdaptorRecord<Adam, B> =
            crate::optim_state::join::<B, _>(skeleton, &ck.tensors, &Default::default()).unwrap();
        let bytes = Recorder::<B>::record(&recorder, r, ()).unwrap();
        tensors.insert(format!("optimizer.{path}"), TensorEntry::bytes(bytes));
    }
    state.optimizer.clear();
    let mut v = state.to_json().unwrap();
    v.as_object_mut().unwrap().remove("optimizer");
    Checkpoint {
        state: v,
        provenance: ck.provenance.clone(),
        tensors,
    }
}

fn config() -> TrainConfig {
    TrainConfig {
        max_steps: Some(40),
        checkpoint_every: 15,
        keep_checkpoints: 0,
        ..TrainConfig::default()
    }
}

fn resume_from(ck: Checkpoint, out: &Path) -> String {
    let data = TrainData::bundled(&config()).unwrap();
    Trainer::new(config())
        .unwrap()
        .out(out)
        .from_checkpoint(ck)
        .fit_bundled::<NdArray>(&data, &Default::default())
        .unwrap()
        .fingerprint
}

#[test]
fn the_older_blob_layout_loads_and_resumes_to_the_same_bits() {
    let t = tempfile::tempdir().unwrap();
    let data = TrainData::bundled(&config()).unwrap();
    let full = Trainer::new(config())
        .unwrap()
        .out(t.path().join("full"))
        .fit_bundled::<NdArray>(&data, &Default::default())
        .unwrap();
    let ck15 =
        Checkpoint::read(&t.path().join("full/checkpoints/step-00000015.safetensors")).unwrap();
    let blobs = to_blob_layout(&ck15);
    assert!(
        blobs
            .tensors
            .keys()
            .any(|k| k == "optimizer.layers.0.weight")
    );
    assert!(
        blobs
            .tensors
            .keys()
            .all(|k| !k.ends_with("moment_1") && !k.ends_with("moment_2"))
    );
    assert_eq!(
        resume_from(blobs.clone(), &t.path().join("converted")),
        full.fingerprint
    );

    // The committed fixture: a blob-layout checkpoint at step 15 of this config, read from
    // bytes on disk (so a change to how the older layout is decoded cannot go unnoticed).
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-blob-step15.safetensors");
    if std::env::var_os("DITTO_BLESS").is_some() {
        blobs.write(&fixture).unwrap();
    }
    // The fixture predates header hashes (format version 1): it loads only when asked.
    let stored = Checkpoint::read_with(&fixture, crate::ReadOptions::allowing_unverified_header())
        .unwrap()
        .0;
    assert_eq!(stored.run_state().unwrap().step, 15);
    assert_eq!(
        resume_from(stored, &t.path().join("fixture")),
        full.fingerprint
    );
}
