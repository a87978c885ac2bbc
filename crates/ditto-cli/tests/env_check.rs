//! `ditto env --check RUN` against manifests edited one factor at a time, as if the run had
//! been made elsewhere: the expected verdict per mode (REPRODUCIBILITY.md's table), exit 0
//! exactly when the run's own mode owes the same bits here. A real second environment: a run
//! on lavapipe (Wgpu) checked with its adapter renamed. `resume` and `replay` print the
//! comparison when the environment differs; an old manifest (without the new fields) still
//! checks.

use crate::common;
use crate::wgpu_probe;

use std::path::Path;
use std::process::Output;

use common::{ditto, ok};
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `digits-mlp`, 4 steps, in `mode`, with `extra` flags.
fn train(dir: &Path, mode: &str, extra: &[&str]) {
    let mut args = vec![
        "train",
        "--example",
        "digits-mlp",
        "--max-steps",
        "4",
        "--mode",
        mode,
        "--out",
        s(dir),
    ];
    args.extend_from_slice(extra);
    ok(&args);
}

fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = dir.join("manifest.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

fn check(dir: &Path) -> (Option<i32>, String) {
    let out: Output = ditto(&["env", "--check", s(dir)]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// The comparison as JSON: factor names of the rows, and whether each mode owes the bits.
fn check_json(dir: &Path) -> Value {
    let out = ditto(&["env", "--check", s(dir), "--json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    // Its exit code is the text form's.
    let owed = match v["mode"].as_str().unwrap() {
        "canonical" => v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| owed(r, "canonical")),
        _ => v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| owed(r, "run_to_run")),
    };
    assert_eq!(out.status.code(), Some(if owed { 0 } else { 1 }), "{v}");
    v
}

fn owed(row: &Value, mode: &str) -> bool {
    row[mode]["promise"] == "owed"
}

fn row<'a>(c: &'a Value, factor: &str) -> &'a Value {
    c["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["factor"] == factor)
        .unwrap_or_else(|| panic!("no row {factor} in {c}"))
}

/// This machine's CPU features as `ditto env` records them.
fn features_here() -> Vec<Value> {
    let env: Value = serde_json::from_str(&ok(&["env"])).unwrap();
    env["cpu_features"].as_array().unwrap().clone()
}

/// A feature list that is not this machine's: an SSE-only CPU, or, on one, an AVX2 one.
fn other_features() -> Value {
    if features_here().iter().any(|f| f == "avx2") {
        serde_json::json!(["sse4.2"])
    } else {
        serde_json::json!(["sse4.2", "avx", "avx2", "fma"])
    }
}

#[test]
fn an_unchanged_environment_owes_the_bits_and_another_instruction_set_only_canonical_ones() {
    let t = tempfile::tempdir().unwrap();
    let (r2r, canon) = (t.path().join("r2r"), t.path().join("canon"));
    train(&r2r, "run-to-run", &[]);
    train(&canon, "canonical", &[]);
    for dir in [&r2r, &canon] {
        let (code, text) = check(dir);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("no difference"), "{text}");
    }

    // Another CPU: other features, model and instruction sets (as an SSE2 build would record).
    let other_cpu = |v: &mut Value| {
        v["cpu_features"] = other_features();
        v["cpu_vendor"] = "GenuineIntel".into();
        v["cpu_model"] = "Intel(R) Xeon(R) CPU E5-2680 0 @ 2.70GHz (edited)".into();
        v["kernel_isa"] = "scalar (edited)".into();
        v["matmul_isa"] = "sse2 (edited)".into();
    };
    edit_manifest(&r2r, other_cpu);
    edit_manifest(&canon, other_cpu);
    let (code, text) = check(&r2r);
    assert_eq!(
        code,
        Some(1),
        "run-to-run does not owe its bits on another CPU: {text}"
    );
    assert!(text.contains("CPU features"), "{text}");
    assert!(
        text.contains("run-to-run (this run's mode): the same bits are NOT owed"),
        "{text}"
    );
    assert!(text.contains("canonical: the same bits are owed"), "{text}");
    let c = check_json(&r2r);
    let features = row(&c, "cpu-features");
    assert!(
        owed(features, "canonical") && !owed(features, "run_to_run"),
        "{c}"
    );
    assert!(!owed(row(&c, "cpu-model"), "run_to_run"), "{c}");
    let (code, text) = check(&canon);
    assert_eq!(code, Some(0), "canonical owes its bits on any CPU: {text}");
    assert!(
        text.contains("canonical (this run's mode): the same bits are owed"),
        "{text}"
    );
    // The instruction sets in effect: compared where this machine records them, else said
    // to be not compared; never silently passed over.
    for (factor, name) in [
        ("kernel-isa", "ditto kernels' SIMD level"),
        ("matmul-isa", "matmul SIMD level"),
    ] {
        let c = check_json(&canon);
        let compared = c["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["factor"] == factor);
        let noted = c["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains(name));
        assert!(compared || noted, "{factor}: {c}");
        if compared {
            assert!(owed(row(&c, factor), "canonical"), "{c}");
        }
    }
}

#[test]
fn another_burn_version_owes_no_modes_bits() {
    let t = tempfile::tempdir().unwrap();
    for mode in ["run-to-run", "canonical"] {
        let dir = t.path().join(mode);
        train(&dir, mode, &[]);
        edit_manifest(&dir, |v| v["burn_version"] = "0.22.0".into());
        let (code, text) = check(&dir);
        assert_eq!(code, Some(1), "{mode}: {text}");
        assert!(text.contains("Burn version"), "{text}");
        assert!(text.contains("0.22.0") && text.contains("0.21.0"), "{text}");
        let c = check_json(&dir);
        let burn = row(&c, "burn-version");
        assert!(!owed(burn, "canonical") && !owed(burn, "run_to_run"), "{c}");
        assert_eq!(c["rows"].as_array().unwrap().len(), 1, "{c}");
    }
}

/// A real Wgpu run (lavapipe where that is the adapter) records its adapter; checked as it is,
/// nothing differs; with the adapter's name edited (another GPU), canonical mode still owes
/// its bits (the conformance probe guards the device) and run-to-run mode does not.
#[test]
fn another_gpu_owes_only_canonical_bits() {
    if !wgpu_probe::wgpu_available("another_gpu_owes_only_canonical_bits") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    for mode in ["run-to-run", "canonical"] {
        let dir = t.path().join(mode);
        train(&dir, mode, &["--backend", "wgpu"]);
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        let gpu = &manifest["gpu"];
        assert!(
            gpu["name"].is_string() && gpu["api"].is_string(),
            "{manifest}"
        );
        let (code, text) = check(&dir);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("no difference"), "{text}");
        edit_manifest(&dir, |v| {
            v["gpu"]["name"] = "NVIDIA GeForce RTX 4090 (edited)".into();
            v["gpu"]["device_type"] = "discrete-gpu".into();
        });
        let (code, text) = check(&dir);
        assert!(text.contains("NVIDIA GeForce RTX 4090 (edited)"), "{text}");
        let c = check_json(&dir);
        let row = row(&c, "gpu");
        assert!(owed(row, "canonical") && !owed(row, "run_to_run"), "{c}");
        let want = if mode == "canonical" { 0 } else { 1 };
        assert_eq!(code, Some(want), "{mode}: {text}");
    }
}

/// `resume` and `replay` say how the environment differs (here: another thread count, which
/// both modes owe, and the manifest's Burn version, which no mode owes); an old manifest,
/// without the fields this version records, still checks, its new fields "not recorded".
#[test]
fn resume_and_replay_print_the_differences_and_old_manifests_still_check() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("run");
    train(&dir, "run-to-run", &["--stop-at", "2", "--threads", "1"]);
    let out = ditto(&["resume", s(&dir), "--threads", "2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("environment: 1 difference") && err.contains("threads"),
        "{err}"
    );

    edit_manifest(&dir, |v| v["burn_version"] = "0.20.0".into());
    let out = ditto(&["replay", s(&dir), "--out", s(&t.path().join("replay"))]);
    let (stdout, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{err}");
    assert!(stdout.contains("IDENTICAL"), "{stdout}");
    assert!(
        err.contains("Burn version") && err.contains("0.20.0"),
        "{err}"
    );

    // The new fields removed: the manifest of an older ditto.
    edit_manifest(&dir, |v| {
        let m = v.as_object_mut().unwrap();
        for k in [
            "git_dirty",
            "project",
            "cpu_vendor",
            "cpu_model",
            "os_version",
            "kernel_release",
            "canonical_spec_version",
            "gpu",
        ] {
            m.remove(k);
        }
        m.insert("burn_version".into(), "0.21.0".into());
    });
    let (code, text) = check(&dir);
    assert!(text.contains("(not recorded)"), "{text}");
    assert!(text.contains("canonical spec version"), "{text}");
    // An unrecorded spec version cannot be confirmed, so no mode owes the bits for sure.
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("did not record it"), "{text}");
}
