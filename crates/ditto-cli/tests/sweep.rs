//! `ditto sweep` judges every difference against what the cell's mode promises for the
//! factors in which the two runs differ (REPRODUCIBILITY.md, "What each mode promises when
//! the environment changes"): a difference the mode never promised (run-to-run across
//! backends) is reported as expected and exits 0; a difference the mode promised (canonical
//! across threads or backends) is a broken promise and exits 1. Every cell is its own process.

use crate::common;
use crate::wgpu_probe;

use std::collections::BTreeMap;
use std::path::Path;

use common::ditto;
use ditto_train::{Checkpoint, ParamValues, fingerprint};

/// Runs `ditto args`, returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let o = ditto(args);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The fingerprint of a checkpoint's model weights (as `ditto_train::fingerprint` of the
/// trained module: parameter paths without the `model.` prefix).
fn weights_fingerprint(ck: &Checkpoint) -> String {
    let params: BTreeMap<String, ParamValues> = ck
        .tensors
        .iter()
        .filter_map(|(name, t)| {
            let path = name.strip_prefix("model.")?;
            Some((path.to_owned(), (t.shape.clone(), t.to_f32().unwrap())))
        })
        .collect();
    fingerprint(&params)
}

/// Moves one weight of a finished cell by one ULP, consistently: the checkpoint is rewritten
/// with valid hashes and `summary.json` names the new weights' fingerprint, so the sweep
/// reuses the cell and sees a run whose bits differ (what a broken kernel would leave).
fn perturb(cell: &Path) {
    let path = cell.join("final.safetensors");
    let mut ck = Checkpoint::read(&path).unwrap();
    let summary_path = cell.join("summary.json");
    let mut summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    // The helper computes the fingerprint the way the trainer does.
    assert_eq!(summary["fingerprint"], weights_fingerprint(&ck).as_str());
    let (name, t) = ck
        .tensors
        .iter_mut()
        .find(|(n, _)| n.starts_with("model."))
        .unwrap();
    let mut v = t.to_f32().unwrap();
    v[0] = f32::from_bits(v[0].to_bits() ^ 1);
    *t = ditto_train::TensorEntry::f32(t.shape.clone(), &v).unwrap();
    eprintln!("perturbed {name}[0] in {}", path.display());
    summary["fingerprint"] = weights_fingerprint(&ck).into();
    ck.write(&path).unwrap();
    std::fs::write(&summary_path, summary.to_string()).unwrap();
}

fn report_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

/// Canonical mode promises the same bits at 1 and 2 threads: zero drift, exit 0. A cell whose
/// weights differ by one ULP is a broken promise: exit 1, named in the report.
#[test]
fn a_canonical_difference_across_threads_is_a_broken_promise() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("sweep");
    let args = [
        "sweep",
        "--example",
        "digits-mlp",
        "--seeds",
        "0",
        "--threads",
        "1,2",
        "--modes",
        "canonical",
        "--max-steps",
        "5",
        "--out",
        out.to_str().unwrap(),
    ];
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("zero drift"), "{stdout}");
    perturb(&out.join("cells/canonical-ndarray-t2-w0-s0"));
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("2 reused"),
        "the cells were reused: {stdout}"
    );
    assert!(stdout.contains("BROKEN PROMISE"), "{stdout}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("BROKEN PROMISE"), "{md}");
    let report = report_json(&out);
    assert_eq!(report["verdicts"]["canonical"]["broken"], 1, "{report}");
    assert_eq!(report["differences"][0]["verdict"], "broken", "{report}");
}

/// The false alarm: run-to-run mode never promised the same bits on two backends, so
/// its cross-backend difference is expected (exit 0), while canonical mode's cross-backend
/// cells are identical; a canonical cell on Wgpu that differs still fails (exit 1).
#[test]
fn run_to_run_across_backends_is_expected_and_canonical_stays_promised() {
    if !wgpu_probe::wgpu_available("run_to_run_across_backends_is_expected") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("sweep");
    let args = [
        "sweep",
        "--example",
        "digits-mlp",
        "--seeds",
        "0..2",
        "--backends",
        "ndarray,wgpu",
        "--modes",
        "run-to-run,canonical",
        "--max-steps",
        "50",
        "--out",
        out.to_str().unwrap(),
    ];
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        line_of(&stdout, "run-to-run").contains("expected"),
        "{stdout}"
    );
    assert!(!stdout.contains("BROKEN"), "{stdout}");
    assert!(
        line_of(&stdout, "canonical").contains("zero drift"),
        "{stdout}"
    );
    let report = report_json(&out);
    let verdict = |mode: &str, what: &str| report["verdicts"][mode][what].as_u64().unwrap();
    assert_eq!(verdict("run-to-run", "broken"), 0, "{report}");
    assert_eq!(verdict("canonical", "broken"), 0, "{report}");
    assert_eq!(verdict("run-to-run", "expected"), 2, "{report}");
    assert_eq!(verdict("canonical", "identical"), 2, "{report}");
    for row in report["drift"]["run-to-run"]["backend"].as_array().unwrap() {
        let v = &row["values"][0];
        assert_eq!(v["value"], "wgpu");
        assert_eq!(v["identical"], false, "{v}");
        assert_eq!(v["promised"], false, "{v}");
        assert!(v["why"].as_str().unwrap().contains("backend"), "{v}");
    }
    for row in report["drift"]["canonical"]["backend"].as_array().unwrap() {
        assert_eq!(row["values"][0]["identical"], true, "{row}");
        assert_eq!(row["values"][0]["promised"], true, "{row}");
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("expected (not promised)"), "{md}");

    // The "no" case: a canonical Wgpu cell whose bits differ breaks canonical's promise.
    perturb(&out.join("cells/canonical-wgpu-t1-w0-s1"));
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("8 reused"), "{stdout}");
    assert!(
        line_of(&stdout, "canonical").contains("BROKEN PROMISE"),
        "{stdout}"
    );
    assert!(
        line_of(&stdout, "run-to-run").contains("expected"),
        "{stdout}"
    );
    assert_eq!(report_json(&out)["verdicts"]["canonical"]["broken"], 1);
}

/// The summary line `ditto sweep` prints for `mode`.
fn line_of(text: &str, mode: &str) -> String {
    text.lines()
        .find(|l| l.trim_start().starts_with(mode))
        .unwrap_or_else(|| panic!("no line for {mode}: {text}"))
        .to_owned()
}

/// `ditto sweep merge`: two sweeps of the same grid, one made by this `ditto` and one by the
/// build named by `DITTO_CANONICAL_BIN` (CI: matrixmultiply restricted to SSE2, another
/// machine type as far as run-to-run mode is concerned), give one report: canonical cells
/// identical across the two (promised), run-to-run cells different (expected, not promised),
/// exit 0. Without the variable the second sweep is made here too (same machine and build:
/// everything identical) and the SSE2 half is reported as skipped. Either way a merged pair
/// whose canonical cell was edited to differ is a broken promise (exit 1).
#[test]
fn sweep_merge_of_two_builds_judges_each_mode() {
    let t = tempfile::tempdir().unwrap();
    let sweep_with = |bin: &Path, name: &str| {
        let out = t.path().join(name);
        let o = std::process::Command::new(bin)
            .args(["sweep", "--example", "digits-mlp", "--seeds", "0..2"])
            .args([
                "--modes",
                "run-to-run,canonical",
                "--max-steps",
                "40",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        out
    };
    let here = sweep_with(Path::new(common::DITTO), "here");
    let other_bin = std::env::var_os("DITTO_CANONICAL_BIN");
    let other = match &other_bin {
        Some(bin) => sweep_with(Path::new(bin), "sse2"),
        None => {
            eprintln!(
                "SKIPPED the SSE2 half of sweep_merge_of_two_builds_judges_each_mode: \
                 DITTO_CANONICAL_BIN is not set (.ci/run sets it to a build made with \
                 MMTEST_FEATURE=sse2); merging two sweeps made here instead"
            );
            sweep_with(Path::new(common::DITTO), "again")
        }
    };
    let merged = t.path().join("merged");
    let args = |out: &Path| -> Vec<String> {
        ["sweep", "merge"]
            .into_iter()
            .map(str::to_owned)
            .chain([&here, &other].map(|p| p.display().to_string()))
            .chain(["--out".to_owned(), out.display().to_string()])
            .collect()
    };
    let a = args(&merged);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run(&a);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("8 cells from 2 machines"), "{stdout}");
    let report = report_json(&merged);
    let verdict = |mode: &str, what: &str| report["verdicts"][mode][what].as_u64().unwrap();
    assert_eq!(verdict("canonical", "identical"), 2, "{report}");
    assert_eq!(verdict("canonical", "broken"), 0, "{report}");
    if other_bin.is_some() {
        // The SSE2 build's run-to-run bits differ; the mode never promised them.
        assert_eq!(verdict("run-to-run", "expected"), 2, "{report}");
        assert!(
            line_of(&stdout, "run-to-run").contains("expected"),
            "{stdout}"
        );
        let why = report["drift"]["run-to-run"]["machine"][0]["values"][0]["why"]
            .as_str()
            .unwrap();
        assert!(why.contains("matmul SIMD level"), "{why}");
    } else {
        assert_eq!(verdict("run-to-run", "identical"), 2, "{report}");
    }
    assert!(
        std::fs::read_to_string(merged.join("report.md"))
            .unwrap()
            .contains("Machines (merged sweeps)")
    );

    // One canonical cell of the second sweep edited to differ: a broken promise.
    let path = other.join("results.json");
    let mut results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cell = results["cells"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["mode"] == "canonical")
        .unwrap();
    cell["fingerprint"] = "0".repeat(64).into();
    std::fs::write(&path, results.to_string()).unwrap();
    let a = args(&t.path().join("merged-edited"));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run(&a);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        line_of(&stdout, "canonical").contains("BROKEN PROMISE"),
        "{stdout}"
    );
    // A sweep directory without results is refused, naming it.
    let (code, _, stderr) = run(&[
        "sweep",
        "merge",
        here.to_str().unwrap(),
        "/nonexistent",
        "--out",
        "/tmp/x",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent"), "{stderr}");
}
