//! The published numbers are pinned: each fingerprint the READMEs print is recomputed here
//! in a separate process, and the READMEs are checked to print these very values. A change
//! that moves one fails here, and is a Reproducibility-breaking CHANGELOG entry.

use std::ffi::OsStr;
use std::process::Command;

/// `ditto train --example digits-mlp` (run-to-run, NdArray, seed 0, 880 steps). Run-to-run:
/// pinned on the x86-64 machines this project builds and tests on.
const DIGITS_RUN_TO_RUN: &str = "f02ca20edace8666cfae543f30a78ef34190fed9e1a7987dda2ce7dddca8b57b";
/// `ditto train --example digits-mlp --mode canonical`: portable.
const DIGITS_CANONICAL: &str = "19719f9fd2e5b59ada5946aa2b87848b6b3336c09c1c12a77a7ff95d1e83cc0c";
/// `ditto train --example digits-transformer` (run-to-run, NdArray, seed 0, 528 steps).
const TRANSFORMER_RUN_TO_RUN: &str =
    "a1a7d5716118c5982ab50a7e5addb8bbe54cde0ee9a7cc99fb75bbbf0078f171";
/// `ditto train --example fashion-cnn` (run-to-run, NdArray, seed 0, 558 steps).
const FASHION_RUN_TO_RUN: &str = "f89cbd349c7e4d1c18111f5b69e51f0895e11534722453e854268068491c3489";
/// `ditto train --example fashion-cnn --max-steps 30`: the first 30 steps of the fashion CNN.
const FASHION_PREFIX_30: &str = "dd0019a510f3b0722def080f863c1daad8f7dcb771949614f3f435dd4361efa1";

/// `ditto train --config examples/own-data/config.toml` (canonical, IDX files by path).
const OWN_DATA_CANONICAL: &str = "f3f0ef44d0e5604976d3b01578da0c3fac6aff44fd00187a0f4bca9de60419e2";

/// Runs the `ditto` binary with `args`; its stdout, after checking that it succeeded.
fn ditto<S: AsRef<OsStr> + std::fmt::Debug>(args: &[S]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ditto"))
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

/// `ditto train ARGS` into a fresh directory; the fingerprint it prints.
fn train(args: &[&str]) -> String {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    let mut all: Vec<&OsStr> = vec!["train".as_ref(), "--out".as_ref(), run.as_os_str()];
    all.extend(args.iter().map(OsStr::new));
    ditto(&all)
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap()
        .to_owned()
}

fn readme(path: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../");
    std::fs::read_to_string(format!("{root}{path}")).unwrap()
}

#[test]
fn digits_mlp_fingerprints_are_the_published_ones() {
    assert_eq!(
        train(&["--example", "digits-mlp"]),
        DIGITS_RUN_TO_RUN,
        "run-to-run fingerprint moved (or this CPU picks other matrixmultiply kernels)"
    );
    assert_eq!(
        train(&["--example", "digits-mlp", "--mode", "canonical"]),
        DIGITS_CANONICAL
    );
}

/// The example's README promises its fingerprint for any `--threads`, any `--workers` and
/// after a stop and resume: its rank-3 `linear`s run ditto's kernels in run-to-run mode too.
#[test]
fn digits_transformer_fingerprint_is_the_published_one() {
    published_anyhow("digits-transformer", TRANSFORMER_RUN_TO_RUN, "201");
}

/// The same promise for fashion-cnn: convolution, pooling, relu and the large dense layer run
/// ditto's kernels in run-to-run mode, the classifier burn-ndarray's (same bits for any
/// thread count: matrixmultiply never splits K).
#[test]
fn fashion_cnn_fingerprint_is_the_published_one() {
    assert_eq!(
        train(&["--example", "fashion-cnn", "--max-steps", "30"]),
        FASHION_PREFIX_30
    );
    published_anyhow("fashion-cnn", FASHION_RUN_TO_RUN, "250");
}

/// `example`'s run-to-run fingerprint is `want` with the defaults, at 1 thread and 3 workers,
/// and when stopped at step `stop` and resumed on 1 thread; each run in its own process.
fn published_anyhow(example: &str, want: &str, stop: &str) {
    assert_eq!(
        train(&["--example", example]),
        want,
        "run-to-run fingerprint moved (or this CPU picks other matrixmultiply kernels)"
    );
    let other = ["--example", example, "--threads", "1", "--workers", "3"];
    assert_eq!(train(&other), want, "1 thread, 3 workers");
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    let run_arg = run.to_str().unwrap();
    ditto(&[
        "train",
        "--example",
        example,
        "--stop-at",
        stop,
        "--out",
        run_arg,
    ]);
    let resumed = ditto(&["resume", run_arg, "--threads", "1"]);
    assert!(
        resumed.contains(&format!("fingerprint: {want}")),
        "stopped at step {stop} and resumed on 1 thread: {resumed}"
    );
}

#[test]
fn own_data_example_fingerprint_is_the_published_one() {
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/own-data/config.toml"
    );
    assert_eq!(train(&["--config", config]), OWN_DATA_CANONICAL);
    let other = ["--config", config, "--threads", "1", "--workers", "3"];
    assert_eq!(train(&other), OWN_DATA_CANONICAL);
    let readme = readme("examples/own-data/README.md");
    assert!(readme.contains(&format!("fingerprint: {OWN_DATA_CANONICAL}")));
}

#[test]
fn the_readmes_print_the_pinned_values() {
    let top = readme("README.md");
    assert!(top.contains(&format!("fingerprint: {DIGITS_RUN_TO_RUN}")));
    let digits = readme("examples/digits-mlp/README.md");
    assert!(digits.contains(&format!("fingerprint: {DIGITS_RUN_TO_RUN}")));
    assert!(digits.contains(DIGITS_CANONICAL));
    let fashion = readme("examples/fashion-cnn/README.md");
    assert!(fashion.contains(FASHION_PREFIX_30), "fashion-cnn README");
    assert!(fashion.contains(&format!("fingerprint: {FASHION_RUN_TO_RUN}")));
    let transformer = readme("examples/digits-transformer/README.md");
    assert!(transformer.contains(&format!("fingerprint: {TRANSFORMER_RUN_TO_RUN}")));
}

/// The feature guard (`tests/feature-guard/`, outside the workspace, `scripts/feature-guard.sh`)
/// trains the examples with burn-ndarray's `simd` on and compares with these pins: it must
/// repeat them (it cannot import them, being no member of the workspace).
#[test]
fn the_feature_guard_checks_the_pinned_values() {
    let guard = readme("tests/feature-guard/src/main.rs");
    for pin in [
        DIGITS_RUN_TO_RUN,
        DIGITS_CANONICAL,
        TRANSFORMER_RUN_TO_RUN,
        FASHION_PREFIX_30,
    ] {
        assert!(
            guard.contains(pin),
            "tests/feature-guard/src/main.rs lacks {pin}"
        );
    }
}
