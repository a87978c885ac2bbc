//! Regression with your own model and your own loss through ditto's [`Trainer`](ditto::Trainer).
//!
//! The pieces a user writes: a Burn model ([`Net`], any `Module` with a [`TrainModel`]
//! forward), a loss ([`Huber`], an [`Objective`]), and the data ([`data`], here generated from
//! the seed tree so the example needs no files). The binary (`src/main.rs`) trains, resumes
//! and predicts with them.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::tensor::{Tensor, backend::Backend};
use ditto::data::InMemory;
use ditto::train::{
    Evaluation, Objective, TargetKind, Targets, TensorBatch, TrainConfig, TrainData, TrainModel,
};
use ditto::{Seed, Stream};

/// Inputs per sample.
pub const INPUTS: usize = 4;

/// Class: run-to-run (as the trainer). A two-layer perceptron with one real output.
#[derive(Module, Debug)]
pub struct Net<B: Backend> {
    hidden: Linear<B>,
    out: Linear<B>,
    act: Relu,
}

impl<B: Backend> Net<B> {
    /// Class: portable (re-initialised from the seed by the trainer). `INPUTS -> width -> 1`.
    pub fn new(width: usize, device: &B::Device) -> Self {
        Self {
            hidden: LinearConfig::new(INPUTS, width).init(device),
            out: LinearConfig::new(width, 1).init(device),
            act: Relu::new(),
        }
    }
}

impl<B: Backend> TrainModel<B> for Net<B> {
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.out.forward(self.act.forward(self.hidden.forward(x)))
    }
}

/// Class: as the ops. The Huber loss (quadratic below `delta`, linear above), mean over the
/// batch: a loss Burn's trainer does not offer, written by the user.
#[derive(Clone, Copy, Debug)]
pub struct Huber {
    /// Where the loss turns from quadratic to linear.
    pub delta: f32,
}

impl<B: Backend, M: TrainModel<B>> Objective<B, M> for Huber {
    fn targets(&self) -> TargetKind {
        TargetKind::Values
    }

    fn loss(&self, model: &M, batch: &TensorBatch<B>) -> Tensor<B, 1> {
        let Targets::Values(y) = &batch.targets else {
            unreachable!("the trainer checks `targets()` against the data")
        };
        let err = (model.forward(batch.inputs.clone()) - y.clone()).abs();
        let quadratic = err.clone().clamp_max(self.delta);
        let linear = err - quadratic.clone();
        (quadratic.clone() * quadratic * 0.5 + linear * self.delta).mean()
    }

    fn evaluate(&self, model: &M, batch: &TensorBatch<B>) -> Evaluation {
        let Targets::Values(y) = &batch.targets else {
            unreachable!("the trainer checks `targets()` against the data")
        };
        let out = model.forward(batch.inputs.clone());
        let abs: Vec<f32> = (out - y.clone())
            .abs()
            .into_data()
            .to_vec()
            .unwrap_or_default();
        let loss = <Self as Objective<B, M>>::loss(self, model, batch);
        Evaluation {
            loss: loss.into_data().to_vec::<f32>().unwrap_or_default()[0],
            sums: vec![("mae", abs.iter().map(|v| f64::from(*v)).sum())],
            predictions: Vec::new(),
        }
    }
}

/// Class: portable. `n` samples of `y = 0.5 x0 - x1 x2 + x3^2 + noise` with `x` uniform in
/// `[-1, 1)^4` and noise uniform in `[-0.05, 0.05)`, drawn from `seed` (only IEEE-exact
/// arithmetic, so the data is the same everywhere). Each sample is `[x0, x1, x2, x3, y]`.
pub fn samples(seed: Seed, n: usize) -> Result<InMemory, ditto::data::Error> {
    let mut s: Stream = seed.stream();
    let mut features = Vec::with_capacity(n * (INPUTS + 1));
    for _ in 0..n {
        let x: Vec<f32> = (0..INPUTS).map(|_| s.uniform_f32() * 2.0 - 1.0).collect();
        let noise = (s.uniform_f32() - 0.5) * 0.1;
        let y = 0.5 * x[0] - x[1] * x[2] + x[3] * x[3] + noise;
        features.extend_from_slice(&x);
        features.push(y);
    }
    // Regression data carries no classes: every label is 0.
    InMemory::new(vec![INPUTS + 1], features, vec![0; n], 1)
}

/// Class: portable. 800 training and 200 test samples, from `seed/train` and `seed/test`.
pub fn data(seed: u64) -> Result<TrainData, Box<dyn std::error::Error>> {
    let root = Seed::from_u64(seed).derive("regression-example");
    let train = samples(root.derive("train"), 800)?;
    let test = samples(root.derive("test"), 200)?;
    Ok(TrainData::regression(train, test, 1, 1.0)?)
}

/// Class: run-to-run (as the backend's forward). A hash of the bits of `model`'s predictions
/// on the test split: equal hashes mean bit-identical predictions.
pub fn prediction_hash<B: Backend>(model: &Net<B>, data: &TrainData, device: &B::Device) -> String {
    let test = data.test_batch(0..data.test_len());
    let x = Tensor::<B, 2>::from_data(
        burn::tensor::TensorData::new(test.x, [test.rows, INPUTS]),
        device,
    );
    let y: Vec<f32> = model.forward(x).into_data().to_vec().unwrap_or_default();
    let mut h = mix(y.len() as u64);
    for v in &y {
        h = mix(h ^ u64::from(v.to_bits()));
    }
    format!("{} predictions, hash {h:016x}", y.len())
}

/// SplitMix64's finaliser: a simple, fixed mixing function.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Class: portable. The example's config: seed `seed`, 6 epochs of 25 batches of 32, a
/// checkpoint every 10 steps, Adam.
pub fn config(seed: u64) -> TrainConfig {
    let mut c = TrainConfig {
        seed,
        epochs: 6,
        batch_size: 32,
        checkpoint_every: 10,
        keep_checkpoints: 0,
        ..TrainConfig::default()
    };
    c.data.source = ditto::train::DataSource::InMemory {
        name: "regression-example".into(),
        content: None,
    };
    c.model = ditto::train::ModelConfig::Custom(ditto::train::CustomModelConfig {
        name: Some("Net(4-32-1)".into()),
    });
    c
}
