//! What the step benches share: a bundled model with seeded weights, a seeded batch and Adam,
//! ready to run one training step (forward, backward, Adam). Included by `train_step.rs` and
//! `op_trace.rs` with `#[path]`.

use burn::module::AutodiffModule;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData};
use ditto::Seed;
use ditto::kernels::{Ditto, DittoConfig, KernelMode};
use ditto::rng::{BurnDefaults, reinit};
use ditto::train::TrainModel;

/// A model, a batch and an optimiser, ready to step.
pub struct Step<B: AutodiffBackend, M: TrainModel<B> + AutodiffModule<B>> {
    pub model: Option<M>,
    optim: burn::optim::adaptor::OptimizerAdaptor<burn::optim::Adam, M, B>,
    x: Tensor<B, 2>,
    y: Tensor<B, 1, Int>,
}

impl<B: AutodiffBackend, M: TrainModel<B> + AutodiffModule<B>> Step<B, M> {
    pub fn new(model: M, features: usize, rows: usize, device: &B::Device) -> Self {
        let model = reinit(model, &Seed::from_u64(0).derive("init"), &BurnDefaults)
            .map_err(|(_, e)| e)
            .expect("bundled models are initialisable");
        let mut s = Seed::from_u64(0).derive("bench-batch").stream();
        let mut x = vec![0f32; rows * features];
        s.fill_uniform_f32(&mut x, 0.0, 1.0).expect("finite range");
        let y: Vec<i64> = (0..rows).map(|i| (i % 10) as i64).collect();
        B::seed(device, 0);
        Self {
            model: Some(model),
            optim: AdamConfig::new().init(),
            x: Tensor::from_data(TensorData::new(x, [rows, features]), device),
            y: Tensor::from_data(TensorData::new(y, [rows]), device),
        }
    }

    pub fn run(&mut self) {
        let model = self.model.take().expect("model present");
        let device = self.x.device();
        let logits = model.forward(self.x.clone());
        let loss = CrossEntropyLossConfig::new()
            .init(&device)
            .forward(logits, self.y.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optim.step(1e-3, model, grads));
    }
}

/// Sets the kernel mode of `Ditto<NdArray>` on the default device.
pub fn mode(kernels: KernelMode) {
    Ditto::<burn::backend::NdArray>::configure(
        &Default::default(),
        DittoConfig {
            kernels,
            ..Default::default()
        },
    );
}

/// The median of `v`.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
