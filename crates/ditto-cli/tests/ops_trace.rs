//! `--trace-ops` and `ditto verify --ops` end to end (separate `ditto` processes), and
//! `ditto sweep --simd`.

use std::path::Path;
use std::process::{Command, Output};

fn ditto(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ditto"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs `ditto`, checks its exit code, returns stdout and stderr.
fn expect(code: i32, args: &[&str]) -> (String, String) {
    let o = ditto(args);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(code), "ditto {args:?}:\n{out}\n{err}");
    (out, err)
}

/// `ditto train` of 3 digits-mlp steps into `dir` with `extra` flags, expecting exit `code`.
fn train_expect(code: i32, dir: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec![
        "train",
        "--example",
        "digits-mlp",
        "--max-steps",
        "3",
        "--out",
        dir,
    ];
    args.extend_from_slice(extra);
    expect(code, &args)
}

/// A digits-mlp run of 3 steps into `dir` with `extra` flags.
fn train(dir: &Path, extra: &[&str]) {
    train_expect(0, dir.to_str().unwrap(), extra);
}

fn verify_ops(a: &Path, b: &Path) -> Output {
    ditto(&["verify", "--ops", a.to_str().unwrap(), b.to_str().unwrap()])
}

#[test]
fn canonical_traces_match_across_threads_and_unequal_ones_misalign() {
    let t = tempfile::tempdir().unwrap();
    let (one, two, longer) = (t.path().join("t1"), t.path().join("t2"), t.path().join("l"));
    let canon = ["--mode", "canonical", "--trace-ops", "1..2"];
    train(&one, &[&canon[..], &["--threads", "1"]].concat());
    train(&two, &[&canon[..], &["--threads", "2"]].concat());
    let lines = std::fs::read_to_string(one.join("ops.jsonl")).unwrap();
    assert!(lines.lines().count() > 20, "{lines}");
    assert!(lines.contains("\"step\":2") && !lines.contains("\"step\":3"));
    assert!(std::fs::metadata(one.join("ops.bin")).unwrap().len() > 0);

    let o = verify_ops(&one, &two);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(
        out.contains("IDENTICAL") && out.contains("compared 2 steps"),
        "{out}"
    );

    // Steps 1..3 against 1..2: equal where both have ops, then A has step 3 and B does not.
    train(
        &longer,
        &[
            "--mode",
            "canonical",
            "--trace-ops",
            "1..3",
            "--threads",
            "1",
        ],
    );
    let o = verify_ops(&longer, &one);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        out.contains("traces stop aligning at step 3, op 0")
            && out.contains("B has nothing")
            && out.contains("MISALIGNED"),
        "{out}"
    );
    assert!(!out.contains("first divergent op"), "{out}");

    // A resumed run records its own steps: step 3 from the checkpoint at step 2 equals step 3
    // of the uninterrupted run, and a trace of step 3 alone misaligns with 1..3 at step 1.
    let resumed = t.path().join("r");
    train(&resumed, &["--mode", "canonical", "--stop-at", "2"]);
    expect(
        0,
        &["resume", resumed.to_str().unwrap(), "--trace-ops", "3"],
    );
    let (full, part) = (
        ditto_train::OpTrace::read(&longer).unwrap(),
        ditto_train::OpTrace::read(&resumed).unwrap(),
    );
    assert_eq!(part.steps.len(), 1);
    assert_eq!(full.steps[2], part.steps[0], "step 3 after a resume");
    let o = verify_ops(&longer, &resumed);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("step 1, op 0: A has `"), "{out}");
}

#[test]
fn run_to_run_and_canonical_diverge_at_a_named_op() {
    let t = tempfile::tempdir().unwrap();
    let (plain, canon) = (t.path().join("p"), t.path().join("c"));
    let common = ["--trace-ops", "1..2", "--threads", "1"];
    train(&plain, &[&common[..], &["--mode", "run-to-run"]].concat());
    train(&canon, &[&common[..], &["--mode", "canonical"]].concat());
    let o = verify_ops(&plain, &canon);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("DIVERGED"), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("first divergent op: step 1, op "))
        .unwrap_or_else(|| panic!("no divergent op in step 1: {out}"));
    // Measured: both modes' matmuls (K = 64, 128) give the same bits here; the first op
    // that differs is the `exp` of the loss's log-softmax, by 1 ULP.
    let op = line.split('`').nth(1).unwrap_or_default();
    assert_eq!(op, "float_exp", "{out}");
    assert!(out.contains("input shapes: [32, 10]"), "{out}");
    let ulp = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("first differing element: "))
        .and_then(|l| l.split(", ").last())
        .and_then(|l| l.strip_suffix(" ULP"))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no ULP distance: {out}"));
    assert!(ulp > 0, "{out}");
}

#[test]
fn damaged_or_missing_traces_and_bad_flags_are_errors() {
    let t = tempfile::tempdir().unwrap();
    let (run, bare) = (t.path().join("a"), t.path().join("bare"));
    train(&run, &["--trace-ops", "2"]);
    train(&bare, &[]);
    let (_, err) = expect(
        2,
        &[
            "verify",
            "--ops",
            run.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    assert!(
        err.contains("ops.jsonl") && err.contains("--trace-ops"),
        "{err}"
    );

    let copy = |name: &str| {
        let d = t.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for f in ["ops.jsonl", "ops.bin"] {
            std::fs::copy(run.join(f), d.join(f)).unwrap();
        }
        d
    };
    let check = |d: &Path, what: &str| {
        let (_, err) = expect(
            2,
            &[
                "verify",
                "--ops",
                run.to_str().unwrap(),
                d.to_str().unwrap(),
            ],
        );
        assert!(err.contains(what), "{what}: {err}");
    };
    let cut = copy("cut-bin");
    let bin = std::fs::read(cut.join("ops.bin")).unwrap();
    std::fs::write(cut.join("ops.bin"), &bin[..bin.len() / 2]).unwrap();
    check(&cut, "ops.bin: truncated file");
    let flipped = copy("flip-bin");
    let mut bin = std::fs::read(flipped.join("ops.bin")).unwrap();
    let i = bin.len() / 3;
    bin[i] ^= 0x10;
    std::fs::write(flipped.join("ops.bin"), bin).unwrap();
    check(&flipped, "do not match their hash");
    let garbled = copy("garbled-jsonl");
    let lines = std::fs::read_to_string(garbled.join("ops.jsonl")).unwrap();
    std::fs::write(
        garbled.join("ops.jsonl"),
        lines.replacen("\"op\"", "\"oq\"", 1),
    )
    .unwrap();
    check(&garbled, "ops.jsonl: invalid value: line 2");
    let short = copy("cut-jsonl");
    std::fs::write(short.join("ops.jsonl"), &lines[..lines.len() - 7]).unwrap();
    check(&short, "ops.jsonl: truncated file");

    let out = t.path().join("x");
    let o = out.to_str().unwrap();
    for (flags, what) in [
        (&["--trace-ops", "0"][..], "numbered from 1"),
        (&["--trace-ops", "3..1"], "reversed"),
        (&["--trace-ops", "1..x"], "not a step number"),
        (&["--trace-ops", "5..9"], "this run does steps 1..3"),
        (&["--trace-ops", "1", "--mode", "off"], "mode `off`"),
    ] {
        let (_, err) = train_expect(2, o, flags);
        assert!(err.contains(what), "{flags:?}: {err}");
    }
}

#[test]
fn sweep_over_simd_levels_shows_zero_drift_in_canonical_mode() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("sweep");
    let base = [
        "sweep",
        "--example",
        "digits-mlp",
        "--seeds",
        "0",
        "--modes",
        "canonical",
        "--max-steps",
        "3",
        "--out",
        out.to_str().unwrap(),
    ];
    let (_, err) = expect(2, &[&base[..], &["--simd", "auto,avx9"]].concat());
    assert!(err.contains("\"avx9\" is not a SIMD level"), "{err}");
    let (stdout, _) = expect(0, &[&base[..], &["--simd", "auto,off"]].concat());
    assert!(stdout.contains("zero drift"), "{stdout}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("simd [\"auto\", \"off\"]") && report.contains("| simd vs auto | off |"),
        "{report}"
    );
    assert!(
        out.join("cells/canonical-ndarray-t1-w0-simdoff-s0")
            .is_dir()
    );
    assert!(
        out.join("cells/canonical-ndarray-t1-w0-simdauto-s0")
            .is_dir()
    );
}

/// The runs differ from step 1 (run-to-run against canonical mode) but only steps 5..6 are
/// traced: every traced op sees other inputs. That is no match (it was reported IDENTICAL
/// once): `verify --ops` says the runs already differ and which step to trace, and exits 1.
#[test]
fn runs_that_differ_before_the_traced_steps_are_not_identical() {
    let t = tempfile::tempdir().unwrap();
    let (r2r, canon) = (t.path().join("r2r"), t.path().join("canon"));
    for (dir, mode) in [(&r2r, "run-to-run"), (&canon, "canonical")] {
        expect(
            0,
            &[
                "train",
                "--example",
                "digits-mlp",
                "--seed",
                "1",
                "--max-steps",
                "6",
                "--trace-ops",
                "5..6",
                "--mode",
                mode,
                "--out",
                dir.to_str().unwrap(),
            ],
        );
    }
    let (out, _) = expect(
        1,
        &["verify", r2r.to_str().unwrap(), canon.to_str().unwrap()],
    );
    assert!(out.contains("first divergent step: 1"), "{out}");
    let o = verify_ops(&r2r, &canon);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(!out.contains("IDENTICAL"), "{out}");
    assert!(
        out.contains("DIFFERENT: the runs already differ before the traced ops"),
        "{out}"
    );
    assert!(out.contains("no traced op produced it"), "{out}");
    assert!(out.contains("`--trace-ops 1`"), "{out}");
}
