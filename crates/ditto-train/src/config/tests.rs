use super::*;
use ditto_data::csv::LabelColumn;

#[test]
fn defaults_round_trip_and_partial_files() {
    let c = TrainConfig::default();
    assert_eq!(TrainConfig::from_toml(&c.to_toml().unwrap()).unwrap(), c);
    let p = TrainConfig::from_toml("seed = 5\n[optimizer]\nkind = \"adam\"\nlr = 0.01\n").unwrap();
    assert_eq!(p.seed, 5);
    assert_eq!(p.optimizer.lr(), 0.01);
    assert_eq!(p.optimizer.kind(), "adam");
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(TrainConfig::from_json(&j).unwrap(), p);
}

#[test]
fn the_bundled_example_files_parse() {
    for text in [
        include_str!("../../../../examples/digits-mlp/config.toml"),
        include_str!("../../../../examples/fashion-cnn/config.toml"),
    ] {
        let c = TrainConfig::from_toml(text).unwrap();
        assert!(matches!(c.data.source, DataSource::Bundled(_)));
    }
}

#[test]
fn errors_name_the_field_and_the_allowed_values() {
    for (text, want) in [
        ("batch_size = 0", "batch_size"),
        ("[data]\nname = \"cifar\"", "digits, fashion"),
        ("[optimizer]\nkind = \"lion\"", "adam"),
        ("[model]\ndropout = 1.5", "model.dropout"),
        ("sed = 1", "sed"),
        ("mode = \"fast\"", "run-to-run"),
        ("backend = \"cuda\"", "wgpu"),
        ("[model]\nkind = \"rnn\"", "mlp"),
        ("[data.augment]\nnoise_std = -1.0", "noise_std"),
        (
            "[schedule]\nkind = \"cosine\"\nfinal_fraction = 2.0",
            "final_fraction",
        ),
        ("[optimizer]\nkind = \"sgd\"\nmomentum = 1.0", "momentum"),
    ] {
        let e = TrainConfig::from_toml(text).unwrap_err();
        assert!(e.to_string().contains(want), "{text}: {e}");
    }
}

/// The complete resolved config as ditto 0.1.0's first releases wrote it (`config.toml` of a
/// run directory, and the `config` of every checkpoint's state).
const LEGACY: &str = r#"seed = 3
mode = "canonical"
backend = "ndarray"
strict = "error"
epochs = 6
batch_size = 64
checkpoint_every = 100
keep_checkpoints = 2
workers = 0
log_every = 25

[data]
name = "fashion"
test_fraction = 0.2
stratified = true

[data.augment]
crop_padding = 1
flip = true
noise_std = 0.0

[model]
kind = "cnn"
hidden = [128]
channels = [8, 16]
dense = 64
dropout = 0.1

[optimizer]
kind = "adam"
lr = 0.004
momentum = 0.9
weight_decay = 0.0

[schedule]
kind = "cosine"
warmup_steps = 20
final_fraction = 0.1
"#;

#[test]
fn the_older_layout_is_migrated() {
    let c = TrainConfig::from_toml(LEGACY).unwrap();
    assert_eq!(c.seed, 3);
    assert_eq!(c.mode, Mode::Canonical);
    assert_eq!(c.data.source, DataSource::Bundled(BundledData::Fashion));
    assert_eq!(
        c.model,
        ModelConfig::Cnn(CnnConfig {
            channels: vec![8, 16],
            dense: 64,
            dropout: 0.1
        })
    );
    assert_eq!(
        c.optimizer,
        OptimizerConfig::Adam(AdamConfig {
            lr: 0.004,
            weight_decay: 0.0
        })
    );
    assert_eq!(
        c.schedule,
        ScheduleConfig::Cosine(CosineSchedule {
            warmup_steps: 20,
            final_fraction: 0.1
        })
    );
    let as_json: serde_json::Value = toml::from_str::<toml::Value>(LEGACY)
        .map(|v| serde_json::to_value(v).unwrap())
        .unwrap();
    assert_eq!(TrainConfig::from_json(&as_json).unwrap(), c);
}

#[test]
fn file_sources_round_trip_with_and_without_pins() {
    let idx = "[data]\nsource = \"idx\"\ntrain_images = \"a/img.gz\"\ntrain_labels = \"a/lab.gz\"\n\
               test_images = \"t/img\"\ntest_labels = \"t/lab\"\nclasses = 10\n";
    let mut c = TrainConfig::from_toml(idx).unwrap();
    let DataSource::Idx(s) = &mut c.data.source else {
        panic!("{:?}", c.data.source)
    };
    assert_eq!(s.train_images, DataFile::new("a/img.gz"));
    assert_eq!(s.pixel_max, 255.0);
    assert_eq!(s.classes, Some(10));
    assert!(s.test.is_some());
    assert_eq!(TrainConfig::from_toml(&c.to_toml().unwrap()).unwrap(), c);
    let DataSource::Idx(s) = &mut c.data.source else {
        unreachable!()
    };
    s.train_labels.pin = Some(ditto_data::FilePin::of(b"labels"));
    let text = c.to_toml().unwrap();
    assert!(
        text.contains(&ditto_data::FilePin::of(b"labels").sha256.to_string()),
        "{text}"
    );
    assert_eq!(TrainConfig::from_toml(&text).unwrap(), c);
    let j = serde_json::to_value(&c).unwrap();
    assert_eq!(TrainConfig::from_json(&j).unwrap(), c);

    let csv = "[data]\nsource = \"csv\"\npath = \"x.csv\"\nlabel = \"species\"\nheader = true\n";
    let c = TrainConfig::from_toml(csv).unwrap();
    let DataSource::Csv(s) = &c.data.source else {
        panic!("{:?}", c.data.source)
    };
    assert_eq!(s.label, LabelColumn::Name("species".into()));
    assert_eq!(
        (s.header, s.pixel_max, s.test_path.is_none()),
        (true, 1.0, true)
    );
    assert_eq!(TrainConfig::from_toml(&c.to_toml().unwrap()).unwrap(), c);
    let c = TrainConfig::from_toml(
        "[data]\nsource = \"csv\"\npath = \"x.csv\"\nlabel = 3\nheader = false\n",
    )
    .unwrap();
    let DataSource::Csv(s) = &c.data.source else {
        unreachable!()
    };
    assert_eq!((&s.label, s.header), (&LabelColumn::Index(3), false));
    assert_eq!(s.class_names, None);
    // Class names round-trip (a run records them; a person may write them).
    let named = format!("{csv}class_names = [\"b\", \"a,\\\"c\\\"\"]\nclasses = 2\n");
    let c = TrainConfig::from_toml(&named).unwrap();
    let DataSource::Csv(s) = &c.data.source else {
        unreachable!()
    };
    let want = vec!["b".to_owned(), "a,\"c\"".to_owned()];
    assert_eq!(s.class_names.as_ref(), Some(&want));
    let text = c.to_toml().unwrap();
    assert!(text.contains("class_names = ["), "{text}");
    assert_eq!(TrainConfig::from_toml(&text).unwrap(), c);
}

#[test]
fn source_keys_are_checked_per_kind() {
    for (text, want) in [
        (
            "[data]\nsource = \"idx\"\ntrain_images = \"a\"",
            "data.train_labels",
        ),
        (
            "[data]\nsource = \"idx\"\ntrain_images = \"a\"\ntrain_labels = \"b\"\ntest_images = \"c\"",
            "both or neither",
        ),
        (
            "[data]\nsource = \"idx\"\npath = \"a\"",
            "not a key of source = \"idx\"",
        ),
        ("[data]\nsource = \"csv\"\nlabel = 0", "data.path"),
        (
            "[data]\nsource = \"csv\"\npath = \"a\"",
            "data.header: source = \"csv\" needs it, it is never guessed",
        ),
        (
            "[data]\nsource = \"idx\"\ntrain_images = \"a\"\ntrain_labels = \"b\"\n\
             class_names = [\"x\"]",
            "data.class_names: not a key of source = \"idx\"",
        ),
        (
            "[data]\nsource = \"csv\"\npath = \"a\"\nheader = true\nclass_names = [\"x\", \"y\", \"x\"]",
            "config `data.class_names`: \"x\" is named twice",
        ),
        (
            "[data]\nsource = \"csv\"\npath = \"a\"\nheader = true\nclass_names = []",
            "config `data.class_names`: is empty",
        ),
        (
            "[data]\nsource = \"csv\"\npath = \"a\"\nheader = true\nclasses = 3\n\
             class_names = [\"x\", \"y\"]",
            "config `data.classes`: 3, but class_names has 2 names",
        ),
        (
            "[data]\nsource = \"csv\"\npath = \"a\"\ntrain_images = \"b\"",
            "not a key of source = \"csv\"",
        ),
        (
            "[data]\nname = \"digits\"\npath = \"a\"",
            "not a key of source = \"bundled\"",
        ),
        (
            "[data]\nsource = \"csv\"\npath = \"a\"\nheader = true\npixel_max = 0.0",
            "pixel_max",
        ),
        ("[data]\nsource = \"parquet\"", "idx"),
        (
            "[data]\nsource = \"csv\"\npath = { path = \"a\", sha256 = \"xyz\", bytes = 1 }",
            "data",
        ),
    ] {
        let e = TrainConfig::from_toml(text).unwrap_err();
        assert!(e.to_string().contains(want), "{text}: {e}");
    }
}

#[test]
fn from_file_resolves_data_paths_against_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("conf");
    std::fs::create_dir_all(&sub).unwrap();
    let cfg = sub.join("run.toml");
    std::fs::write(
        &cfg,
        "[data]\nsource = \"csv\"\npath = \"../data/x.csv\"\ntest_path = \"/abs/t.csv\"\n\
         header = false\n",
    )
    .unwrap();
    let c = TrainConfig::from_file(&cfg).unwrap();
    let DataSource::Csv(s) = &c.data.source else {
        unreachable!()
    };
    let base = std::fs::canonicalize(&sub).unwrap();
    assert_eq!(s.path.path, base.join("../data/x.csv"));
    assert_eq!(
        s.test_path.as_ref().unwrap().path,
        std::path::Path::new("/abs/t.csv")
    );
    let mut moved = c.data.source.clone();
    moved.relocate(std::path::Path::new("/new"));
    let names: Vec<_> = moved.files().iter().map(|(_, f)| f.path.clone()).collect();
    assert_eq!(
        names,
        [
            std::path::Path::new("/new/x.csv"),
            std::path::Path::new("/new/t.csv")
        ]
    );
    let e = TrainConfig::from_file(&dir.path().join("missing.toml")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
}

#[test]
fn the_readme_own_data_config_parses() {
    let readme = include_str!("../../../../README.md");
    let start = readme
        .find("```toml\n# my-run.toml")
        .expect("README config block")
        + 8;
    let len = readme[start..].find("```").unwrap();
    let c = TrainConfig::from_toml(&readme[start..start + len]).unwrap();
    let DataSource::Idx(s) = &c.data.source else {
        panic!("{:?}", c.data.source)
    };
    assert!(s.test.is_some() && s.pixel_max == 255.0 && s.classes.is_none());
}

#[test]
fn a_clip_norm_means_global_unless_a_run_recorded_it_before_scopes() {
    let text = "grad_clip_norm = 1.5\n";
    // A config a user writes: the documented global norm.
    let user = TrainConfig::from_toml(text).unwrap();
    assert_eq!(user.grad_clip(), Some((1.5, ClipScope::Global)));
    // A config a run recorded without the scope (before it existed): Burn's per tensor.
    let old = TrainConfig::from_recorded_toml(text).unwrap();
    assert_eq!(old.grad_clip(), Some((1.5, ClipScope::PerTensor)));
    let mut state = serde_json::to_value(crate::RunState {
        config: user.clone(),
        step: 3,
        epoch: 0,
        batch: 3,
        backend_rng: ditto_kernels::RngState::new(ditto_rng::Seed::from_u64(0)),
        fingerprint: String::new(),
        optimizer: Default::default(),
        run_id: None,
        monitor: Default::default(),
        start_fingerprint: None,
    })
    .unwrap();
    assert_eq!(state["config"].get("grad_clip_scope"), None);
    let read = crate::RunState::from_json(&state).unwrap();
    assert_eq!(read.config.grad_clip(), Some((1.5, ClipScope::PerTensor)));
    // Recorded with a scope, it keeps it.
    state["config"]["grad_clip_scope"] = "global".into();
    let read = crate::RunState::from_json(&state).unwrap();
    assert_eq!(read.config.grad_clip(), Some((1.5, ClipScope::Global)));
    // A scope without a bound is refused.
    let e = TrainConfig::from_toml("grad_clip_scope = \"global\"\n").unwrap_err();
    assert!(e.to_string().contains("grad_clip_scope"), "{e}");
}
