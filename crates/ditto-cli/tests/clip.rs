//! Gradient clipping by the global norm, across processes: in canonical mode the same bits
//! for any thread count and SIMD level, and the clipping really acts (its bits differ from an
//! unclipped run's and from per-tensor clipping's).

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{DITTO, fingerprint, ok};

/// digits-mlp's config with a clip bound (and scope) in front of its tables.
fn config(dir: &Path, name: &str, clip: &str) -> String {
    let example = ok(&["train", "--example", "digits-mlp", "--print-config"]);
    let path = dir.join(name);
    std::fs::write(&path, format!("{clip}\n{example}")).unwrap();
    path.to_str().unwrap().to_owned()
}

fn train(cfg: &str, out: &Path, threads: &str, simd: Option<&str>) -> String {
    let mut cmd = Command::new(DITTO);
    cmd.args([
        "train",
        "--config",
        cfg,
        "--mode",
        "canonical",
        "--max-steps",
        "40",
        "--threads",
        threads,
        "--out",
        out.to_str().unwrap(),
    ]);
    match simd {
        Some(v) => cmd.env("DITTO_SIMD", v),
        None => cmd.env_remove("DITTO_SIMD"),
    };
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    fingerprint(&String::from_utf8_lossy(&o.stdout))
}

#[test]
fn global_norm_clipping_is_canonical_under_threads_and_simd() {
    let t = tempfile::tempdir().unwrap();
    let p = |n: &str| t.path().join(n);
    let global = config(t.path(), "global.toml", "grad_clip_norm = 0.05");
    let a = train(&global, &p("a"), "2", None);
    assert_eq!(train(&global, &p("t1"), "1", None), a, "--threads 1");
    assert_eq!(
        train(&global, &p("off"), "2", Some("off")),
        a,
        "DITTO_SIMD=off"
    );
    // The run records what it clipped.
    let recorded = std::fs::read_to_string(p("a").join("config.toml")).unwrap();
    assert!(
        recorded.contains("grad_clip_scope = \"global\""),
        "{recorded}"
    );

    let none = config(t.path(), "none.toml", "");
    assert_ne!(
        train(&none, &p("none"), "2", None),
        a,
        "the bound never acted"
    );
    let per = config(
        t.path(),
        "per.toml",
        "grad_clip_norm = 0.05\ngrad_clip_scope = \"per-tensor\"",
    );
    assert_ne!(train(&per, &p("per"), "2", None), a, "global is per-tensor");
}
