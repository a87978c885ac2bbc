//! `ditto attest`: the statement of a bundled run (Markdown, JSON, LaTeX) holds the values of
//! the run's own files; `attest --verify` replays it and confirms, refuses a tampered
//! statement or changed data with exit 1 and says what differs; a library run's statement
//! says how to rerun it and is checked against the rerun's directory (this test program is
//! the library's user).

use crate::common;

use std::path::Path;

use burn::backend::NdArray;
use common::{ditto, fingerprint, ok};
use ditto_data::InMemory;
use ditto_train::{
    CustomModelConfig, DataSource, Mlp, ModelConfig, RunSeeds, Statement, TrainConfig, TrainData,
    Trainer,
};
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&read(p)).unwrap()
}

/// `ditto args`: (exit code, stdout and stderr).
fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = ditto(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// Writes `ditto attest dir --json` to `file` and returns it.
fn statement(dir: &Path, file: &Path) -> Value {
    let text = ok(&["attest", s(dir), "--json"]);
    std::fs::write(file, &text).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn tampered(from: &Value, file: &Path, edit: impl FnOnce(&mut Value)) {
    let mut v = from.clone();
    edit(&mut v);
    std::fs::write(file, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn a_bundled_runs_statement_holds_its_files_values_and_verifies_by_replay() {
    let t = tempfile::tempdir().unwrap();
    let run_dir = t.path().join("run");
    let fp = fingerprint(&ok(&[
        "train",
        "--example",
        "digits-mlp",
        "--max-steps",
        "20",
        "--out",
        s(&run_dir),
    ]));
    let summary = json(&run_dir.join("summary.json"));
    let model = json(&run_dir.join("model.json"));
    assert_eq!(summary["fingerprint"], fp.as_str());

    // Markdown: every parameter with its hash, the bundled data's hash, the config, the
    // seeds, the final fingerprint and accuracy, and how to check it.
    let md = ok(&["attest", s(&run_dir)]);
    for p in model["parameters"].as_array().unwrap() {
        let row = format!(
            "| `{}` | {} | `{}` | f32 | {} | `{}` |",
            p["path"].as_str().unwrap(),
            p["module"].as_str().unwrap(),
            p["shape"].to_string().replace(',', ", "),
            p["count"],
            p["init_blake3"].as_str().unwrap()
        );
        assert!(md.contains(&row), "{row} not in {md}");
    }
    // The digits' SHA-256, as examples/data/SOURCES.md records it.
    assert!(
        md.contains("6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8"),
        "{md}"
    );
    assert!(
        md.contains(&read(&run_dir.join("config.toml")).trim_end().to_owned()),
        "{md}"
    );
    let init = ditto_rng::Seed::from_u64(0).derive("init").to_hex();
    assert!(md.contains(&init), "{md}");
    assert!(
        md.contains(&format!("| final fingerprint (BLAKE3) | `{fp}` |")),
        "{md}"
    );
    let acc = summary["test_metrics"]["accuracy"].as_f64().unwrap();
    assert!(md.contains(&format!("| test accuracy | `{acc}` |")), "{md}");
    assert!(md.contains("ditto attest --verify STATEMENT.json"), "{md}");
    assert!(
        md.contains("## What was verified where\n\nNothing yet."),
        "{md}"
    );

    // LaTeX: the same values, escaped.
    let tex = ok(&["attest", s(&run_dir), "--latex"]);
    assert!(tex.contains("\\section*{Attestation of ditto run"), "{tex}");
    assert!(tex.contains(&format!("\\texttt{{{fp}}}")), "{tex}");
    assert!(tex.contains("\\texttt{layers.0.weight}"), "{tex}");
    assert!(tex.contains("ditto\\_train::model::Mlp"), "{tex}");

    // JSON: parses back to the statement of the directory.
    let file = t.path().join("statement.json");
    let v = statement(&run_dir, &file);
    let parsed = Statement::parse(&read(&file), None).unwrap();
    assert_eq!(parsed, Statement::of_run(&run_dir).unwrap());
    assert_eq!(v["result"]["fingerprint"], fp.as_str());
    assert_eq!(
        v["seeds"][0]["seed"],
        RunSeeds::new(0).init().to_hex().as_str()
    );

    // Verified by a replay here: confirmed, and recorded in the run directory.
    let out = t.path().join("replayed");
    let (code, text) = run(&["attest", "--verify", s(&file), "--out", s(&out)]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("CONFIRMED"), "{text}");
    assert!(
        text.contains(&format!("confirmed  final fingerprint: {fp}")),
        "{text}"
    );
    assert_eq!(json(&out.join("summary.json"))["fingerprint"], fp.as_str());
    let md = ok(&["attest", s(&run_dir)]);
    assert!(md.contains("| ditto attest --verify | IDENTICAL |"), "{md}");

    // A copy of the run directory confirms the statement without training.
    let copy = t.path().join("copy");
    copy_dir(&run_dir, &copy);
    let (code, text) = run(&["attest", "--verify", s(&file), "--run", s(&copy)]);
    assert_eq!(code, Some(0), "{text}");

    // A tampered fingerprint: the replay's differs from it; exit 1 with both values.
    let bad = t.path().join("tampered.json");
    let forged = "0".repeat(64);
    tampered(&v, &bad, |v| {
        v["result"]["fingerprint"] = forged.clone().into()
    });
    let (code, text) = run(&["attest", "--verify", s(&bad), "--run", s(&copy)]);
    assert_eq!(code, Some(1), "{text}");
    let line = format!("DIFFERS    final fingerprint: the statement says {forged}, found {fp}");
    assert!(text.contains(&line), "{text}");
    let (code, text) = run(&[
        "attest",
        "--verify",
        s(&bad),
        "--out",
        s(&t.path().join("r2")),
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("DIFFERENT: 1 claim of the statement does not hold"),
        "{text}"
    );

    // A tampered data hash: refused before anything is trained.
    let bad_data = t.path().join("tampered-data.json");
    tampered(&v, &bad_data, |v| {
        v["data"]["bundled"][0]["sha256"] = "1".repeat(64).into()
    });
    let r3 = t.path().join("r3");
    let (code, text) = run(&["attest", "--verify", s(&bad_data), "--out", s(&r3)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("REFUSED: the data does not match the statement"),
        "{text}"
    );
    assert!(!r3.exists(), "trained on data that does not match");
    // Each refusal is recorded too.
    let lines = read(&run_dir.join("verifications.jsonl"));
    // The tampered fingerprint against the copy and the replay, and the tampered data hash.
    assert_eq!(
        lines
            .lines()
            .filter(|l| l.contains("\"different\""))
            .count(),
        3,
        "{lines}"
    );
}

/// A config-driven run on files: one changed byte in a data file makes `--verify` refuse
/// (exit 1), naming the file and both hashes, and train nothing.
#[test]
fn changed_data_is_refused_before_the_replay() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut csv = String::from("a,b,c,label\n");
    for i in 0..120u32 {
        csv.push_str(&format!(
            "{},{},{},{}\n",
            i % 7,
            (i * 3) % 5,
            (i * 5) % 11,
            i % 3
        ));
    }
    std::fs::write(data.join("points.csv"), &csv).unwrap();
    let cfg = t.path().join("points.toml");
    std::fs::write(
        &cfg,
        "max_steps = 6\nbatch_size = 16\n\n[data]\nsource = \"csv\"\npath = \"data/points.csv\"\n\
         label = \"label\"\nheader = true\n\n[model]\nkind = \"mlp\"\nhidden = [8]\ndropout = 0.0\n",
    )
    .unwrap();
    let run_dir = t.path().join("run");
    ok(&["train", "--config", s(&cfg), "--out", s(&run_dir)]);
    let file = t.path().join("s.json");
    statement(&run_dir, &file);
    let (code, text) = run(&[
        "attest",
        "--verify",
        s(&file),
        "--out",
        s(&t.path().join("ok")),
    ]);
    assert_eq!(code, Some(0), "{text}");

    let before = ditto_train::FilePin::of(csv.as_bytes()).sha256.to_string();
    let changed = csv.replacen("0,0,0,0", "1,0,0,0", 1);
    assert_ne!(changed, csv);
    std::fs::write(data.join("points.csv"), &changed).unwrap();
    let after = ditto_train::FilePin::of(changed.as_bytes())
        .sha256
        .to_string();
    let out = t.path().join("refused");
    let (code, text) = run(&["attest", "--verify", s(&file), "--out", s(&out)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("points.csv") && text.contains(&before) && text.contains(&after),
        "{text}"
    );
    assert!(text.contains("REFUSED"), "{text}");
    assert!(!out.exists());
}

/// In-memory data: `n` samples of 6 features in 3 classes; `nudge` changes one value.
fn samples(n: u32, offset: u32, nudge: bool) -> InMemory {
    let mut features = Vec::new();
    for i in offset..offset + n {
        for j in 0..6u32 {
            features.push(((i * 7 + j * 3) % 11) as f32 / 10.0 + (i % 3) as f32 * 0.3);
        }
    }
    if nudge {
        features[0] += 1.0;
    }
    InMemory::new(
        vec![6],
        features,
        (offset..offset + n).map(|i| i % 3).collect(),
        3,
    )
    .unwrap()
}

/// A run of this program's own: an MLP it builds, on its in-memory data.
fn library_run(out: &Path, nudge: bool) -> String {
    let mut config = TrainConfig {
        seed: 5,
        max_steps: Some(8),
        batch_size: 16,
        ..TrainConfig::default()
    };
    config.data.source = DataSource::InMemory {
        name: "attest-test".into(),
        content: None,
    };
    config.model = ModelConfig::Custom(CustomModelConfig {
        name: Some("Mlp(6-8-3)".into()),
    });
    let data = TrainData::new(samples(96, 0, nudge), samples(30, 96, false), 1.0).unwrap();
    let device = Default::default();
    let model = Mlp::new(6, &[8], 3, 0.0, &device);
    Trainer::new(config)
        .unwrap()
        .program_info(ditto_train::build_info!())
        .out(out)
        .fit::<NdArray, _>(model, &data, &device)
        .unwrap()
        .summary
        .fingerprint
}

#[test]
fn a_library_runs_statement_says_how_to_rerun_and_checks_the_rerun() {
    let t = tempfile::tempdir().unwrap();
    let run_dir = t.path().join("run");
    let fp = library_run(&run_dir, false);
    let md = ok(&["attest", s(&run_dir)]);
    assert!(
        md.contains("(built by a program and given to Trainer::fit)"),
        "{md}"
    );
    assert!(
        md.contains("ditto attest --verify STATEMENT.json --run NEW_RUN_DIR"),
        "{md}"
    );
    assert!(
        md.contains(&format!("| final fingerprint (BLAKE3) | `{fp}` |")),
        "{md}"
    );
    // This program's project and its checkout, as `build_info!` named them.
    assert!(
        md.contains(&format!("`ditto-cli {}", env!("CARGO_PKG_VERSION"))),
        "{md}"
    );
    let exe = std::env::current_exe().unwrap();
    assert!(md.contains(exe.to_str().unwrap()), "{md}");
    let data = TrainData::new(samples(96, 0, false), samples(30, 96, false), 1.0).unwrap();
    assert!(md.contains(&data.content_sha256().to_string()), "{md}");

    let file = t.path().join("s.json");
    let v = statement(&run_dir, &file);
    // Nothing to replay: the program must run again.
    let (code, text) = run(&["attest", "--verify", s(&file)]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("run the program again"), "{text}");

    // The rerun confirms the statement.
    let rerun = t.path().join("rerun");
    assert_eq!(library_run(&rerun, false), fp);
    let (code, text) = run(&["attest", "--verify", s(&file), "--run", s(&rerun)]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("confirmed  in-memory data content"), "{text}");

    // A rerun on changed data: the content hash and the result differ, exit 1.
    let changed = t.path().join("changed");
    library_run(&changed, true);
    let (code, text) = run(&["attest", "--verify", s(&file), "--run", s(&changed)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("DIFFERS    in-memory data content"), "{text}");

    // A tampered statement: its test loss claim no longer holds.
    let bad = t.path().join("bad.json");
    tampered(&v, &bad, |v| v["result"]["test_loss"] = 0.125.into());
    let (code, text) = run(&["attest", "--verify", s(&bad), "--run", s(&rerun)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("DIFFERS    test loss: the statement says 0.125"),
        "{text}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}
