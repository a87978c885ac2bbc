//! Version-1 checkpoints (written before header hashes) through the `ditto` binary: refused
//! by default, loaded with `--allow-unverified-header` and a warning (issue 27).

use crate::common;

use std::path::Path;

use common::{ditto, fingerprint, ok};

/// A version-1 checkpoint (no header hash: the committed fixture) is refused by `inspect`,
/// `resume`, `replay` and `verify` unless `--allow-unverified-header` is given; with it, each
/// warns that the header is unverified, and `resume` continues to the pinned bits (issue 27).
#[test]
fn version_1_checkpoints_load_only_when_asked() {
    const STEP10: &str = "54bb8536036b093cfc3039f12c16a00e5902e142af1481ad3719afeb8a838a9b";
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ditto-train/tests/fixtures/v1-digits-mlp-step5.safetensors");
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let last = run.join("last.safetensors");
    std::fs::copy(&fixture, &last).unwrap();
    let last_s = last.to_str().unwrap();
    let refused = |args: &[&str]| {
        let out = ditto(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("unverified header refused") && err.contains("--allow-unverified-header"),
            "{args:?}: {err}"
        );
    };
    let warned = |args: &[&str], code: i32| {
        let out = ditto(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains("is NOT verified"), "{args:?}: {err}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    refused(&["inspect", last_s]);
    let shown = warned(&["inspect", last_s, "--allow-unverified-header"], 0);
    assert!(shown.contains("no header hash"), "{shown}");
    refused(&["resume", run.to_str().unwrap()]);
    refused(&["resume", last_s]);
    let replay = t.path().join("replay");
    refused(&["replay", last_s, "--out", replay.to_str().unwrap()]);
    // Two "runs" holding the fixture as their final checkpoint: `verify` compares their
    // tensors only with the flag (without it the checkpoint is unreadable: not identical).
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    for d in [&a, &b] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::copy(&fixture, d.join("final.safetensors")).unwrap();
        std::fs::write(d.join("trace.jsonl"), "").unwrap();
    }
    let (a_s, b_s) = (a.to_str().unwrap(), b.to_str().unwrap());
    let out = ditto(&["verify", a_s, b_s]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("--allow-unverified-header"), "{text}");
    let same = warned(&["verify", a_s, b_s, "--allow-unverified-header"], 0);
    assert!(same.contains("IDENTICAL"), "{same}");
    let resumed = warned(
        &["resume", run.to_str().unwrap(), "--allow-unverified-header"],
        0,
    );
    assert_eq!(fingerprint(&resumed), STEP10);
    // What the resume wrote is version 2: it loads without the flag.
    ok(&["inspect", run.join("final.safetensors").to_str().unwrap()]);
}
