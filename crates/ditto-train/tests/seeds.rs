//! Per-source seeds (`[seeds]`): each override moves its own source of randomness and no
//! other, all five together give the run of that root seed bit for bit, a config without the
//! table trains and records exactly as before, and a run with overrides resumes exactly.

use burn::backend::NdArray;
use ditto_train::{RunSummary, SeedsConfig, TrainConfig, TrainData, Trainer};

/// digits-mlp (dropout 0.1) with Gaussian-noise augmentation: every source is drawn from.
fn config(seed: u64, seeds: SeedsConfig) -> TrainConfig {
    let mut c = TrainConfig {
        seed,
        seeds,
        max_steps: Some(12),
        checkpoint_every: 5,
        keep_checkpoints: 0,
        ..TrainConfig::default()
    };
    c.data.augment.noise_std = 0.05;
    c
}

fn train(cfg: &TrainConfig, out: &std::path::Path, stop_at: Option<usize>) -> RunSummary {
    // The data is built from the config: its train/test split is drawn from `split`.
    let data = TrainData::bundled(cfg).unwrap();
    let mut t = Trainer::new(cfg.clone()).unwrap().out(out);
    if let Some(s) = stop_at {
        t = t.stop_at(s);
    }
    t.fit_bundled::<NdArray>(&data, &Default::default())
        .unwrap()
}

#[test]
fn each_override_moves_its_source_and_all_of_them_give_that_seeds_run() {
    let t = tempfile::tempdir().unwrap();
    let dir = |n: &str| t.path().join(n);
    let zero = train(&config(0, SeedsConfig::default()), &dir("zero"), None);
    let seven = train(&config(7, SeedsConfig::default()), &dir("seven"), None);
    assert_ne!(zero.fingerprint, seven.fingerprint);
    let all = SeedsConfig {
        init: Some(7),
        data_order: Some(7),
        dropout: Some(7),
        augment: Some(7),
        split: Some(7),
    };
    let overridden = train(&config(0, all), &dir("all"), None);
    assert_eq!(
        overridden.fingerprint, seven.fingerprint,
        "root 0 with every source at 7 is the seed-7 run"
    );

    let one = |f: fn(&mut SeedsConfig)| {
        let mut s = SeedsConfig::default();
        f(&mut s);
        s
    };
    let singles = [
        ("init", one(|s| s.init = Some(7))),
        ("data_order", one(|s| s.data_order = Some(7))),
        ("dropout", one(|s| s.dropout = Some(7))),
        ("augment", one(|s| s.augment = Some(7))),
        ("split", one(|s| s.split = Some(7))),
    ];
    let mut seen = vec![zero.fingerprint.clone(), seven.fingerprint.clone()];
    for (name, s) in singles {
        let r = train(&config(0, s), &dir(name), None);
        assert!(
            !seen.contains(&r.fingerprint),
            "[seeds] {name} = 7 must move its own source and no other: {}",
            r.fingerprint
        );
        seen.push(r.fingerprint);
        let recorded = std::fs::read_to_string(dir(name).join("config.toml")).unwrap();
        assert!(
            recorded.contains("[seeds]") && recorded.contains(&format!("{name} = 7")),
            "{recorded}"
        );
        assert_eq!(TrainConfig::from_recorded_toml(&recorded).unwrap().seeds, s);
    }
    // A config without the table records none (the recorded config, and so the run's
    // identity, are those of a run from before the table existed).
    let plain = std::fs::read_to_string(dir("zero").join("config.toml")).unwrap();
    assert!(!plain.contains("seeds"), "{plain}");
}

#[test]
fn a_run_with_overrides_resumes_to_the_same_bits() {
    let t = tempfile::tempdir().unwrap();
    let s = SeedsConfig {
        init: Some(3),
        data_order: Some(4),
        dropout: Some(5),
        ..SeedsConfig::default()
    };
    let cfg = config(1, s);
    let full = train(&cfg, &t.path().join("full"), None);
    train(&cfg, &t.path().join("cut"), Some(7));
    let data = TrainData::bundled(&cfg).unwrap();
    let resumed = Trainer::resume(t.path().join("cut"))
        .unwrap()
        .fit_bundled::<NdArray>(&data, &Default::default())
        .unwrap();
    assert_eq!(resumed.fingerprint, full.fingerprint);
}
