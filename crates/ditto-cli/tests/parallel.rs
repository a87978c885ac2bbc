//! `[parallel]` in canonical mode, as separate processes: a step's batch cut into
//! `peers x accumulate` micro-batches gives the final weights of the uncut batch, bit for bit,
//! for peers 1, 2, 3, 4, 8 and accumulate 1, 2, 4, 8, on the three bundled models (their
//! example configs with a batch of 128, so that 8 x 8 micro-batches hold two samples each); a
//! run stopped with 4 peers and resumed with 1 peer and 2 micro-batches ends identical; and
//! the configurations that cannot keep that promise are refused with a clear error.

use crate::common;

use std::path::{Path, PathBuf};

use common::{ditto, fingerprint, ok};

const PEERS: [usize; 5] = [1, 2, 3, 4, 8];
const ACCUMULATE: [usize; 4] = [1, 2, 4, 8];

/// The example's resolved config with `batch_size = batch`, written into `dir`.
fn config(example: &str, batch: usize, dir: &Path) -> PathBuf {
    let toml = ok(&["train", "--example", example, "--print-config"]);
    let mut found = false;
    let text: Vec<String> = toml
        .lines()
        .map(|l| {
            if l.starts_with("batch_size = ") {
                found = true;
                format!("batch_size = {batch}")
            } else {
                l.to_owned()
            }
        })
        .collect();
    assert!(found, "no batch_size in {toml}");
    let path = dir.join(format!("{example}.toml"));
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    path
}

/// `ditto train --config cfg --mode canonical --max-steps steps --peers w --accumulate k
/// --out out extra...`: its stdout.
fn train_out(cfg: &Path, out: &Path, steps: usize, w: usize, k: usize, extra: &[&str]) -> String {
    let steps = steps.to_string();
    let (w, k) = (w.to_string(), k.to_string());
    let mut args = vec![
        "train",
        "--config",
        cfg.to_str().unwrap(),
        "--mode",
        "canonical",
        "--max-steps",
        &steps,
        "--peers",
        &w,
        "--accumulate",
        &k,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

/// [`train_out`]'s fingerprint.
fn train(cfg: &Path, out: &Path, steps: usize, w: usize, k: usize, extra: &[&str]) -> String {
    fingerprint(&train_out(cfg, out, steps, w, k, extra))
}

/// Every peers x accumulate pair gives the fingerprint of 1 x 1.
fn grid(example: &str, steps: usize) {
    let t = tempfile::tempdir().unwrap();
    let cfg = config(example, 128, t.path());
    let reference = train(&cfg, &t.path().join("1x1"), steps, 1, 1, &[]);
    let mut differ = Vec::new();
    for w in PEERS {
        for k in ACCUMULATE {
            if (w, k) == (1, 1) {
                continue;
            }
            let out = t.path().join(format!("{w}x{k}"));
            let fp = train(&cfg, &out, steps, w, k, &[]);
            if fp != reference {
                differ.push(format!("peers {w} accumulate {k}: {fp}"));
            } else if (w, k) == (3, 4) {
                // Every step's loss bits and weights too, not only the last ones.
                let both = [t.path().join("1x1"), out.clone()];
                let report = ok(&[
                    "verify",
                    both[0].to_str().unwrap(),
                    both[1].to_str().unwrap(),
                ]);
                assert!(report.contains("IDENTICAL"), "{example} 3 x 4: {report}");
            }
            // Only the reference's directory is needed afterwards.
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    assert!(
        differ.is_empty(),
        "{example}, {steps} steps: 1 x 1 gives {reference}, but\n{}",
        differ.join("\n")
    );
}

#[test]
fn digits_mlp_any_peers_and_accumulate() {
    grid("digits-mlp", 14);
}

#[test]
fn digits_transformer_any_peers_and_accumulate() {
    grid("digits-transformer", 8);
}

#[test]
fn fashion_cnn_100_steps_any_peers_and_accumulate() {
    grid("fashion-cnn", 100);
}

/// Stopped at step 5 with 4 peers, resumed with 1 peer and 2 micro-batches (and 3 threads):
/// the weights of the uninterrupted 1 x 1 run.
#[test]
fn resume_with_other_peers_and_accumulate() {
    let t = tempfile::tempdir().unwrap();
    let cfg = config("digits-mlp", 128, t.path());
    let whole = train(&cfg, &t.path().join("whole"), 12, 1, 1, &[]);
    let run = t.path().join("cut");
    let stopped = train_out(&cfg, &run, 12, 4, 1, &["--stop-at", "5"]);
    assert!(run.join("last.safetensors").exists(), "{stopped}");
    let resumed = ok(&[
        "resume",
        run.to_str().unwrap(),
        "--peers",
        "1",
        "--accumulate",
        "2",
        "--threads",
        "3",
    ]);
    assert_eq!(fingerprint(&resumed), whole);
}

/// Refused before training, naming the setting: too many micro-batches for the batch, peers
/// without the decorator, a count of 0.
#[test]
fn impossible_cuts_are_refused() {
    let cases: [(&[&str], &str); 3] = [
        (
            &["--peers", "8", "--accumulate", "8"],
            "batch_size of at least 128",
        ),
        (&["--peers", "2", "--mode", "off"], "need ditto's decorator"),
        (&["--accumulate", "0"], "accumulate in 1..=1024"),
    ];
    for (extra, want) in cases {
        let mut args = vec!["train", "--example", "digits-mlp", "--max-steps", "1"];
        args.extend_from_slice(extra);
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("r");
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        let o = ditto(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{extra:?} was accepted");
        assert!(err.contains(want), "{extra:?}: {err}");
        assert!(!err.contains("panicked"), "{extra:?}: {err}");
    }
}
