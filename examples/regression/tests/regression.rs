//! The regression example, through separate processes: a run stopped mid-epoch and resumed
//! ends with the uninterrupted run's fingerprint, and a fresh model loaded from the final
//! checkpoint in another process predicts the same bits.

use std::path::Path;
use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ditto-example-regression"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn line<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key:?} in {text}"))
}

#[test]
fn mid_epoch_resume_and_load_params_reproduce_the_bits() {
    let t = tempfile::tempdir().unwrap();
    let dir = |n: &str| t.path().join(n).to_string_lossy().into_owned();
    let full = run(&["train", &dir("full")]);
    let fp = line(&full, "fingerprint: ");
    assert_eq!(fp.len(), 64);
    let mae: f64 = line(&full, "test mae: ").parse().unwrap();
    // A constant prediction (the median) scores about 0.43 on this data.
    assert!(mae < 0.35, "the model learned nothing: mae {mae}");

    // 25 batches per epoch: step 37 is in the middle of the second epoch.
    let stopped = run(&["train", &dir("split"), "--stop-at", "37"]);
    assert_ne!(line(&stopped, "fingerprint: "), fp);
    assert!(Path::new(&dir("split")).join("last.safetensors").is_file());
    let resumed = run(&["resume", &dir("split")]);
    assert_eq!(line(&resumed, "fingerprint: "), fp);

    let final_ck = Path::new(&dir("full")).join("final.safetensors");
    let predicted = run(&["predict", &final_ck.to_string_lossy()]);
    assert_eq!(
        line(&predicted, "predictions: "),
        line(&full, "predictions: ")
    );
}

#[test]
fn a_checkpoint_of_another_model_is_refused_clearly() {
    use ditto::train::{Checkpoint, Provenance, TensorEntry};
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("other.safetensors");
    let tensors = [(
        "model.hidden.weight".to_owned(),
        TensorEntry::f32(vec![2, 2], &[1.0, 2.0, 3.0, 4.0]).unwrap(),
    )]
    .into_iter()
    .collect();
    Checkpoint {
        state: serde_json::json!({}),
        provenance: Provenance::collect("test", "cpu"),
        tensors,
    }
    .write(&path)
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ditto-example-regression"))
        .args(["predict", &path.to_string_lossy()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in ["other.safetensors", "hidden.weight", "out.weight", "[2, 2]"] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

/// The sensitivity analysis of this model (its own process): 3 init seeds x 3 data-order
/// seeds x 2 learning rates. The report gives the test MAE's mean and 95% interval per
/// learning rate (9 runs each) and splits its spread over the three axes and the residual
/// (shares summing to 1); a second run reuses all 18 runs.
#[test]
fn a_sweep_reports_the_variance_split_and_intervals() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("sweep");
    let text = run(&["sweep", &out.to_string_lossy()]);
    assert!(
        text.contains("sweep: 18 cells (0 reused), 0 failed"),
        "{text}"
    );
    assert!(text.contains("mae spread: optimizer.lr"), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let stats = report["stats"].as_array().unwrap();
    assert_eq!(stats.len(), 2, "one setting per learning rate");
    for s in stats {
        let mae = &s["metrics"]["mae"];
        assert_eq!(mae["n"], 9);
        let mean = mae["mean"].as_f64().unwrap();
        let (lo, hi) = (
            mae["ci95"][0].as_f64().unwrap(),
            mae["ci95"][1].as_f64().unwrap(),
        );
        assert!(
            lo < mean && mean < hi && mae["std"].as_f64().unwrap() > 0.0,
            "{mae}"
        );
    }
    let d = report["decompositions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["metric"] == "mae")
        .unwrap();
    let r = &d["result"];
    let factors: Vec<&str> = r["effects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["factor"].as_str().unwrap())
        .collect();
    assert_eq!(factors, ["optimizer.lr", "init_seed", "data_order_seed"]);
    let shares: f64 = r["effects"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&r["residual"]])
        .map(|e| e["share"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9, "{r}");
    assert_eq!(r["residual"]["df"], 17 - 1 - 2 - 2);
    // Within each learning rate: the seeds' own split of the spread (9 runs, df 4 left).
    let within: Vec<&serde_json::Value> = report["decompositions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["metric"] == "mae" && d["within"]["optimizer.lr"].is_string())
        .collect();
    assert_eq!(within.len(), 2);
    for d in within {
        let r = &d["result"];
        let factors: Vec<&str> = r["effects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["factor"].as_str().unwrap())
            .collect();
        assert_eq!(factors, ["init_seed", "data_order_seed"], "{d}");
        assert_eq!(r["residual"]["df"], 4);
    }
    assert!(text.contains("mae spread at lr 0.01: init_seed"), "{text}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("t-interval") && md.contains("ANOVA main effects"),
        "{md}"
    );
    let again = run(&["sweep", &out.to_string_lossy()]);
    assert!(again.contains("sweep: 18 cells (18 reused)"), "{again}");
}
