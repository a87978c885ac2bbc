//! Validation, early stopping and best checkpoints, across processes: every decision is a
//! function of the evaluations' bits, so the stopping step, the best evaluation and the kept
//! best checkpoints are the same at any thread count and when resumed inside the patience
//! window; the test split is evaluated once, after training; top-k keeps exactly k.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{DITTO, ok};
use serde_json::Value;

/// digits-mlp's config with `validation` as its `[validation]` table and a checkpoint every
/// 10 steps.
fn config(dir: &Path, name: &str, validation: &str) -> String {
    let example: String = ok(&["train", "--example", "digits-mlp", "--print-config"])
        .lines()
        .map(|l| match l.starts_with("checkpoint_every =") {
            true => "checkpoint_every = 10\n".to_owned(),
            false => format!("{l}\n"),
        })
        .collect();
    assert!(example.contains("checkpoint_every = 10"), "{example}");
    let path = dir.join(name);
    std::fs::write(&path, format!("{example}\n[validation]\n{validation}\n")).unwrap();
    path.to_str().unwrap().to_owned()
}

fn train(cfg: &str, out: &Path, threads: &str, extra: &[&str]) -> std::process::Output {
    let o = Command::new(DITTO)
        .args([
            "train",
            "--config",
            cfg,
            "--mode",
            "canonical",
            "--threads",
            threads,
        ])
        .args(["--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn summary(run: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(run.join("summary.json")).unwrap()).unwrap()
}

/// The names of the run's kept best checkpoints, sorted.
fn best_files(run: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(run.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("best-"))
        .collect();
    v.sort();
    v
}

/// The metrics file's evaluation lines of `split`.
fn evals(run: &Path, split: &str) -> Vec<Value> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["split"] == split)
        .collect()
}

const EARLY: &str = "fraction = 0.2\nevery = 10\nmetric = \"accuracy\"\nmode = \"max\"\n\
                     min_delta = 0.004\npatience = 3\nkeep_best = 2";

#[test]
fn early_stopping_is_the_same_across_threads_and_a_resume_inside_the_patience_window() {
    let t = tempfile::tempdir().unwrap();
    let p = |n: &str| t.path().join(n);
    let cfg = config(t.path(), "early.toml", EARLY);
    let every = ["--max-steps", "600"];
    train(&cfg, &p("a"), "2", &every);
    let a = summary(&p("a"));
    let stopped = a["stopped_early_at"]
        .as_u64()
        .expect("early stopping never acted");
    assert!(stopped < 600, "{a}");
    assert_eq!(a["steps"].as_u64(), Some(stopped));
    let best_step = a["best"]["step"].as_u64().unwrap();
    // Patience 3 at every 10 steps: the stop is 3 evaluations after the last improvement.
    assert_eq!(stopped, best_step + 30, "{a}");

    train(&cfg, &p("b"), "1", &every);
    let b = summary(&p("b"));
    assert_eq!(b, a, "--threads 1");
    assert_eq!(best_files(&p("b")), best_files(&p("a")));

    // Stop one evaluation after the best, inside the patience window, and resume.
    let cut = (best_step + 10).to_string();
    let mut first = every.to_vec();
    first.extend(["--stop-at", cut.as_str()]);
    train(&cfg, &p("c"), "2", &first);
    assert!(summary(&p("c"))["stopped_early_at"].is_null());
    let o = Command::new(DITTO)
        .args(["resume", p("c").to_str().unwrap(), "--threads", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(summary(&p("c")), a, "resumed inside the patience window");
    assert_eq!(best_files(&p("c")), best_files(&p("a")));
}

#[test]
fn the_test_split_is_evaluated_once_after_training_and_top_k_keeps_k() {
    let t = tempfile::tempdir().unwrap();
    let p = |n: &str| t.path().join(n);
    let cfg = config(
        t.path(),
        "topk.toml",
        "fraction = 0.2\nevery = 5\nmetric = \"loss\"\nkeep_best = 3",
    );
    train(&cfg, &p("r"), "2", &["--max-steps", "60"]);
    let test = evals(&p("r"), "test");
    assert_eq!(test.len(), 1, "one test evaluation: {test:?}");
    assert_eq!(test[0]["step"].as_u64(), Some(60));
    let valid = evals(&p("r"), "valid");
    assert_eq!(valid.len(), 12, "an evaluation every 5 steps");
    // The 3 best validation losses, ties to the earlier step.
    let mut ranked: Vec<(f64, u64)> = valid
        .iter()
        .map(|v| (v["loss"].as_f64().unwrap(), v["step"].as_u64().unwrap()))
        .collect();
    ranked.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let mut want: Vec<String> = ranked[..3]
        .iter()
        .map(|(_, s)| format!("best-{s:08}.safetensors"))
        .collect();
    want.sort();
    assert_eq!(best_files(&p("r")), want);
    let s = summary(&p("r"));
    assert_eq!(s["best"]["step"].as_u64(), Some(ranked[0].1));
    assert!(s["test_loss"].is_number(), "{s}");

    // Stopped before the end: no test evaluation at all.
    train(
        &cfg,
        &p("s"),
        "2",
        &["--max-steps", "60", "--stop-at", "30"],
    );
    assert!(evals(&p("s"), "test").is_empty());
    assert!(summary(&p("s"))["test_loss"].is_null());
}

#[test]
fn early_stopping_without_a_validation_split_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let cfg = config(t.path(), "bad.toml", "patience = 2");
    let o = Command::new(DITTO)
        .args(["train", "--config", &cfg, "--max-steps", "5", "--out"])
        .arg(t.path().join("r"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("validation"), "{err}");
    assert!(!t.path().join("r").join("summary.json").exists());
}
