//! The fine-tuning example across processes: the same bits at 1 and 2 threads and across a
//! stop and resume; the frozen layer is never updated while the rest of the kept body is; the
//! new head is drawn from the seed; a resume with other pretrained weights is refused.

use std::path::Path;
use std::process::{Command, Output};

use ditto::train::Checkpoint;

const EXE: &str = env!("CARGO_BIN_EXE_ditto-example-finetune");

fn run(out: &Path, threads: &str, extra: &[&str]) -> Output {
    Command::new(EXE)
        .arg(out)
        .args(extra)
        .env("RAYON_NUM_THREADS", threads)
        .env("MATMUL_NUM_THREADS", threads)
        .output()
        .unwrap()
}

fn ok(out: &Path, threads: &str, extra: &[&str]) -> String {
    let o = run(out, threads, extra);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn line<'a>(stdout: &'a str, key: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in {stdout}"))
        .trim()
}

fn tensor(ck: &Path, name: &str) -> Vec<f32> {
    Checkpoint::read(ck).unwrap().tensors[name]
        .to_f32()
        .unwrap()
}

#[test]
fn finetuning_is_exact_across_threads_and_resume_and_keeps_what_it_says() {
    let t = tempfile::tempdir().unwrap();
    let p = |n: &str| t.path().join(n);
    let a = ok(&p("a"), "2", &[]);
    let b = ok(&p("b"), "1", &[]);
    assert_eq!(
        line(&b, "pretrain fingerprint:"),
        line(&a, "pretrain fingerprint:")
    );
    assert_eq!(
        line(&b, "finetune fingerprint:"),
        line(&a, "finetune fingerprint:")
    );
    let acc: f64 = line(&a, "finetune test accuracy:").parse().unwrap();
    assert!(acc > 0.8, "fine-tuning learnt task B: {acc}");

    // Frozen: body.fc1 is the pretrained value, bit for bit; body.fc2 moved.
    let pre = p("a").join("pretrain/final.safetensors");
    let fine = p("a").join("finetune/final.safetensors");
    for w in ["model.body.fc1.weight", "model.body.fc1.bias"] {
        assert_eq!(tensor(&fine, w), tensor(&pre, w), "{w} is frozen");
    }
    assert_ne!(
        tensor(&fine, "model.body.fc2.weight"),
        tensor(&pre, "model.body.fc2.weight"),
        "body.fc2 is kept, not frozen: it trains"
    );
    // The record says which parameters were kept and frozen.
    let config = std::fs::read_to_string(p("a").join("finetune/config.toml")).unwrap();
    assert!(
        config.contains("[init]") && config.contains("frozen = [\"body.fc1\"]"),
        "{config}"
    );

    // A stop and a resume (1 thread) give the same bits.
    ok(&p("c"), "2", &["--stop-at", "20"]);
    let resumed = ok(&p("c"), "1", &["--resume"]);
    assert_eq!(
        line(&resumed, "finetune fingerprint:"),
        line(&a, "finetune fingerprint:")
    );

    // Another seed's pretraining: other starting weights, refused on resume.
    ok(&p("d"), "2", &["--stop-at", "20"]);
    ok(&p("other"), "2", &["--seed", "1", "--stop-at", "1"]);
    let o = run(
        &p("d"),
        "2",
        &[
            "--resume",
            "--pretrained",
            p("other").join("pretrain").to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("other weights"), "{err}");
}
