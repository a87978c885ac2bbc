//! `ditto predict`: a trained bundled model's outputs for new inputs. In canonical mode each
//! input's output bits are the same at batch sizes 1, 7 and 64, at any position in the batch,
//! and at 1 and 2 threads (separate processes); outputs depend on the weights (another
//! checkpoint gives other bits); the predictions of a CSV run's test file score the accuracy
//! the run itself recorded; bad input is refused with a clear error.

use crate::common;

use std::path::{Path, PathBuf};

use common::{DITTO, ditto, ok};

/// Trains `example` in canonical mode for `steps` steps into `dir/name`.
fn train(dir: &Path, example: &str, steps: &str, name: &str) -> PathBuf {
    let out = dir.join(name);
    ok(&[
        "train",
        "--example",
        example,
        "--mode",
        "canonical",
        "--max-steps",
        steps,
        "--out",
        out.to_str().unwrap(),
    ]);
    out
}

/// An IDX file of `n` images `h x w` of u8 pixels at most `max`, from a fixed pattern.
fn idx_images(path: &Path, n: u32, h: u32, w: u32, max: u32) {
    let mut b = vec![0, 0, 0x08, 3];
    for d in [n, h, w] {
        b.extend_from_slice(&d.to_be_bytes());
    }
    let count = (n * h * w) as u64;
    b.extend((0..count).map(|i| (((i * 2_654_435_761) >> 7) % u64::from(max + 1)) as u8));
    std::fs::write(path, b).unwrap();
}

/// The same images with the samples in reverse order.
fn reversed_idx(from: &Path, to: &Path, n: usize, size: usize) {
    let b = std::fs::read(from).unwrap();
    let (head, body) = b.split_at(16);
    let mut out = head.to_vec();
    for s in (0..n).rev() {
        out.extend_from_slice(&body[s * size..(s + 1) * size]);
    }
    std::fs::write(to, out).unwrap();
}

/// `ditto predict run --input input` with `extra`, requiring success; the CSV it wrote.
fn predict(run: &Path, input: &Path, extra: &[&str]) -> String {
    let mut args = vec!["predict", run.to_str().unwrap(), "--input"];
    args.push(input.to_str().unwrap());
    args.extend_from_slice(extra);
    ok(&args)
}

/// The CSV's data rows without their `row` column.
fn rows(csv: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .map(|l| l.split_once(',').unwrap().1.to_owned())
        .collect()
}

/// Every batch size and thread count gives the same bytes (the same bits: values are written
/// as shortest round-trip decimals), and reversing the inputs reverses the rows.
fn assert_batch_invariant(run: &Path, input: &Path, reversed: &Path, n: usize) -> String {
    let base = predict(run, input, &["--batch-size", "64", "--threads", "1"]);
    assert_eq!(rows(&base).len(), n);
    for (batch, threads) in [("1", "1"), ("7", "2"), ("64", "2"), ("7", "1")] {
        let other = predict(run, input, &["--batch-size", batch, "--threads", threads]);
        assert_eq!(other, base, "batch size {batch}, {threads} threads");
    }
    let mut back = rows(&predict(run, reversed, &["--batch-size", "7"]));
    back.reverse();
    assert_eq!(
        back,
        rows(&base),
        "positions in the batch changed the outputs"
    );
    base
}

#[test]
fn canonical_outputs_are_the_same_bits_for_every_batch_size_position_and_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 100 inputs: batches of 7 end with a partial one, batches of 64 split them unevenly.
    idx_images(&d.join("digits-ubyte"), 100, 8, 8, 16);
    reversed_idx(
        &d.join("digits-ubyte"),
        &d.join("digits-rev-ubyte"),
        100,
        64,
    );
    for example in ["digits-mlp", "digits-transformer"] {
        let run = train(d, example, "20", example);
        let base = assert_batch_invariant(
            &run,
            &d.join("digits-ubyte"),
            &d.join("digits-rev-ubyte"),
            100,
        );
        assert!(base.starts_with("row,prediction,logit_0,"), "{base}");
        // The outputs are the weights': the run's checkpoint file as `RUN` predicts the
        // same, a run stopped earlier other bits.
        let file = predict(&run.join("final.safetensors"), &d.join("digits-ubyte"), &[]);
        assert_eq!(file, base);
        let early = train(d, example, "12", &format!("{example}-12"));
        let other = predict(&early, &d.join("digits-ubyte"), &[]);
        assert_ne!(
            rows(&other),
            rows(&base),
            "{example}: weights changed nothing"
        );
    }
    idx_images(&d.join("fashion-ubyte"), 100, 28, 28, 255);
    reversed_idx(
        &d.join("fashion-ubyte"),
        &d.join("fashion-rev-ubyte"),
        100,
        784,
    );
    let run = train(d, "fashion-cnn", "10", "cnn");
    assert_batch_invariant(
        &run,
        &d.join("fashion-ubyte"),
        &d.join("fashion-rev-ubyte"),
        100,
    );
}

/// A CSV data set: `n` samples of 3 features, text labels by which feature is largest.
fn csv_rows(n: usize, salt: usize) -> String {
    let names = ["alpha", "beta", "gamma"];
    let mut s = String::from("x0,x1,kind,x2\n");
    for i in 0..n {
        let f: Vec<f32> = (0..3)
            .map(|k| ((i * 7 + k * 13 + salt) * 2_654_435_761 % 1000) as f32 / 100.0)
            .collect();
        let c = (0..3).fold(0, |b, k| if f[k] > f[b] { k } else { b });
        s.push_str(&format!("{},{},{},{}\n", f[0], f[1], names[c], f[2]));
    }
    s
}

#[test]
fn a_csv_runs_test_file_predicted_scores_the_runs_own_test_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("train.csv"), csv_rows(300, 0)).unwrap();
    std::fs::write(d.join("test.csv"), csv_rows(90, 5)).unwrap();
    let cfg = d.join("config.toml");
    std::fs::write(
        &cfg,
        "seed = 3\nmode = \"canonical\"\nepochs = 3\nbatch_size = 16\n\
         [model]\nkind = \"mlp\"\nhidden = [16]\n\
         [data]\nsource = \"csv\"\npath = \"train.csv\"\ntest_path = \"test.csv\"\n\
         label = \"kind\"\nheader = true\npixel_max = 10.0\n",
    )
    .unwrap();
    let run = d.join("run");
    ok(&[
        "train",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("summary.json")).unwrap()).unwrap();
    let recorded = summary["test_metrics"]["accuracy"].as_f64().unwrap();
    // The test file as it is, label column and all (its cells are skipped).
    let out = predict(&run, &d.join("test.csv"), &[]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "row,prediction,logit_alpha,logit_beta,logit_gamma"
    );
    let labels: Vec<String> = csv_rows(90, 5)
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().to_owned())
        .collect();
    let right = lines
        .zip(&labels)
        .filter(|(l, label)| l.split(',').nth(1) == Some(label.as_str()))
        .count();
    assert_eq!(right as f64 / 90.0, recorded, "{out}");
    assert!(recorded > 0.5, "the model learned nothing: {recorded}");
    // Without the label column, the same outputs; written to a file.
    let no_label: String = csv_rows(90, 5)
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            format!("{},{},{}\n", c[0], c[1], c[3])
        })
        .collect();
    std::fs::write(d.join("features.csv"), no_label).unwrap();
    let file = d.join("out.csv");
    predict(
        &run,
        &d.join("features.csv"),
        &["--out", file.to_str().unwrap()],
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), out);
}

#[test]
fn bad_inputs_are_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = train(d, "digits-mlp", "5", "mlp");
    let refused = |args: &[&str], says: &str| {
        let o = ditto(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    let r = run.to_str().unwrap();
    // 10x10 images for a model of 64 inputs.
    idx_images(&d.join("big-ubyte"), 3, 10, 10, 16);
    let big = d.join("big-ubyte");
    refused(
        &["predict", r, "--input", big.to_str().unwrap()],
        "the model reads [64]",
    );
    std::fs::write(d.join("short.csv"), "1,2,3\n").unwrap();
    let short = d.join("short.csv");
    refused(
        &["predict", r, "--input", short.to_str().unwrap()],
        "the model reads 64 features",
    );
    std::fs::write(d.join("junk-ubyte"), b"not idx").unwrap();
    let junk = d.join("junk-ubyte");
    refused(
        &["predict", r, "--input", junk.to_str().unwrap()],
        "junk-ubyte",
    );
    idx_images(&d.join("ok-ubyte"), 3, 8, 8, 16);
    let input = d.join("ok-ubyte");
    let i = input.to_str().unwrap();
    refused(
        &["predict", r, "--input", i, "--batch-size", "0"],
        "batch size must be at least 1",
    );
    refused(
        &["predict", r, "--input", i, "--best"],
        "no best checkpoint",
    );
    let missing = d.join("absent");
    refused(
        &["predict", missing.to_str().unwrap(), "--input", i],
        "no such run directory",
    );
    // Nothing is written where the outputs would go when predicting fails.
    let out = d.join("never.csv");
    let o = std::process::Command::new(DITTO)
        .args(["predict", r, "--input", big.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(!out.exists());
}
