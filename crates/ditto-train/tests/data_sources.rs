//! Data sources in the config: IDX and CSV files are read, pinned and checked; CSV text labels
//! map over the training and test file together and are recorded; every bad file is refused
//! with an error naming it; in-memory data is recorded by its content hash, and a
//! resume on other data is refused.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::backend::NdArray;
use ditto_data::InMemory;
use ditto_train::{
    Checkpoint, CsvSource, DataFile, DataSource, ErrorKind, IdxSource, LabelColumn, MlpConfig,
    ModelConfig, TrainConfig, TrainData, Trainer,
};

fn idx_u8(dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend_from_slice(payload);
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// `n` 4x4 images whose class (0..3) is the brightest quadrant, with seeded noise.
fn images(n: usize) -> (Vec<u8>, Vec<u8>) {
    let mut s = ditto_rng::Seed::from_u64(9).derive("idx-test").stream();
    let (mut px, mut labels) = (Vec::new(), Vec::new());
    for i in 0..n {
        let class = (i * 7 % 4) as u8;
        for p in 0..16usize {
            let quadrant = (p / 8) * 2 + (p % 4) / 2;
            let base = if quadrant == class as usize { 180 } else { 40 };
            px.push(base + (s.next_u64() % 60) as u8);
        }
        labels.push(class);
    }
    (idx_u8(&[n as u32, 4, 4], &px), idx_u8(&[n as u32], &labels))
}

struct Files {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        Self { _dir: dir, root }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.root.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

fn config(source: DataSource) -> TrainConfig {
    let mut c = TrainConfig {
        epochs: 2,
        batch_size: 16,
        checkpoint_every: 4,
        keep_checkpoints: 0,
        ..Default::default()
    };
    c.model = ModelConfig::Mlp(MlpConfig {
        hidden: vec![8],
        dropout: 0.0,
    });
    c.data.source = source;
    c
}

fn idx_source(f: &Files, n: usize) -> IdxSource {
    let (img, lab) = images(n);
    IdxSource::new(f.write("img.idx.gz", &gzip(&img)), f.write("lab.idx", &lab))
}

fn err_of(source: DataSource) -> ditto_train::Error {
    match TrainData::from_config(&config(source)) {
        Ok(_) => panic!("the data was accepted"),
        Err(e) => e,
    }
}

#[test]
fn idx_files_are_pinned_and_a_changed_file_is_refused() {
    let f = Files::new();
    let src = idx_source(&f, 120);
    let data = TrainData::from_config(&config(DataSource::Idx(src.clone()))).unwrap();
    assert_eq!((data.train_len(), data.test_len()), (96, 24));
    assert_eq!((data.dims(), data.classes()), (&[4usize, 4][..], 4));
    let DataSource::Idx(pinned) = data.source("unused") else {
        panic!()
    };
    let want = ditto_data::FilePin::of(&std::fs::read(&src.train_labels.path).unwrap());
    assert_eq!(pinned.train_labels.pin, Some(want));
    // The same files with the recorded pins load; one changed byte (still valid IDX) does not.
    let again = TrainData::from_config(&config(DataSource::Idx(pinned.clone()))).unwrap();
    assert_eq!(again.content_sha256(), data.content_sha256());
    let mut lab = std::fs::read(&src.train_labels.path).unwrap();
    *lab.last_mut().unwrap() ^= 1;
    std::fs::write(&src.train_labels.path, &lab).unwrap();
    let e = err_of(DataSource::Idx(pinned));
    assert_eq!(e.kind(), ErrorKind::DataChanged, "{e}");
    let msg = e.to_string();
    assert!(msg.contains("lab.idx"), "{msg}");
    assert!(msg.contains(&want.sha256.to_string()), "{msg}");
    let found = ditto_data::FilePin::of(&lab).sha256.to_string();
    assert!(msg.contains(&found), "{msg}");
}

#[test]
fn every_bad_idx_file_is_refused_with_its_name() {
    let f = Files::new();
    let good = idx_source(&f, 40);
    let with = |images: Option<&[u8]>, labels: Option<&[u8]>, classes| {
        let mut s = good.clone();
        if let Some(b) = images {
            s.train_images = DataFile::new(f.write("bad-img.idx", b));
        }
        if let Some(b) = labels {
            s.train_labels = DataFile::new(f.write("bad-lab.idx", b));
        }
        s.classes = classes;
        err_of(DataSource::Idx(s))
    };
    let (img, lab) = images(40);
    let cases: [(ditto_train::Error, &str); 6] = [
        (
            err_of(DataSource::Idx(IdxSource::new(
                f.root.join("nope"),
                f.root.join("nope2"),
            ))),
            "nope",
        ),
        (
            with(Some(b"\x01\x02\x08\x01\0\0\0\x01\x05"), None, None),
            "wrong magic",
        ),
        (
            with(None, Some(&idx_u8(&[39], &lab[8..47])), None),
            "count mismatch",
        ),
        (with(None, None, Some(3)), "label out of range"),
        (
            with(
                Some(&gzip(&idx_u8(&[60_000, 28, 28], &img[16..]))),
                None,
                None,
            ),
            "more than",
        ),
        (
            with(Some(&idx_u8(&[u32::MAX, u32::MAX, 3], &[])), None, None),
            "overflow",
        ),
    ];
    for (e, want) in cases {
        assert_eq!(e.kind(), ErrorKind::Data, "{e}");
        assert!(e.to_string().contains(want), "{want}: {e}");
        assert!(e.to_string().contains(&f.root.display().to_string()), "{e}");
    }
}

#[test]
fn csv_sources_read_labels_by_name_and_report_cells() {
    let f = Files::new();
    let mut text = String::from("x0,x1,class\n");
    for i in 0..60 {
        text.push_str(&format!("{},{},{}\n", i % 7, (i * 3) % 5, i % 2));
    }
    let mut src = CsvSource::new(f.write("d.csv", text.as_bytes()));
    src.label = LabelColumn::Name("class".into());
    src.header = true;
    let data = TrainData::from_config(&config(DataSource::Csv(src.clone()))).unwrap();
    assert_eq!(
        (data.features(), data.classes(), data.train_len()),
        (2, 2, 48)
    );
    let mut bad = src.clone();
    bad.path = DataFile::new(f.write("bad.csv", b"x0,x1,class\n1,2,0\n3,oops,1\n"));
    let e = err_of(DataSource::Csv(bad));
    assert_eq!(e.kind(), ErrorKind::Data);
    assert!(
        e.to_string()
            .contains("line 3, column 2 (`x1`): \"oops\" is not a number"),
        "{e}"
    );
    let mut unnamed = src;
    unnamed.label = LabelColumn::Name("label".into());
    assert!(
        err_of(DataSource::Csv(unnamed))
            .to_string()
            .contains("no label column `label`")
    );
    let e = err_of(DataSource::InMemory {
        name: "mine".into(),
        content: None,
    });
    assert_eq!(e.kind(), ErrorKind::Invalid);
}

#[test]
fn csv_text_labels_map_over_both_files_and_are_recorded() {
    let f = Files::new();
    let mut train = String::from("x0,x1,kind\n");
    for i in 0..60 {
        let kind = ["\"b,2\"", "c", "\"B\""][i % 3];
        train.push_str(&format!("{},{},{kind}\n", i % 7, (i * 3) % 5));
    }
    let mut src = CsvSource::new(f.write("train.csv", train.as_bytes()));
    src.test_path = Some(DataFile::new(
        f.write("test.csv", b"x0,x1,kind\n1,2,c\n3,4,a\n"),
    ));
    src.label = LabelColumn::Name("kind".into());
    src.header = true;
    let data = TrainData::from_config(&config(DataSource::Csv(src.clone()))).unwrap();
    assert_eq!(
        (data.classes(), data.train_len(), data.test_len()),
        (4, 60, 2)
    );
    let DataSource::Csv(recorded) = data.source("unused") else {
        panic!()
    };
    // Sorted bytes over both files: "B" < "a" < "b,2" < "c".
    let want = ["B", "a", "b,2", "c"].map(String::from).to_vec();
    assert_eq!(recorded.class_names, Some(want));
    assert!(recorded.path.pin.is_some());
    // The recorded names read the same data to the same bits.
    let again = TrainData::from_config(&config(DataSource::Csv(recorded.clone()))).unwrap();
    assert_eq!(again.content_sha256(), data.content_sha256());
    // A resume on data read with other names (the same files) is refused.
    let dir = tempfile::tempdir().unwrap();
    let trainer = |names: Option<Vec<String>>| {
        let mut s = recorded.clone();
        s.class_names = names;
        let c = config(DataSource::Csv(s));
        (Trainer::new(c.clone()).unwrap(), TrainData::from_config(&c))
    };
    let (t, d) = trainer(None);
    t.out(dir.path())
        .stop_at(3)
        .fit_bundled::<NdArray>(&d.unwrap(), &Default::default())
        .unwrap();
    let ck = Checkpoint::read(&dir.path().join("last.safetensors")).unwrap();
    let (t, d) = trainer(Some(["c", "b,2", "a", "B"].map(String::from).to_vec()));
    let e = t
        .out(dir.path())
        .from_checkpoint(ck)
        .fit_bundled::<NdArray>(&d.unwrap(), &Default::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DataChanged, "{e}");
    assert!(
        e.to_string()
            .contains("data.class_names: recorded [\"B\", \"a\", \"b,2\", \"c\"], found [\"c\""),
        "{e}"
    );
    // Names that miss a label of the test file: refused, naming the file, line, column, label.
    let mut named = src.clone();
    named.class_names = Some(["B", "b,2", "c"].map(String::from).to_vec());
    let e = err_of(DataSource::Csv(named));
    assert_eq!(e.kind(), ErrorKind::Data, "{e}");
    let msg = e.to_string();
    assert!(msg.contains("test.csv"), "{msg}");
    assert!(
        msg.contains("line 3, column 3 (`kind`): label \"a\" is not one of the 3 class names"),
        "{msg}"
    );
    // Integer labels record no names.
    let mut numeric = src;
    numeric.test_path = None;
    numeric.path = DataFile::new(f.write("n.csv", b"a,kind\n1,0\n2,1\n3,0\n4,1\n5,1\n"));
    let DataSource::Csv(recorded) = TrainData::from_config(&config(DataSource::Csv(numeric)))
        .unwrap()
        .source("unused")
    else {
        panic!()
    };
    assert_eq!(recorded.class_names, None);
}

fn memory_data(flip: bool) -> TrainData {
    let (img, lab) = images(80);
    let mut x: Vec<f32> = img[16..].iter().map(|&v| f32::from(v)).collect();
    if flip {
        x[3] += 1.0;
    }
    let y: Vec<u32> = lab[8..].iter().map(|&v| u32::from(v)).collect();
    let train = InMemory::new(vec![16], x[..64 * 16].to_vec(), y[..64].to_vec(), 4).unwrap();
    let test = InMemory::new(vec![16], x[64 * 16..].to_vec(), y[64..].to_vec(), 4).unwrap();
    TrainData::new(train, test, 255.0).unwrap()
}

fn fit(
    data: &TrainData,
    out: &Path,
    resume: Option<Checkpoint>,
    stop: Option<usize>,
) -> Result<String, ditto_train::Error> {
    // The config still says `bundled digits`: the run must record what it really trained on.
    let mut t = Trainer::new(config(TrainConfig::default().data.source))
        .unwrap()
        .out(out);
    if let Some(ck) = resume {
        t = t.from_checkpoint(ck);
    }
    if let Some(s) = stop {
        t = t.stop_at(s);
    }
    t.fit_bundled::<NdArray>(data, &Default::default())
        .map(|s| s.fingerprint)
}

#[test]
fn in_memory_runs_record_the_content_and_refuse_other_data_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let data = memory_data(false);
    let full = fit(&data, &dir.path().join("full"), None, None).unwrap();
    let recorded = TrainConfig::from_file(&dir.path().join("full/config.toml")).unwrap();
    assert_eq!(
        recorded.data.source,
        DataSource::InMemory {
            name: "unnamed".into(),
            content: Some(data.content_sha256()),
        }
    );
    assert_ne!(memory_data(true).content_sha256(), data.content_sha256());
    let part = dir.path().join("part");
    fit(&data, &part, None, Some(3)).unwrap();
    let ck = Checkpoint::read(&part.join("last.safetensors")).unwrap();
    let e = fit(&memory_data(true), &part, Some(ck.clone()), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DataChanged, "{e}");
    assert!(
        e.to_string().contains(&data.content_sha256().to_string()),
        "{e}"
    );
    assert!(!part.join("final.safetensors").exists());
    assert_eq!(fit(&data, &part, Some(ck), None).unwrap(), full);
}
