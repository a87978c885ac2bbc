//! End-to-end tests of the `ditto` binary: separate processes, compared byte for byte.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{ditto, fingerprint, ok};

use ditto_train::Checkpoint;

fn model_tensors(dir: &Path) -> Vec<(String, Vec<u8>)> {
    Checkpoint::read(&dir.join("final.safetensors"))
        .unwrap()
        .tensors
        .into_iter()
        .filter(|(n, _)| n.starts_with("model."))
        .map(|(n, t)| (n, t.bytes))
        .collect()
}

fn train(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "train",
        "--example",
        "digits-mlp",
        "--max-steps",
        "300",
        "--out",
    ];
    args.push(dir.to_str().unwrap());
    args.extend_from_slice(extra);
    fingerprint(&ok(&args))
}

#[test]
fn identical_across_runs_threads_workers_and_resume() {
    let t = tempfile::tempdir().unwrap();
    let p = |n: &str| t.path().join(n);
    let a = train(&p("a"), &[]);
    assert_eq!(train(&p("b"), &[]), a, "two runs");
    assert_eq!(train(&p("t1"), &["--threads", "1"]), a, "--threads 1");
    assert_eq!(train(&p("t2"), &["--threads", "2"]), a, "--threads 2");
    assert_eq!(train(&p("w0"), &["--workers", "0"]), a, "--workers 0");
    assert_eq!(train(&p("w4"), &["--workers", "4"]), a, "--workers 4");
    // Stopped mid-epoch (step 111 = 2 * 44 + 23) and resumed in a new process.
    train(&p("r"), &["--stop-at", "111"]);
    assert!(!p("r").join("final.safetensors").exists());
    assert_eq!(
        fingerprint(&ok(&["resume", p("r").to_str().unwrap()])),
        a,
        "resumed"
    );
    for other in ["b", "t1", "t2", "w0", "w4", "r"] {
        assert_eq!(model_tensors(&p(other)), model_tensors(&p("a")), "{other}");
        let v = ok(&[
            "verify",
            p("a").to_str().unwrap(),
            p(other).to_str().unwrap(),
        ]);
        assert!(v.contains("IDENTICAL"), "{other}: {v}");
    }
}

#[test]
fn replay_reproduces_a_run() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    train(&run, &["--seed", "3"]);
    let replay = t.path().join("replay");
    let out = ok(&[
        "replay",
        run.to_str().unwrap(),
        "--out",
        replay.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    assert!(out.contains("IDENTICAL"), "{out}");
    assert_eq!(model_tensors(&run), model_tensors(&replay));
    // Replaying into a directory that already holds a run is refused, not overwritten.
    let again = ditto(&[
        "replay",
        run.to_str().unwrap(),
        "--out",
        replay.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(2));
    // Replaying one checkpoint: rebuilt from its embedded config, trained to its step.
    let ck = run.join("checkpoints/step-00000200.safetensors");
    let out = ok(&[
        "replay",
        ck.to_str().unwrap(),
        "--out",
        t.path().join("replay-ck").to_str().unwrap(),
    ]);
    assert!(
        out.contains("IDENTICAL") && out.contains("step 200"),
        "{out}"
    );
}

#[test]
fn verify_pinpoints_the_first_divergent_step() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    train(&a, &["--seed", "1"]);
    train(&b, &["--seed", "2"]);
    let out = ditto(&["verify", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("first divergent step: 1"), "{text}");
    assert!(text.contains("model.layers.0.weight differs"), "{text}");
    assert!(text.contains("ULP"), "{text}");
}

#[cfg(unix)]
#[test]
fn sigkill_during_checkpointing_then_resume_gives_the_uninterrupted_result() {
    use std::os::unix::process::ExitStatusExt;
    let t = tempfile::tempdir().unwrap();
    // Checkpoint after every step, so most of the run's time is spent writing checkpoints.
    let cfg = include_str!("../../../examples/digits-mlp/config.toml")
        .replace("checkpoint_every = 200", "checkpoint_every = 1")
        .replace("keep_checkpoints = 3", "keep_checkpoints = 2");
    let cfg_path = t.path().join("ck1.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let (full, killed) = (t.path().join("full"), t.path().join("killed"));
    let args = |dir: &Path| {
        vec![
            "train".to_owned(),
            "--config".into(),
            cfg_path.to_str().unwrap().into(),
            "--max-steps".into(),
            "400".into(),
            "--out".into(),
            dir.to_str().unwrap().into(),
        ]
    };
    let reference = fingerprint(&ok(&args(&full)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ditto"))
        .args(args(&killed))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until a few checkpoints exist, then kill without warning.
    let ckdir = killed.join("checkpoints");
    for _ in 0..600 {
        let n = std::fs::read_dir(&ckdir).map(|d| d.count()).unwrap_or(0);
        if n >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(30));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the run finished before it could be killed"
    );
    assert!(!killed.join("final.safetensors").exists());
    let resumed = fingerprint(&ok(&["resume", killed.to_str().unwrap()]));
    assert_eq!(resumed, reference);
    assert_eq!(model_tensors(&killed), model_tensors(&full));
}

#[test]
fn corrupted_and_truncated_checkpoints_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("a");
    train(&dir, &[]);
    let ck = dir.join("checkpoints/step-00000200.safetensors");
    let bytes = std::fs::read(&ck).unwrap();
    let mut bad = bytes.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::write(&ck, &bad).unwrap();
    let out = ditto(&["resume", ck.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("corrupted") && err.contains("step-00000200"),
        "{err}"
    );
    std::fs::write(&ck, &bytes[..bytes.len() / 2]).unwrap();
    let out = ditto(&["inspect", ck.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated"));
}

#[test]
fn bad_input_gives_clear_errors() {
    let out = ditto(&["train", "--example", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("digits-mlp"));
    let t = tempfile::tempdir().unwrap();
    let cfg = t.path().join("c.toml");
    std::fs::write(&cfg, "batch_size = 0\n").unwrap();
    let out = ditto(&["train", "--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("batch_size"));
    let out = ditto(&["train", "--example", "digits-mlp", "--mode", "fast"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mode"));
    let printed = ok(&[
        "train",
        "--example",
        "digits-mlp",
        "--print-config",
        "--seed",
        "9",
    ]);
    assert!(
        printed.contains("seed = 9") && printed.contains("[optimizer]"),
        "{printed}"
    );
}

/// The CNN example: augmentation (crop, flip) runs in the loader's workers, keyed by sample,
/// so threads, workers and a mid-epoch stop + resume all give the same bits.
#[test]
fn fashion_cnn_identical_across_threads_workers_and_resume() {
    let t = tempfile::tempdir().unwrap();
    let p = |n: &str| t.path().join(n);
    let run = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["train", "--example", "fashion-cnn", "--max-steps", "24"];
        args.extend_from_slice(&["--out", dir.to_str().unwrap()]);
        args.extend_from_slice(extra);
        fingerprint(&ok(&args))
    };
    let a = run(&p("a"), &[]);
    assert_eq!(
        run(&p("t1w3"), &["--threads", "1", "--workers", "3"]),
        a,
        "--threads 1 --workers 3"
    );
    run(&p("r"), &["--stop-at", "10", "--workers", "2"]);
    assert_eq!(
        fingerprint(&ok(&["resume", p("r").to_str().unwrap()])),
        a,
        "resumed"
    );
    for other in ["t1w3", "r"] {
        assert_eq!(model_tensors(&p(other)), model_tensors(&p("a")), "{other}");
    }
    // The run directory holds the report and its plot.
    let report = std::fs::read_to_string(p("a").join("report.md")).unwrap();
    assert!(
        report.contains(&a) && report.contains("curves.svg"),
        "{report}"
    );
    let svg = std::fs::read_to_string(p("a").join("curves.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("training loss"));
    // inspect --json gives the embedded config, positions and provenance.
    let doc: serde_json::Value =
        serde_json::from_str(&ok(&["inspect", p("a").to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(doc["state"]["config"]["model"]["kind"], "cnn");
    assert_eq!(doc["state"]["step"], 24);
    assert_eq!(doc["state"]["batch"], 24);
    assert!(doc["provenance"]["rustc_version"].is_string());
    assert!(doc["tensors"]["model.convs.0.weight"]["blake3"].is_string());
}

#[test]
fn off_mode_runs_plain_burn_and_env_prints_provenance() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("off");
    ok(&[
        "train",
        "--example",
        "digits-mlp",
        "--mode",
        "off",
        "--max-steps",
        "20",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let cfg = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(cfg.contains("mode = \"off\""), "{cfg}");
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("autodiff<ndarray") && !manifest.contains("ditto<"),
        "{manifest}"
    );
    let env: serde_json::Value = serde_json::from_str(&ok(&["env"])).unwrap();
    assert!(env["rustc_version"].as_str().unwrap().starts_with("rustc"));
    assert!(env["threads"].as_u64().unwrap() >= 1);
}

/// The issue's sweep: 5 seeds x threads 1,2 x modes run-to-run,off (20 cells, about 20 s).
/// Threads are promised not to matter: every pair identical, zero drift.
#[test]
fn sweep_reports_zero_drift_for_run_to_run_and_reuses_finished_cells() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("sweep");
    let args = [
        "sweep",
        "--example",
        "digits-mlp",
        "--seeds",
        "0..5",
        "--threads",
        "1,2",
        "--modes",
        "run-to-run,off",
        "--out",
        out.to_str().unwrap(),
    ];
    let text = ok(&args);
    assert!(text.contains("20 cells, 0 reused"), "{text}");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("run-to-run"))
        .unwrap();
    assert!(
        line.contains("over 5 runs") && line.ends_with("zero drift"),
        "{text}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["format"], "ditto-sweep/2");
    assert_eq!(report["cells"], 20);
    let v = &report["verdicts"]["run-to-run"];
    assert_eq!(
        (v["pairs"].as_u64(), v["identical"].as_u64()),
        (Some(5), Some(5)),
        "{v}"
    );
    // Mode off promises nothing: its pairs are identical or expected, never broken.
    assert_eq!(report["verdicts"]["off"]["broken"], 0);
    let rows = report["drift"]["run-to-run"]["threads"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    for row in rows {
        assert_eq!(row["values"][0]["value"], "2");
        assert_eq!(row["values"][0]["identical"], true);
        assert_eq!(row["values"][0]["max_ulp"], 0);
    }
    let stats = report["stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["setting"]["mode"] == "run-to-run" && s["setting"]["threads"] == "1")
        .unwrap();
    let acc = &stats["metrics"]["accuracy"];
    assert_eq!(acc["n"], 5);
    let (min, max) = (acc["min"].as_f64().unwrap(), acc["max"].as_f64().unwrap());
    assert!(
        0.8 < min && min < max && max <= 1.0,
        "seeds must spread: {acc}"
    );
    let [lo, hi] = [0, 1].map(|i| acc["ci95"][i].as_f64().unwrap());
    assert!(lo < acc["mean"].as_f64().unwrap() && acc["mean"].as_f64().unwrap() < hi);
    assert!(report["overhead"]["run-to-run"]["ratio_to_off"].is_f64());
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["cells"].as_array().unwrap().len(), 20);
    for f in ["report.md", "accuracy.svg"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // A rerun verifies the finished cells by their checkpoints and runs none again.
    let again = ok(&args);
    assert!(again.contains("20 cells, 20 reused"), "{again}");
    // A cell whose checkpoint is damaged is not trusted: it runs again.
    let ck = out.join("cells/off-ndarray-t2-w0-s3/final.safetensors");
    let mut bytes = std::fs::read(&ck).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    std::fs::write(&ck, bytes).unwrap();
    let third = ok(&args);
    assert!(third.contains("20 cells, 19 reused"), "{third}");
}
