//! Reliability of the `ditto` binary: a kill campaign (SIGKILL at 20 seeded random moments of
//! `train` and `resume`, each run resumed to the end and compared byte for byte with the
//! uninterrupted run), one writer per run directory, unwritable output directories refused
//! before training, and damaged checkpoints refused by `ditto inspect` with exit code 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ditto_rng::Seed;

use crate::common;

use common::{DITTO, ditto, ok};

/// digits-mlp with a checkpoint every `every` steps (two kept), `steps` steps in all.
fn config(dir: &Path, every: usize, steps: usize) -> PathBuf {
    let cfg = include_str!("../../../examples/digits-mlp/config.toml")
        .replace(
            "checkpoint_every = 200",
            &format!("checkpoint_every = {every}"),
        )
        .replace("keep_checkpoints = 3", "keep_checkpoints = 2")
        .replace("epochs = 20", &format!("epochs = 20\nmax_steps = {steps}"));
    let path = dir.join(format!("every{every}.toml"));
    std::fs::write(&path, cfg).unwrap();
    path
}

fn has_checkpoint(run: &Path) -> bool {
    run.join("last.safetensors").is_file()
        || std::fs::read_dir(run.join("checkpoints"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .any(|e| e.file_name().to_string_lossy().starts_with("step-"))
            })
            .unwrap_or(false)
}

/// Starts `args`, sends SIGKILL after `delay` (if it is still running); true if killed.
fn run_and_kill(args: &[&str], delay: Duration) -> bool {
    let mut child = Command::new(DITTO)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < delay {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "ditto {args:?} failed before the kill");
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    true
}

#[test]
fn kill_campaign_20_sigkills_then_resume_gives_the_uninterrupted_bytes() {
    let t = tempfile::tempdir().unwrap();
    let cfg = config(t.path(), 7, 150);
    let cfg = cfg.to_str().unwrap();
    let full = t.path().join("full");
    let begun = Instant::now();
    ok(&["train", "--config", cfg, "--out", full.to_str().unwrap()]);
    let span = begun.elapsed();
    let reference = std::fs::read(full.join("final.safetensors")).unwrap();
    let trace = std::fs::read(full.join("trace.jsonl")).unwrap();
    // Runs killed up to 4 times each (first in `train`, then in `resume`), each at a random
    // moment within the uninterrupted run's duration, then resumed to the end. A moment that
    // falls after the process has finished ends that run early; new runs start until 20
    // SIGKILLs have landed.
    let mut stream = Seed::from_u64(15).derive("kill-campaign").stream();
    let (mut kills, mut moments, mut chains, mut resume_kills) = (0, 0, 0, 0);
    while kills < 20 {
        let run = t.path().join(format!("run{chains}"));
        let run_s = run.to_str().unwrap();
        let mut chain_kills = 0;
        while kills < 20 && chain_kills < 4 {
            let delay = span.mul_f64((stream.next_u64() % 1000) as f64 / 1000.0);
            moments += 1;
            let resuming = has_checkpoint(&run);
            // A run killed before its first checkpoint left files but nothing to resume: it is
            // started again over them (`--force`; a fresh run is refused there otherwise).
            let killed = if resuming {
                run_and_kill(&["resume", run_s], delay)
            } else {
                run_and_kill(
                    &["train", "--config", cfg, "--force", "--out", run_s],
                    delay,
                )
            };
            if !killed {
                break;
            }
            kills += 1;
            resume_kills += usize::from(resuming);
            chain_kills += 1;
        }
        if has_checkpoint(&run) {
            ok(&["resume", run_s]);
        } else {
            ok(&["train", "--config", cfg, "--force", "--out", run_s]);
        }
        let got = std::fs::read(run.join("final.safetensors")).unwrap();
        assert!(got == reference, "run {chains}: final checkpoint differs");
        let got_trace = std::fs::read(run.join("trace.jsonl")).unwrap();
        assert!(got_trace == trace, "run {chains}: trace differs");
        assert!(!run.join("ditto.lock").exists(), "run {chains}: lock left");
        for dir in [run.clone(), run.join("checkpoints")] {
            for e in std::fs::read_dir(&dir).unwrap() {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                assert!(
                    !name.contains(".tmp-"),
                    "run {chains}: temporary {name} left"
                );
            }
        }
        chains += 1;
        assert!(
            moments < 200,
            "kills keep missing: {kills} of {moments} moments landed"
        );
    }
    assert!(
        resume_kills > 0 && resume_kills < kills,
        "{resume_kills} of {kills} kills hit `resume`: both commands must be killed"
    );
    eprintln!(
        "kill campaign: {kills} SIGKILLs ({resume_kills} of `resume`) ({moments} random moments) over {chains} runs, every \
         final checkpoint and trace identical to the uninterrupted run; {:.1} s",
        begun.elapsed().as_secs_f64()
    );
}

#[test]
fn a_second_writer_is_refused_and_a_killed_writers_lock_is_taken_over() {
    let t = tempfile::tempdir().unwrap();
    // The first writer must still run when the second starts: 20 epochs (880 steps, a fraction
    // of a second) raced with the second's start on a loaded machine, so it trains for
    // 100,000 steps here (it is killed long before).
    let cfg = config(t.path(), 100_000, 100_000);
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("epochs = 20\n", "epochs = 100000\n");
    assert!(text.contains("epochs = 100000"), "{text}");
    std::fs::write(&cfg, text).unwrap();
    let run = t.path().join("run");
    let run_s = run.to_str().unwrap();
    let mut first = Command::new(DITTO)
        .args(["train", "--config", cfg.to_str().unwrap(), "--out", run_s])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = run.join("ditto.lock");
    let pid = first.id().to_string();
    let start = Instant::now();
    while std::fs::read_to_string(&lock).map_or(true, |s| s.trim() != pid) {
        assert!(start.elapsed() < Duration::from_secs(30), "no lock file");
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = ditto(&["train", "--example", "digits-mlp", "--out", run_s]);
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("in use by process {pid}")), "{err}");
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(lock.exists(), "a killed writer cannot remove its lock");
    // The killed run left its files: a fresh run is refused, naming them, ...
    let refused = ditto(&["train", "--example", "digits-mlp", "--out", run_s]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(err.contains("already holds a run (config.toml"), "{err}");
    // ... and `--force` replaces it, taking the dead writer's lock over.
    let out = ditto(&[
        "train",
        "--config",
        cfg.to_str().unwrap(),
        "--max-steps",
        "3",
        "--force",
        "--out",
        run_s,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("stale lock of process {pid}")),
        "{err}"
    );
    assert!(!lock.exists());
}

#[test]
fn unwritable_output_directories_are_refused_before_training() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let mut outs = vec![file.join("run")];
    if Path::new("/proc/self").exists() {
        outs.push(PathBuf::from("/proc/ditto-run")); // read-only even for root
    }
    for out in outs {
        let o = ditto(&[
            "train",
            "--example",
            "digits-mlp",
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("cannot create run directory"), "{err}");
        assert!(
            !err.contains("step ") && o.stdout.is_empty(),
            "trained anyway: {err}"
        );
    }
}

#[test]
fn inspect_refuses_flipped_bits_with_exit_code_2() {
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run");
    ok(&[
        "train",
        "--example",
        "digits-mlp",
        "--max-steps",
        "3",
        "--out",
        run.to_str().unwrap(),
    ]);
    let good = std::fs::read(run.join("final.safetensors")).unwrap();
    let text = ok(&["inspect", run.join("final.safetensors").to_str().unwrap()]);
    assert!(text.contains("integrity: header hash verified"), "{text}");
    let header_end = 8 + u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let mut stream = Seed::from_u64(15).derive("inspect-flips").stream();
    let flipped = t.path().join("flipped.safetensors");
    for i in 0..12 {
        // Half in the header, half in the tensor bytes.
        let bit = if i % 2 == 0 {
            stream.next_u64() as usize % (header_end * 8)
        } else {
            header_end * 8 + stream.next_u64() as usize % ((good.len() - header_end) * 8)
        };
        let mut bytes = good.clone();
        bytes[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&flipped, &bytes).unwrap();
        let o = ditto(&["inspect", flipped.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "bit {bit}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains("flipped.safetensors"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "bit {bit}: {err}");
    }
}
