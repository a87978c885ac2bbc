use super::*;

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
