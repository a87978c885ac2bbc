//! Fuzzing `ditto-train`'s parsers on stable Rust (the harness is `ditto-data`'s
//! `tests/fuzz_support`): the TOML config (`TrainConfig::from_toml`, then `validate`) and
//! checkpoints (`Checkpoint::from_bytes` and `from_bytes_with`, version 2 and the version-1
//! fixture) and op traces (`OpTrace::read` of a mutated `ops.jsonl`). Every input
//! must end in `Ok` or a typed `ditto_train::Error`: no panic, no abort, no allocation beyond
//! a fixed multiple of the input's size.
//!
//! Quick run: part of `cargo test` (3,000 inputs per parser). Long run: see README
//! ("Contributing"): `DITTO_FUZZ_CASES=100000 cargo test --release -p ditto-train --test fuzz`.

#[path = "../../ditto-data/tests/fuzz_support/mod.rs"]
mod fuzz_support;

use std::collections::BTreeMap;
use std::path::Path;

use ditto_train::{Checkpoint, Provenance, TensorEntry, TrainConfig};

#[global_allocator]
static ALLOC: fuzz_support::counting_alloc::Counting = fuzz_support::counting_alloc::Counting;

#[test]
fn fuzz_config_toml() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let read = |p: &str| std::fs::read(root.join(p)).unwrap();
    let corpus = vec![
        read("digits-mlp/config.toml"),
        read("fashion-cnn/config.toml"),
        TrainConfig::default().to_toml().unwrap().into_bytes(),
        b"seed = 1\n[model]\nkind = \"mlp\"\nhidden = [8, 8]\n".to_vec(),
        // File sources, one with a pinned file.
        b"[data]\nsource = \"idx\"\ntrain_images = \"a.gz\"\ntrain_labels = \"b\"\n\
          test_images = \"c\"\ntest_labels = { path = \"d\", sha256 = \"\
          ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\", bytes = 3 }\n"
            .to_vec(),
        b"[data]\nsource = \"csv\"\npath = \"x.csv\"\nlabel = \"y\"\nheader = true\n\
          classes = 3\npixel_max = 2.5\nclass_names = [\"a\", \"b,\\\"c\\\"\", \"d\"]\n"
            .to_vec(),
    ];
    // Nested TOML tables cost about 100 bytes per input byte (`a={a={...}}`).
    fuzz_support::fuzz("config-toml", corpus, 256, |b| {
        let text = String::from_utf8_lossy(b);
        match TrainConfig::from_toml(&text) {
            Ok(cfg) => cfg.validate().is_ok(),
            Err(_) => false,
        }
    });
}

fn small_checkpoint() -> Vec<u8> {
    let mut tensors = BTreeMap::new();
    tensors.insert(
        "model.w".into(),
        TensorEntry::f32(vec![2, 3], &[1.0, -2.0, 0.5, 0.0, 3.25, -0.0]).unwrap(),
    );
    tensors.insert("optimizer.blob".into(), TensorEntry::bytes(vec![7, 8, 9]));
    Checkpoint {
        state: serde_json::json!({"step": 3, "config": {"lr": 0.001, "hidden": [16]}}),
        provenance: Provenance::collect("ditto<ndarray>", "Cpu"),
        tensors,
    }
    .to_bytes()
    .unwrap()
}

#[test]
fn fuzz_checkpoint() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/v1-digits-mlp-step5.safetensors");
    let corpus = vec![small_checkpoint(), std::fs::read(fixture).unwrap()];
    // Read as by default (version 1 refused) and with version 1 allowed: neither panics, and
    // whatever the default accepts the lax reader accepts too.
    let lax = ditto_train::ReadOptions::allowing_unverified_header();
    fuzz_support::fuzz("checkpoint", corpus, 16, |b| {
        let path = Some(Path::new("fuzz.safetensors"));
        let strict = Checkpoint::from_bytes(b, path).is_ok();
        let loaded = Checkpoint::from_bytes_with(b, path, lax).is_ok();
        assert!(
            loaded || !strict,
            "accepted by default, refused when version 1 is allowed"
        );
        loaded
    });
}

/// A real op trace of one step of a tiny MLP (recorded here through `Trainer::trace_ops`):
/// the run directory with its `ops.jsonl` and `ops.bin`.
fn tiny_op_trace() -> tempfile::TempDir {
    use ditto_train::{MlpConfig, ModelConfig, StepRange, TrainData, Trainer};
    let config = TrainConfig {
        model: ModelConfig::Mlp(MlpConfig {
            hidden: vec![2],
            dropout: 0.0,
        }),
        batch_size: 2,
        max_steps: Some(1),
        ..TrainConfig::default()
    };
    let data = TrainData::bundled(&config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    Trainer::new(config)
        .unwrap()
        .out(dir.path())
        .trace_ops(StepRange::new(1, 1).unwrap())
        .fit_bundled::<burn::backend::NdArray>(&data, &Default::default())
        .unwrap();
    dir
}

/// `ditto verify --ops` reads `ops.jsonl` (lines of JSON naming offsets into `ops.bin`): any
/// mutation of it, with the run's real `ops.bin` beside it, is read or refused, never a panic
/// or an allocation driven by a number in the file.
#[test]
fn fuzz_op_trace() {
    let run = tiny_op_trace();
    let jsonl = std::fs::read(run.path().join("ops.jsonl")).unwrap();
    let bin = std::fs::read(run.path().join("ops.bin")).unwrap();
    assert!(ditto_train::OpTrace::read(run.path()).is_ok());
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("ops.bin"), &bin).unwrap();
    let header_only = jsonl.split(|b| *b == b'\n').next().unwrap().to_vec();
    fuzz_support::fuzz("op-trace", vec![jsonl, header_only], 256, |b| {
        std::fs::write(work.path().join("ops.jsonl"), b).unwrap();
        ditto_train::OpTrace::read(work.path()).is_ok()
    });
}
