//! The trainer: two runs agree bit for bit, and a run stopped at a mid-epoch step and resumed
//! from its checkpoint ends bitwise identical to the uninterrupted run.

use crate::common;

use burn::backend::NdArray;
use ditto_data::InMemory;
use ditto_rng::Seed;
use ditto_train::{
    AdamConfig, Checkpoint, MlpConfig, ModelConfig, OptimizerConfig, RunSummary, TrainConfig,
    TrainData, Trainer,
};

/// Trains the bundled MLP of `config` on `data` into `out`, from `resume` if given.
fn train(
    data: &TrainData,
    config: &TrainConfig,
    resume: Option<&Checkpoint>,
    out: &std::path::Path,
    stop_at: Option<usize>,
) -> RunSummary {
    let mut t = Trainer::new(config.clone()).unwrap().out(out);
    if let Some(ck) = resume {
        t = t.from_checkpoint(ck.clone());
    }
    if let Some(s) = stop_at {
        t = t.stop_at(s);
    }
    t.fit_bundled::<NdArray>(data, &Default::default()).unwrap()
}

/// Synthetic data: 150 training and 50 test samples of 8 features, 3 classes.
fn synthetic() -> TrainData {
    let mut s = Seed::from_u64(1).derive("synthetic").stream();
    let mut x = vec![0f32; 200 * 8];
    s.fill_normal_f32(&mut x, 0.0, 1.0).unwrap();
    let y: Vec<u32> = (0..200)
        .map(|i| u32::from(x[i * 8] + x[i * 8 + 1] > 0.0) + u32::from(x[i * 8 + 2] > 1.0))
        .collect();
    let train = InMemory::new(vec![8], x[..150 * 8].to_vec(), y[..150].to_vec(), 3).unwrap();
    let test = InMemory::new(vec![8], x[150 * 8..].to_vec(), y[150..].to_vec(), 3).unwrap();
    TrainData::new(train, test, 1.0).unwrap()
}

fn config() -> TrainConfig {
    let mut c = TrainConfig {
        epochs: 3,
        checkpoint_every: 5,
        keep_checkpoints: 0,
        ..Default::default()
    };
    c.batch_size = 16;
    c.model = ModelConfig::Mlp(MlpConfig {
        hidden: vec![16],
        dropout: 0.2,
    });
    c.optimizer = OptimizerConfig::Adam(AdamConfig {
        lr: 0.01,
        weight_decay: 0.0,
    });
    c
}

fn final_tensors(dir: &std::path::Path) -> Checkpoint {
    Checkpoint::read(&dir.join("final.safetensors")).unwrap()
}

#[test]
fn resume_mid_epoch_is_bitwise_identical() {
    let data = synthetic();
    let full = tempfile::tempdir().unwrap();
    let a = train(&data, &config(), None, full.path(), None);
    let again = tempfile::tempdir().unwrap();
    let b = train(&data, &config(), None, again.path(), None);
    assert_eq!(a, b, "two runs differ");
    assert_eq!(a.steps, 27);

    // Stop at step 13 (mid-epoch: 9 batches per epoch), resume from the step-10 checkpoint.
    let cut = tempfile::tempdir().unwrap();
    train(&data, &config(), None, cut.path(), Some(13));
    let ck = Checkpoint::read(&cut.path().join("checkpoints/step-00000010.safetensors")).unwrap();
    assert_eq!(ck.state["batch"], 1, "step 10 is inside epoch 1");
    let c = train(&data, &config(), Some(&ck), cut.path(), None);
    assert_eq!(c, a, "resumed run differs");
    let (fa, fc) = (final_tensors(full.path()), final_tensors(cut.path()));
    assert_eq!(fa.tensors, fc.tensors);
    assert_eq!(fa.state, fc.state);
    let trace = |p: &std::path::Path| std::fs::read_to_string(p.join("trace.jsonl")).unwrap();
    assert_eq!(
        trace(full.path()),
        trace(cut.path()),
        "trace after resume differs"
    );
    assert_eq!(trace(full.path()).lines().count(), 27);
}

#[test]
fn different_seed_different_weights() {
    let data = synthetic();
    let (x, y) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut c = config();
    c.epochs = 1;
    let a = train(&data, &c, None, x.path(), None);
    c.seed = 1;
    let b = train(&data, &c, None, y.path(), None);
    assert_ne!(a.fingerprint, b.fingerprint);
}

/// A trained checkpoint holds Adam's moments as f32 tensors that Python's `safetensors`
/// reads, and the step counter in the state's skeleton.
#[test]
fn optimizer_state_is_plain_tensors_readable_from_python() {
    let data = synthetic();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config();
    c.epochs = 1;
    train(&data, &c, None, dir.path(), None);
    let path = dir.path().join("final.safetensors");
    let ck = Checkpoint::read(&path).unwrap();
    let m1 = &ck.tensors["optimizer.layers.0.weight.momentum.moment_1"];
    assert_eq!(m1.shape, vec![8, 16]);
    assert!(m1.to_f32().unwrap().iter().any(|v| *v != 0.0));
    assert_eq!(
        ck.state["optimizer"]["layers.0.weight"]["V1"]["Rank2"]["momentum"]["time"],
        9
    );
    let script = r#"
import sys
from safetensors.numpy import load_file
t = load_file(sys.argv[1])
m2 = t["optimizer.layers.1.bias.momentum.moment_2"]
print("M2 %s %s %s" % (m2.dtype, m2.shape, bool((m2 >= 0).all() and (m2 > 0).any())))
"#;
    let Some(out) = common::python::run(
        "optimizer_state_is_plain_tensors_readable_from_python",
        &["safetensors", "numpy"],
        script,
        &[path.to_str().unwrap()],
    ) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("M2 float32 (3,) True"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A checkpoint whose run state was changed (and re-sealed, so its header hash holds) to a
/// position no run reaches is refused before anything is trained, naming the field: no
/// arithmetic on a restored step, epoch, batch or random-op count can overflow (issue 27).
#[test]
fn an_out_of_range_restored_state_is_refused() {
    let data = synthetic();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config();
    c.epochs = 1;
    train(&data, &c, None, dir.path(), Some(5));
    let ck = Checkpoint::read(&dir.path().join("last.safetensors")).unwrap();
    let cases: [(&str, serde_json::Value, &str); 4] = [
        ("epoch", serde_json::json!(u64::MAX), "is not where epoch"),
        ("batch", serde_json::json!(10), "past the epoch's end"),
        ("step", serde_json::json!(usize::MAX), "is not where epoch"),
        ("backend_rng", serde_json::Value::Null, "backend_rng.calls"),
    ];
    for (field, value, says) in cases {
        let mut bad = ck.clone();
        if field == "backend_rng" {
            bad.state["backend_rng"]["calls"] = serde_json::json!(u64::MAX);
        } else {
            bad.state[field] = value;
        }
        let out = tempfile::tempdir().unwrap();
        let err = Trainer::new(c.clone())
            .unwrap()
            .out(out.path())
            .from_checkpoint(bad)
            .fit_bundled::<NdArray>(&data, &Default::default())
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ditto_train::ErrorKind::Invalid,
            "{field}: {err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("out of range") && msg.contains(says),
            "{field}: {msg}"
        );
        assert!(
            !out.path().join("checkpoints").exists(),
            "{field}: the refused resume wrote into its run directory"
        );
    }
}
