//! `ditto train --config` on your own files, in separate processes: IDX and CSV sources train
//! to the same bits for any thread count, worker count and resume point; `replay` says
//! identical; a changed byte in a data file makes `replay` and `resume` refuse (naming the file
//! and both hashes, writing no checkpoint); moved files are found again with `--data-dir`;
//! `inspect --json` shows each file's SHA-256; and a CSV with text labels records its class
//! names, which replay and resume map by.

use std::io::Read;
use std::path::{Path, PathBuf};

use ditto_train::FilePin;

use crate::common;

use common::{ditto, fingerprint, ok};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn vendored(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/data")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Every file of a run directory, with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A source under test: its data files (written into `<root>/data`), a config in
/// `<root>/cfg` naming them by relative path, and the file to change and how.
struct Case {
    files: Vec<(&'static str, Vec<u8>)>,
    config: String,
    change: &'static str,
    /// Changes one byte, keeping the file valid.
    mutate: fn(&mut Vec<u8>),
}

fn check(case: Case) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let data = root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(root.join("cfg")).unwrap();
    for (name, bytes) in &case.files {
        std::fs::write(data.join(name), bytes).unwrap();
    }
    let cfg = root.join("cfg/own.toml");
    std::fs::write(&cfg, &case.config).unwrap();
    let train = |out: &str, extra: &[&str]| {
        let mut args = vec!["train", "--config", s(&cfg), "--out"];
        let out = root.join(out);
        args.push(s(&out));
        args.extend_from_slice(extra);
        fingerprint(&ok(&args))
    };

    // Threads, workers, resume.
    let a = train("a", &["--threads", "1", "--workers", "0"]);
    assert_eq!(train("b", &["--threads", "2", "--workers", "3"]), a);
    train("c", &["--stop-at", "5"]);
    assert_eq!(fingerprint(&ok(&["resume", s(&root.join("c"))])), a);
    train("d", &["--stop-at", "4"]);

    // Each file's pin is recorded and shown.
    let doc: serde_json::Value =
        serde_json::from_str(&ok(&["inspect", "--json", s(&root.join("a"))])).unwrap();
    let shown = doc["data"]["files"].as_array().unwrap();
    assert_eq!(shown.len(), case.files.len(), "{doc}");
    for (name, bytes) in &case.files {
        let f = shown
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not in {doc}"));
        assert_eq!(f["sha256"], FilePin::of(bytes).sha256.to_string());
        assert_eq!(f["bytes"], bytes.len());
    }
    let text = ok(&["inspect", s(&root.join("a"))]);
    assert!(
        text.contains(&FilePin::of(&case.files[0].1).sha256.to_string()),
        "{text}"
    );

    let replay = |out: &str, extra: &[&str]| {
        let mut args = vec!["replay".to_owned(), s(&root.join("a")).to_owned()];
        args.push("--out".into());
        args.push(s(&root.join(out)).to_owned());
        args.extend(extra.iter().map(|x| x.to_string()));
        ditto(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let r = replay("r1", &[]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stdout).contains("IDENTICAL"));

    // Moved: not found, then found with --data-dir.
    let moved = root.join("moved");
    std::fs::rename(&data, &moved).unwrap();
    let r = replay("r2", &[]);
    assert_eq!(r.status.code(), Some(2));
    // The first file read is the first one listed.
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert!(
        err.contains(case.files[0].0) && err.contains("cannot read"),
        "{err}"
    );
    assert!(!root.join("r2").exists());
    let r = replay("r3", &["--data-dir", s(&moved)]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stdout).contains("IDENTICAL"));

    // One byte changed: replay and resume refuse, write nothing.
    let path = moved.join(case.change);
    let before = std::fs::read(&path).unwrap();
    let mut after = before.clone();
    (case.mutate)(&mut after);
    assert_ne!(after, before);
    std::fs::write(&path, &after).unwrap();
    let want = [
        case.change.to_owned(),
        FilePin::of(&before).sha256.to_string(),
        FilePin::of(&after).sha256.to_string(),
    ];
    let r = replay("r4", &["--data-dir", s(&moved)]);
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(want.iter().all(|w| err.contains(w)), "{want:?}: {err}");
    assert!(!root.join("r4").exists());
    let d = root.join("d");
    let files = snapshot(&d);
    let r = ditto(&["resume", s(&d), "--data-dir", s(&moved)]);
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(want.iter().all(|w| err.contains(w)), "{want:?}: {err}");
    assert_eq!(
        snapshot(&d),
        files,
        "the refused resume wrote into the run directory"
    );
}

const MODEL: &str = "epochs = 1\nbatch_size = 32\ncheckpoint_every = 4\n\n\
                     [model]\nkind = \"mlp\"\nhidden = [24]\ndropout = 0.1\n";

#[test]
fn an_idx_source_outside_the_repo_is_reproducible_and_pinned() {
    // The vendored Fashion-MNIST test split as someone's own files: gzip images, raw labels.
    check(Case {
        files: vec![
            (
                "images.gz",
                vendored("fashion-test-1000-images-idx3-ubyte.gz"),
            ),
            (
                "labels.idx",
                gunzip(&vendored("fashion-test-1000-labels-idx1-ubyte.gz")),
            ),
        ],
        config: format!(
            "seed = 4\n{MODEL}\n[data]\nsource = \"idx\"\n\
             train_images = \"../data/images.gz\"\ntrain_labels = \"../data/labels.idx\"\n\
             test_fraction = 0.2\npixel_max = 255\n"
        ),
        change: "labels.idx",
        // The last label, to another class.
        mutate: |b| *b.last_mut().unwrap() = (*b.last().unwrap() + 1) % 10,
    });
}

#[test]
fn a_csv_source_is_reproducible_and_pinned() {
    // The vendored digits as a CSV with a header; the label is the last column, by name.
    let text = String::from_utf8(gunzip(&vendored("digits.csv.gz"))).unwrap();
    let mut csv: String = (0..64).map(|i| format!("p{i},")).collect();
    csv.push_str("digit\n");
    csv.push_str(&text);
    check(Case {
        files: vec![("digits.csv", csv.into_bytes())],
        config: format!(
            "seed = 2\n{MODEL}\n[data]\nsource = \"csv\"\npath = \"../data/digits.csv\"\n\
             label = \"digit\"\nheader = true\npixel_max = 16\n"
        ),
        change: "digits.csv",
        // The first pixel of the first sample, to another value.
        mutate: |b| {
            let at = b.iter().position(|&c| c == b'\n').unwrap() + 1;
            b[at] = if b[at] == b'0' { b'1' } else { b'0' };
        },
    });
}

/// An iris-style file: a header, four numeric features, the species as quoted text, 15 rows a
/// species (values made up around each species' means).
fn iris_csv() -> String {
    let species = [
        ("Iris-setosa", [5.0, 3.4, 1.5, 0.2]),
        ("Iris-versicolor", [5.9, 2.8, 4.3, 1.3]),
        ("Iris-virginica", [6.6, 3.0, 5.6, 2.0]),
    ];
    let mut text = String::from("sepal_length,sepal_width,petal_length,petal_width,species\r\n");
    for i in 0..45usize {
        // Interleaved species, so that the file is not sorted by label.
        let (name, mean) = species[(i * 2) % 3];
        let cells: Vec<String> = mean
            .iter()
            .enumerate()
            .map(|(j, m)| format!("{:.1}", m + ((i * 7 + j * 3) % 5) as f64 * 0.1 - 0.2))
            .collect();
        text.push_str(&format!("{},\"{name}\"\r\n", cells.join(",")));
    }
    text
}

#[test]
fn an_iris_csv_with_text_labels_trains_records_its_class_names_and_replays() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    std::fs::write(root.join("iris.csv"), iris_csv()).unwrap();
    let cfg = root.join("iris.toml");
    let config = "seed = 3\nepochs = 20\nbatch_size = 8\ncheckpoint_every = 4\n\n\
                  [model]\nkind = \"mlp\"\nhidden = [16]\n\n\
                  [optimizer]\nkind = \"adam\"\nlr = 0.05\n\n\
                  [data]\nsource = \"csv\"\npath = \"iris.csv\"\nlabel = \"species\"\n\
                  header = true\n";
    std::fs::write(&cfg, config).unwrap();
    let run = root.join("run");
    let out = ok(&["train", "--config", s(&cfg), "--out", s(&run)]);
    let a = fingerprint(&out);
    // The species are learnt (the labels mean something): 9 test samples, all right.
    assert!(out.contains("test accuracy: 1.0000"), "{out}");

    // The recorded config holds the names, in sorted byte order, and inspect shows them.
    let names = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"];
    let text = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(text.contains("class_names = ["), "{text}");
    let recorded = ditto_train::TrainConfig::from_toml(&text).unwrap();
    let ditto_train::DataSource::Csv(src) = &recorded.data.source else {
        panic!("{text}")
    };
    assert_eq!(src.class_names, Some(names.map(String::from).to_vec()));
    let shown = ok(&["inspect", s(&run.join("final.safetensors"))]);
    assert!(
        shown.contains(&format!("class_names   {names:?}")),
        "{shown}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&ok(&["inspect", "--json", s(&run)])).unwrap();
    assert_eq!(doc["data"]["class_names"], serde_json::json!(names));

    // Replay reads the recorded names as the mapping: identical; resume: the same bits.
    let r = ok(&["replay", s(&run), "--out", s(&root.join("replay"))]);
    assert!(r.contains("IDENTICAL"), "{r}");
    let part = root.join("part");
    ok(&[
        "train",
        "--config",
        s(&cfg),
        "--out",
        s(&part),
        "--stop-at",
        "5",
    ]);
    assert_eq!(fingerprint(&ok(&["resume", s(&part)])), a);

    // Names written by hand that miss a species of the file: refused, naming the file, the
    // line and column, and the label.
    let bad = root.join("bad.toml");
    let without = "class_names = [\"Iris-setosa\", \"Iris-virginica\"]\n";
    std::fs::write(&bad, format!("{config}{without}")).unwrap();
    let r = ditto(&["train", "--config", s(&bad), "--out", s(&root.join("bad"))]);
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert_eq!(r.status.code(), Some(2), "{err}");
    let want = "iris.csv: label out of range: line 4, column 5 (`species`): label \
                \"Iris-versicolor\" is not one of the 2 class names";
    assert!(err.contains(want), "{want} not in: {err}");
    assert!(!root.join("bad/final.safetensors").exists());
}
