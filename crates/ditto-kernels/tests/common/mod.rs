//! Shared pieces of the determinism suite: small models, a training loop and digests.
#![allow(dead_code)]

pub mod values;

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, Relu};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use ditto_rng::{BurnDefaults, Seed, reinit};

/// A two-layer MLP with dropout.
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    fc1: Linear<B>,
    fc2: Linear<B>,
    dropout: Dropout,
    act: Relu,
}

impl<B: Backend> Mlp<B> {
    pub fn new(device: &B::Device) -> Self {
        Self {
            fc1: LinearConfig::new(16, 32).init(device),
            fc2: LinearConfig::new(32, 4).init(device),
            dropout: DropoutConfig::new(0.2).init(),
            act: Relu::new(),
        }
    }

    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let h = self.act.forward(self.fc1.forward(x));
        self.fc2.forward(self.dropout.forward(h))
    }
}

/// A small CNN: conv, relu, max-pool, linear.
#[derive(Module, Debug)]
pub struct Cnn<B: Backend> {
    conv: Conv2d<B>,
    pool: MaxPool2d,
    fc: Linear<B>,
    dropout: Dropout,
    act: Relu,
}

impl<B: Backend> Cnn<B> {
    pub fn new(device: &B::Device) -> Self {
        Self {
            conv: Conv2dConfig::new([1, 4], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc: LinearConfig::new(4 * 3 * 3, 4).init(device),
            dropout: DropoutConfig::new(0.1).init(),
            act: Relu::new(),
        }
    }

    /// `x`: `[batch, 16]`, read as `[batch, 1, 4, 4]` images upsampled to 8x8.
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let [b, _] = x.dims();
        let img = x.reshape([b, 1, 4, 4]).repeat_dim(2, 2).repeat_dim(3, 2);
        let h = self.pool.forward(self.act.forward(self.conv.forward(img)));
        let h = self.dropout.forward(h.flatten(1, 3));
        self.fc.forward(h)
    }
}

/// Synthetic, seed-derived data: `n` rows of 16 features and a label in 0..4.
pub fn data(n: usize) -> (Vec<f32>, Vec<i64>) {
    let mut s = Seed::from_u64(99).derive("test-data").stream();
    let mut x = vec![0f32; n * 16];
    s.fill_normal_f32(&mut x, 0.0, 1.0).unwrap();
    let y = (0..n).map(|_| s.below(4).unwrap() as i64).collect();
    (x, y)
}

/// What a training run leaves behind, as bits.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct Outcome {
    pub losses: Vec<u32>,
    pub weights: Vec<Vec<u32>>,
}

impl Outcome {
    pub fn digest(&self) -> String {
        let mut h = blake3::Hasher::new();
        for l in &self.losses {
            h.update(&l.to_le_bytes());
        }
        for w in &self.weights {
            for b in w {
                h.update(&b.to_le_bytes());
            }
        }
        h.finalize().to_hex().to_string()
    }

    pub fn floats(&self) -> Vec<f32> {
        self.weights
            .iter()
            .flatten()
            .map(|b| f32::from_bits(*b))
            .collect()
    }
}

fn bits<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<u32> {
    t.into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .unwrap()
        .into_iter()
        .map(f32::to_bits)
        .collect()
}

/// Which model to train.
#[derive(Clone, Copy, Debug)]
pub enum Model {
    Mlp,
    Cnn,
}

/// `steps` Adam steps on batches of 32 from `seed`: initial weights by `ditto_rng::reinit`,
/// dropout masks from the decorator's stream (`B::seed`).
pub fn train<B: AutodiffBackend>(
    model: Model,
    steps: usize,
    seed: u64,
    device: &B::Device,
) -> Outcome {
    B::seed(device, seed);
    let init = Seed::from_u64(seed).derive("init");
    let (x, y) = data(256);
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut losses = Vec::new();
    let batch = |step: usize| {
        let start = (step * 32) % 256;
        let xb = Tensor::<B, 2>::from_data(
            TensorData::new(x[start * 16..(start + 32) * 16].to_vec(), [32, 16]),
            device,
        );
        let yb = Tensor::<B, 1, Int>::from_data(
            TensorData::new(y[start..start + 32].to_vec(), [32]),
            device,
        );
        (xb, yb)
    };
    match model {
        Model::Mlp => {
            let mut m = reinit(Mlp::<B>::new(device), &init, &BurnDefaults)
                .ok()
                .unwrap();
            let mut optim = AdamConfig::new().init();
            for step in 0..steps {
                let (xb, yb) = batch(step);
                let loss = loss_fn.forward(m.forward(xb), yb);
                losses.push(bits(loss.clone())[0]);
                let grads = GradientsParams::from_grads(loss.backward(), &m);
                m = optim.step(1e-2, m, grads);
            }
            let weights = vec![
                bits(m.fc1.weight.val()),
                bits(m.fc1.bias.clone().unwrap().val()),
                bits(m.fc2.weight.val()),
                bits(m.fc2.bias.clone().unwrap().val()),
            ];
            Outcome { losses, weights }
        }
        Model::Cnn => {
            let mut m = reinit(Cnn::<B>::new(device), &init, &BurnDefaults)
                .ok()
                .unwrap();
            let mut optim = AdamConfig::new().init();
            for step in 0..steps {
                let (xb, yb) = batch(step);
                let loss = loss_fn.forward(m.forward(xb), yb);
                losses.push(bits(loss.clone())[0]);
                let grads = GradientsParams::from_grads(loss.backward(), &m);
                m = optim.step(1e-2, m, grads);
            }
            let weights = vec![
                bits(m.conv.weight.val()),
                bits(m.conv.bias.clone().unwrap().val()),
                bits(m.fc.weight.val()),
                bits(m.fc.bias.clone().unwrap().val()),
            ];
            Outcome { losses, weights }
        }
    }
}

/// The name `--exact` needs for the test `test` of the module `module` (`module_path!()`):
/// the tests are modules of one binary, so a test's name is `file_module::test`.
pub fn exact(module: &str, test: &str) -> String {
    match module.split_once("::") {
        Some((_, path)) => format!("{path}::{test}"),
        None => test.to_owned(),
    }
}

/// Re-runs the current test binary as a child that executes only `test` (a name from
/// [`exact`]) with `env`, and returns the value it printed after `KEY=`.
pub fn child(test: &str, key: &str, env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env("DITTO_TEST_CHILD", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child {test} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.split_once(&format!("{key}=")).map(|(_, v)| v.trim()))
        .unwrap_or_else(|| panic!("no {key}= in: {stdout}"))
        .to_owned()
}

pub fn is_child() -> bool {
    std::env::var_os("DITTO_TEST_CHILD").is_some()
}
