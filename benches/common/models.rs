//! The bundled examples' models at the benches' shapes, each with its seeded batch and Adam
//! (`Step`). Included by `train_step.rs` and `peer_steps.rs` with `#[path]`, after `step.rs`.

use burn::tensor::backend::AutodiffBackend;
use ditto::train::{Cnn, Mlp, Transformer, TransformerConfig};

use super::step::Step;

/// digits-mlp: 64-128-10 MLP, dropout 0.1, batch 32.
pub fn mlp<B: AutodiffBackend>(d: &B::Device) -> Step<B, Mlp<B>> {
    Step::new(Mlp::new(64, &[128], 10, 0.1, d), 64, 32, d)
}

/// fashion-cnn: two 3x3 convolutions (8, 16 channels) on 28x28, dense 64, batch 64.
pub fn cnn<B: AutodiffBackend>(d: &B::Device) -> Step<B, Cnn<B>> {
    Step::new(Cnn::new(28, 28, &[8, 16], 64, 10, 0.1, d), 784, 64, d)
}

/// digits-transformer: the example's shape (8 tokens of 8 pixels), batch 32.
pub fn transformer<B: AutodiffBackend>(d: &B::Device) -> Step<B, Transformer<B>> {
    let c = TransformerConfig::default();
    Step::new(Transformer::new(8, 8, &c, 10, d), 64, 32, d)
}
