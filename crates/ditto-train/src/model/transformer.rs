//! The bundled transformer: image rows as tokens, Burn's `TransformerEncoder`, a classifier.

use burn::module::Module;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Int, Tensor, backend::Backend};

use crate::config::TransformerConfig;
use crate::model::TrainModel;

/// Class: portable (initialised by `ditto_rng::reinit`). A small transformer encoder classifier
/// for `tokens x width` images: each row of `width` pixels is a token, linearly embedded to
/// `d_model` plus a learned position embedding, then Burn's `TransformerEncoder` (pre-norm,
/// multi-head self-attention, LayerNorm, GELU feed-forward, dropout), a final LayerNorm, the
/// mean over tokens and a linear classifier.
///
/// Parameter paths: `embed.weight|bias`, `position.weight`, `encoder.layers.<i>.…` (Burn's
/// names), `norm.gamma|beta`, `head.weight|bias`.
#[derive(Module, Debug)]
pub struct Transformer<B: Backend> {
    embed: Linear<B>,
    position: Embedding<B>,
    encoder: TransformerEncoder<B>,
    norm: LayerNorm<B>,
    head: Linear<B>,
    tokens: usize,
    width: usize,
}

impl<B: Backend> Transformer<B> {
    /// Class: portable. The network for `tokens x width` images and `classes` classes
    /// (weights are drawn by `reinit` afterwards). `config` must be valid
    /// ([`crate::TrainConfig::validate`]: `heads` divides `d_model`).
    pub fn new(
        tokens: usize,
        width: usize,
        config: &TransformerConfig,
        classes: usize,
        device: &B::Device,
    ) -> Self {
        let encoder =
            TransformerEncoderConfig::new(config.d_model, config.d_ff, config.heads, config.layers)
                .with_dropout(config.dropout)
                .with_norm_first(true)
                .init(device);
        Self {
            embed: LinearConfig::new(width, config.d_model).init(device),
            position: EmbeddingConfig::new(tokens, config.d_model).init(device),
            encoder,
            norm: LayerNormConfig::new(config.d_model).init(device),
            head: LinearConfig::new(config.d_model, classes).init(device),
            tokens,
            width,
        }
    }
}

impl<B: Backend> TrainModel<B> for Transformer<B> {
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let [batch, _] = x.dims();
        let device = x.device();
        let rows: Tensor<B, 3> = x.reshape([batch, self.tokens, self.width]);
        let positions =
            Tensor::<B, 1, Int>::arange(0..self.tokens as i64, &device).reshape([1, self.tokens]);
        let h = self.embed.forward(rows) + self.position.forward(positions);
        let h = self.encoder.forward(TransformerEncoderInput::new(h));
        let pooled: Tensor<B, 2> = self.norm.forward(h).mean_dim(1).squeeze_dim(1);
        self.head.forward(pooled)
    }
}
