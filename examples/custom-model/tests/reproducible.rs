//! The custom model trains to the same bits in two processes with different thread counts.

use std::process::Command;

fn fingerprint(dir: &std::path::Path, threads: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ditto-example-custom-model"))
        .arg(dir)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap()
        .to_owned()
}

#[test]
fn custom_model_is_reproducible_across_processes_and_threads() {
    let t = tempfile::tempdir().unwrap();
    let a = fingerprint(&t.path().join("a"), "1");
    let b = fingerprint(&t.path().join("b"), "2");
    assert_eq!(a, b);
    assert_eq!(a.len(), 64);
    // The run directory is complete: checkpoint, trace and report.
    for f in [
        "final.safetensors",
        "trace.jsonl",
        "report.md",
        "curves.svg",
    ] {
        assert!(t.path().join("a").join(f).is_file(), "{f}");
    }
}
