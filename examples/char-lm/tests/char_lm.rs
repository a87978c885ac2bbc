//! The character-level language model across processes (the built binary): the full run
//! gives the published fingerprint, validation and test losses and sample (README.md has the
//! same numbers); its first 100 steps give the pinned prefix fingerprint at 1 and 2 threads,
//! 0 and 3 loader workers, across a stop and a resume, with `DITTO_SIMD=off`, in a build whose
//! matrixmultiply is restricted to SSE2 (`DITTO_CHARLM_SSE2_BIN`, set by `.ci/run`) and on
//! Wgpu (lavapipe in CI).

#[cfg(feature = "wgpu")]
#[path = "../../../crates/ditto-kernels/tests/common/wgpu_probe.rs"]
mod wgpu_probe;

use std::path::Path;
use std::process::Command;

const EXE: &str = env!("CARGO_BIN_EXE_ditto-example-char-lm");

/// The full run (seed 0, 922 steps): the final weights' fingerprint.
const FULL_FINGERPRINT: &str = "580bd2ec442e84db731b920891b795f2ea31805550348b60066a5e23ad35efcc";
/// Its best validation loss (nats per character, as printed) and the step it was evaluated at.
const FULL_BEST_VALID: &str = "1.5042233 nats/char at step 900";
/// Its test loss (nats per character, as printed).
const FULL_TEST: &str = "1.4899865 nats/char";
/// The 200 characters sampled from its best checkpoint after the prompt.
const FULL_SAMPLE: &str = "In the beginnings of nife, thy shall reaplead Jlage.\nAnd the LORD shall \
be the camper flear upon a whichto the mong of the heardsion Sritut of the LORD, will the earth \
dest of the place of the made offerings of the L";

/// `--max-steps 100`: the weights after the full run's first 100 steps (the schedule does not
/// depend on the run's length).
const PREFIX_FINGERPRINT: &str = "058fd43870e160fa5c9295af96b76b53240760359b4c42f53c19064a8db76e8a";
const PREFIX: [&str; 4] = ["--max-steps", "100", "--sample", "0"];

/// Runs `bin` with `args` and `env`; its stdout (the run must succeed).
fn run(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{args:?} {env:?}: {stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}

/// The text after `key` on its line of `stdout`.
fn line<'a>(stdout: &'a str, key: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key:?} in {stdout}"))
        .trim()
}

/// The prefix run's fingerprint with `bin` into `out`, with `extra` flags and `env`.
fn prefix(bin: &Path, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = vec!["--out", out.to_str().unwrap()];
    args.extend(PREFIX);
    args.extend(extra);
    line(&run(bin, &args, env), "fingerprint:").to_owned()
}

fn exe() -> &'static Path {
    Path::new(EXE)
}

#[test]
fn the_full_run_gives_the_published_numbers_and_sample() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("full");
    let stdout = run(exe(), &["--out", out.to_str().unwrap()], &[]);
    println!("{stdout}");
    assert_eq!(line(&stdout, "fingerprint:"), FULL_FINGERPRINT);
    assert_eq!(line(&stdout, "best validation loss:"), FULL_BEST_VALID);
    assert_eq!(line(&stdout, "test loss:"), FULL_TEST);
    assert_eq!(line(&stdout, "sample:"), format!("{FULL_SAMPLE:?}"));
    // The target: well under 2 nats per character (a unigram model: 3.04).
    let best: f64 = FULL_BEST_VALID.split(' ').next().unwrap().parse().unwrap();
    assert!(best <= 2.0, "{best}");
    // The best checkpoint the sample came from is kept, and the prefix is this run's first
    // 100 steps (its trace records the same parameters' fingerprint at step 100).
    assert!(out.join("checkpoints/best-00000900.safetensors").is_file());
    let trace = std::fs::read_to_string(out.join("trace.jsonl")).unwrap();
    let at_100 = trace
        .lines()
        .find(|l| l.starts_with("{\"step\":100,"))
        .unwrap();
    assert!(at_100.contains(PREFIX_FINGERPRINT), "{at_100}");
}

#[test]
fn the_readme_publishes_the_pinned_numbers() {
    let readme = include_str!("../README.md");
    for pinned in [
        FULL_FINGERPRINT,
        FULL_BEST_VALID,
        FULL_TEST,
        FULL_SAMPLE,
        PREFIX_FINGERPRINT,
    ] {
        assert!(readme.contains(pinned), "README.md lacks {pinned:?}");
    }
}

#[test]
fn the_prefix_is_the_same_at_any_threads_workers_resume_and_simd_level() {
    let t = tempfile::tempdir().unwrap();
    let p = |n: &str| t.path().join(n);
    let one = prefix(exe(), &p("a"), &["--threads", "1", "--workers", "0"], &[]);
    assert_eq!(one, PREFIX_FINGERPRINT, "1 thread, 0 workers");
    let two = prefix(exe(), &p("b"), &["--threads", "2", "--workers", "3"], &[]);
    assert_eq!(two, PREFIX_FINGERPRINT, "2 threads, 3 workers");
    let scalar = prefix(exe(), &p("c"), &[], &[("DITTO_SIMD", "off")]);
    assert_eq!(scalar, PREFIX_FINGERPRINT, "DITTO_SIMD=off");
    // Stopped at step 50 (2 threads), resumed with 1 thread and 3 workers.
    let stopped = prefix(exe(), &p("d"), &["--stop-at", "50", "--threads", "2"], &[]);
    assert_ne!(stopped, PREFIX_FINGERPRINT, "the stop took");
    let out = p("d");
    let resumed = run(
        exe(),
        &[
            "--out",
            out.to_str().unwrap(),
            "--resume",
            "--sample",
            "0",
            "--threads",
            "1",
            "--workers",
            "3",
        ],
        &[],
    );
    assert_eq!(line(&resumed, "steps:"), "100");
    assert_eq!(
        line(&resumed, "fingerprint:"),
        PREFIX_FINGERPRINT,
        "resumed"
    );
}

/// A build whose matrixmultiply is restricted to SSE2 (`MMTEST_FEATURE=sse2` at compile time,
/// `--no-default-features`), named by `DITTO_CHARLM_SSE2_BIN`: canonical mode gives the pinned
/// prefix. `.ci/run` builds it; without the variable this test says so and passes.
#[test]
fn the_prefix_in_an_sse2_build_gives_the_pinned_bits() {
    let Some(bin) = std::env::var_os("DITTO_CHARLM_SSE2_BIN") else {
        eprintln!(
            "SKIPPED the_prefix_in_an_sse2_build_gives_the_pinned_bits: DITTO_CHARLM_SSE2_BIN \
             is not set (.ci/run sets it to a build made with MMTEST_FEATURE=sse2)"
        );
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let fp = prefix(Path::new(&bin), &t.path().join("sse2"), &[], &[]);
    assert_eq!(fp, PREFIX_FINGERPRINT, "{}", bin.to_string_lossy());
}

/// The prefix on Wgpu (lavapipe in CI) gives the CPU's bits.
#[cfg(feature = "wgpu")]
#[test]
fn the_prefix_on_wgpu_gives_the_cpu_bits() {
    if !wgpu_probe::wgpu_available("the_prefix_on_wgpu_gives_the_cpu_bits") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let fp = prefix(exe(), &t.path().join("wgpu"), &["--backend", "wgpu"], &[]);
    assert_eq!(fp, PREFIX_FINGERPRINT, "Wgpu");
}
