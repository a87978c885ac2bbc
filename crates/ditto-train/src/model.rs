//! The model interface the trainer drives, and the bundled MLP.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, Relu};
use burn::tensor::{Tensor, backend::Backend};

/// Class: not applicable (an interface). A model the trainer can drive: any Burn `Module`
/// mapping a `[batch, features]` tensor to `[batch, classes]` logits.
pub trait TrainModel<B: Backend>: Module<B> {
    /// Logits in training mode (dropout active under `Autodiff`).
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2>;
}

/// Class: portable (initialised by `ditto_rng::reinit`). A multi-layer perceptron with ReLU
/// and dropout after each hidden layer. Parameter paths: `layers.<i>.weight`, `layers.<i>.bias`.
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    layers: Vec<Linear<B>>,
    dropout: Dropout,
    act: Relu,
}

impl<B: Backend> Mlp<B> {
    /// Class: portable. `inputs -> hidden... -> classes` (weights are drawn by `reinit`
    /// afterwards, so Burn's own initialiser output is irrelevant).
    pub fn new(
        inputs: usize,
        hidden: &[usize],
        classes: usize,
        dropout: f64,
        device: &B::Device,
    ) -> Self {
        let mut widths = vec![inputs];
        widths.extend_from_slice(hidden);
        widths.push(classes);
        Self {
            layers: widths
                .windows(2)
                .map(|w| LinearConfig::new(w[0], w[1]).init(device))
                .collect(),
            dropout: DropoutConfig::new(dropout).init(),
            act: Relu::new(),
        }
    }
}

impl<B: Backend> TrainModel<B> for Mlp<B> {
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let last = self.layers.len() - 1;
        let mut h = x;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = self.dropout.forward(self.act.forward(h));
            }
        }
        h
    }
}
