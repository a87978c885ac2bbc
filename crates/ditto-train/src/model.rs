//! The model interface the trainer drives, and the bundled models (the transformer in
//! [`transformer`]).

mod transformer;

pub use transformer::Transformer;

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::tensor::{Tensor, backend::Backend};

/// Class: not applicable (an interface). A model the trainer can drive: any Burn `Module`
/// mapping a `[batch, features]` tensor (each sample flattened row-major) to
/// `[batch, classes]` logits. A model over images reshapes inside `forward` (see [`Cnn`]).
///
/// The trainer re-initialises every parameter from the run's seed with
/// `ditto_rng::reinit(model, root.derive("init"), &BurnDefaults)` before training, so
/// whatever Burn's initialisers drew when the model was built is discarded; the parameters
/// must be of kinds [`ditto_rng::BurnDefaults`] knows (Linear, Conv, norms, Embedding).
pub trait TrainModel<B: Backend>: Module<B> {
    /// Class: as the model's ops. Logits; dropout is active when `B` is an autodiff backend.
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

/// Class: portable (initialised by `ditto_rng::reinit`). A small convolutional network for
/// one-channel `height x width` images: per entry of `channels`, a 3x3 convolution (padding
/// 1), ReLU and 2x2 max-pooling; then flatten, dropout, a dense ReLU layer, dropout and the
/// classifier. Parameter paths: `convs.<i>.weight|bias`, `dense.weight|bias`,
/// `head.weight|bias`.
#[derive(Module, Debug)]
pub struct Cnn<B: Backend> {
    convs: Vec<Conv2d<B>>,
    pool: MaxPool2d,
    dense: Linear<B>,
    head: Linear<B>,
    dropout: Dropout,
    act: Relu,
    height: usize,
    width: usize,
}

impl<B: Backend> Cnn<B> {
    /// Class: portable. The network for `height x width` images; each pooling halves the
    /// sides (rounding down), so they must stay at least 1.
    pub fn new(
        height: usize,
        width: usize,
        channels: &[usize],
        dense: usize,
        classes: usize,
        dropout: f64,
        device: &B::Device,
    ) -> Self {
        let mut c_in = 1;
        let (mut h, mut w) = (height, width);
        let mut convs = Vec::with_capacity(channels.len());
        for &c in channels {
            convs.push(
                Conv2dConfig::new([c_in, c], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device),
            );
            c_in = c;
            (h, w) = (h / 2, w / 2);
        }
        Self {
            convs,
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            dense: LinearConfig::new(c_in * h * w, dense).init(device),
            head: LinearConfig::new(dense, classes).init(device),
            dropout: DropoutConfig::new(dropout).init(),
            act: Relu::new(),
            height,
            width,
        }
    }

    /// Class: portable. Features of the flattened image after the convolutions, or `None` when
    /// a pooling would shrink a side to 0.
    pub fn flat_features(height: usize, width: usize, channels: &[usize]) -> Option<usize> {
        let (mut h, mut w) = (height, width);
        for _ in channels {
            (h, w) = (h / 2, w / 2);
        }
        (h > 0 && w > 0).then(|| channels.last().copied().unwrap_or(1) * h * w)
    }
}

impl<B: Backend> TrainModel<B> for Cnn<B> {
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let [batch, _] = x.dims();
        let mut h: Tensor<B, 4> = x.reshape([batch, 1, self.height, self.width]);
        for conv in &self.convs {
            h = self.pool.forward(self.act.forward(conv.forward(h)));
        }
        let flat: Tensor<B, 2> = self.dropout.forward(h.flatten(1, 3));
        let hidden = self
            .dropout
            .forward(self.act.forward(self.dense.forward(flat)));
        self.head.forward(hidden)
    }
}
