//! A run's record describes the model that was trained, taken from the module itself:
//! `model.json`'s parameter table against the trained module, `config.toml`'s `[model]`, and
//! `report.md`'s way to reproduce it (the program, not `ditto train --config`).

use std::collections::BTreeMap;
use std::path::Path;

use burn::backend::NdArray;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Gelu, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Tensor, backend::Backend};
use ditto_train::{
    Manifest, Mlp, ModelConfig, ModelOrigin, ModelRecord, TrainConfig, TrainData, TrainModel,
    Trainer, read_params,
};

/// A user's own classifier that looks nothing like the bundled ones: conv (no padding),
/// GELU, LayerNorm over the flattened maps, dense head.
#[derive(Module, Debug)]
struct ConvNorm<B: Backend> {
    conv: Conv2d<B>,
    norm: LayerNorm<B>,
    head: Linear<B>,
    act: Gelu,
}

impl<B: Backend> ConvNorm<B> {
    fn new(classes: usize, device: &B::Device) -> Self {
        Self {
            conv: Conv2dConfig::new([1, 3], [3, 3]).init(device),
            norm: LayerNormConfig::new(3 * 6 * 6).init(device),
            head: LinearConfig::new(3 * 6 * 6, classes).init(device),
            act: Gelu::new(),
        }
    }
}

impl<B: Backend> TrainModel<B> for ConvNorm<B> {
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let [batch, _] = x.dims();
        let maps = self
            .act
            .forward(self.conv.forward(x.reshape([batch, 1, 8, 8])));
        self.head
            .forward(self.norm.forward(maps.reshape([batch, 3 * 6 * 6])))
    }
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// `model.json` against the trained module: the same paths, shapes and counts, the init
/// hashes those of the module right after ditto's initialisation.
fn check_table<B: Backend, M: Module<B>>(dir: &Path, trained: &M) -> ModelRecord {
    let record: ModelRecord = serde_json::from_str(&read(dir, "model.json")).unwrap();
    let params = read_params(trained);
    let table: BTreeMap<&str, (&[usize], u64)> = record
        .parameters
        .iter()
        .map(|p| (p.path.as_str(), (p.shape.as_slice(), p.count)))
        .collect();
    let module: BTreeMap<&str, (&[usize], u64)> = params
        .iter()
        .map(|(path, (shape, values))| (path.as_str(), (shape.as_slice(), values.len() as u64)))
        .collect();
    assert_eq!(table, module);
    assert_eq!(record.tensors, params.len());
    assert_eq!(
        record.values,
        params.values().map(|(_, v)| v.len() as u64).sum::<u64>()
    );
    assert!(record.parameters.iter().all(|p| p.dtype == "f32"));
    record
}

#[test]
fn a_users_model_is_recorded_as_trained_and_reproduced_by_its_program() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let config = TrainConfig {
        max_steps: Some(12),
        ..TrainConfig::default()
    };
    let data = TrainData::bundled(&config).unwrap();
    let device = Default::default();
    let trained = Trainer::new(config)
        .unwrap()
        .out(&out)
        .fit::<NdArray, _>(ConvNorm::new(data.classes(), &device), &data, &device)
        .unwrap();

    let record = check_table(&out, &trained.model);
    assert_eq!(record.origin, ModelOrigin::Program);
    // The model's Rust type name, as `std::any::type_name` gives it (this test binary's crate
    // is `train`, this file its module `records`).
    assert_eq!(record.type_name, "train::records::ConvNorm");
    let rows: Vec<(&str, &str, &[usize])> = record
        .parameters
        .iter()
        .map(|p| (p.path.as_str(), p.module.as_str(), p.shape.as_slice()))
        .collect();
    // Written out by hand from the model's definition above.
    assert_eq!(
        rows,
        [
            ("conv.bias", "Conv2d", &[3][..]),
            ("conv.weight", "Conv2d", &[3, 1, 3, 3][..]),
            ("head.bias", "Linear", &[10][..]),
            ("head.weight", "Linear", &[108, 10][..]),
            ("norm.beta", "LayerNorm", &[108][..]),
            ("norm.gamma", "LayerNorm", &[108][..]),
        ]
    );
    assert!(
        record.description.contains("ConvNorm"),
        "{}",
        record.description
    );
    assert!(
        record.description.contains("Gelu"),
        "{}",
        record.description
    );
    assert!(!record.description.contains("ParamMapper"));

    // The config records a custom model named by its type, none of the default MLP's fields.
    let text = read(&out, "config.toml");
    let cfg = TrainConfig::from_toml(&text).unwrap();
    match &cfg.model {
        ModelConfig::Custom(c) => assert_eq!(c.name.as_deref(), Some("train::records::ConvNorm")),
        other => panic!("recorded {other:?}"),
    }
    assert!(!text.contains("hidden"), "{text}");

    // The report: the model's table, the data's hashes, and the program to run again with
    // its lockfile's hash; not `ditto train --config`.
    let report = read(&out, "report.md");
    let manifest = Manifest::read(&out).unwrap().unwrap();
    let program = manifest.program.unwrap();
    assert!(report.contains("`train::records::ConvNorm`"), "{report}");
    assert!(
        report.contains("| `norm.gamma` | LayerNorm | [108] |"),
        "{report}"
    );
    assert!(!report.contains("ditto train --config"), "{report}");
    assert!(report.contains(&program.command_line()), "{report}");
    assert!(report.contains(&program.exe), "{report}");
    let lock = &manifest.provenance.cargo_lock_blake3;
    assert_ne!(lock, "unavailable");
    assert!(report.contains(lock.as_str()), "{report}");
    assert!(
        report.contains("6ebb3d2fee246a4e"),
        "the bundled digits' hash: {report}"
    );
    // The lockfile is this workspace's (these tests are built in it).
    let ours =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock")).unwrap();
    assert_eq!(lock, &blake3::hash(&ours).to_hex().to_string());
}

/// The README's first snippet ("Use it from your own Burn project"): the default config
/// (whose `[model]` is an MLP with hidden `[128]`) and an `Mlp` built with hidden `[64]`.
#[test]
fn the_readme_snippet_records_the_mlp_it_trained() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    assert!(
        readme.contains(
            "let model = Mlp::new(data.features(), &[64], data.classes(), 0.1, &device);"
        ),
        "the README's snippet changed: update this test"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let config = TrainConfig {
        max_steps: Some(100),
        ..TrainConfig::default()
    };
    let data = TrainData::from_config(&config).unwrap();
    let device = Default::default();
    let model = Mlp::new(data.features(), &[64], data.classes(), 0.1, &device);
    let trained = Trainer::new(config)
        .unwrap()
        .out(&out)
        .fit::<NdArray, _>(model, &data, &device)
        .unwrap();
    let record = check_table(&out, &trained.model);
    let shapes: Vec<&[usize]> = record
        .parameters
        .iter()
        .map(|p| p.shape.as_slice())
        .collect();
    assert_eq!(shapes, [&[64][..], &[64, 64], &[10], &[64, 10]]);
    let text = read(&out, "config.toml");
    assert!(!text.contains("128"), "recorded the default MLP: {text}");
    assert!(text.contains("kind = \"custom\""), "{text}");
    assert!(text.contains("ditto_train::model::Mlp"), "{text}");
}

/// A model that ditto built from the config is recorded as the config says, and the report
/// says how to replay it.
#[test]
fn a_bundled_model_keeps_its_config_and_is_replayed_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let config = TrainConfig {
        max_steps: Some(5),
        ..TrainConfig::default()
    };
    let data = TrainData::from_config(&config).unwrap();
    Trainer::new(config.clone())
        .unwrap()
        .out(&out)
        .fit_bundled::<NdArray>(&data, &Default::default())
        .unwrap();
    let record: ModelRecord = serde_json::from_str(&read(&out, "model.json")).unwrap();
    assert_eq!(record.origin, ModelOrigin::Config);
    assert_eq!(record.type_name, "ditto_train::model::Mlp");
    let cfg = TrainConfig::from_toml(&read(&out, "config.toml")).unwrap();
    assert_eq!(cfg.model, config.model);
    let report = read(&out, "report.md");
    assert!(report.contains("ditto replay"), "{report}");
    assert!(
        report.contains("`ditto_train::model::Mlp`, built by ditto"),
        "{report}"
    );
}
