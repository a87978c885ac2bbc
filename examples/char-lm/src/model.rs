//! The model: a small causal transformer over characters, and the task that trains it (next
//! character at every position, cross-entropy in nats per character).

use burn::module::Module;
use burn::nn::attention::generate_autoregressive_mask;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Int, Tensor, TensorData};
use ditto::train::{Evaluation, Task};

/// Class: not applicable (a choice). The model's sizes.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Tokens in the vocabulary.
    pub vocab: usize,
    /// Positions the model sees (the window's inputs).
    pub context: usize,
    /// Width of the residual stream.
    pub d_model: usize,
    /// Width of each layer's feed-forward.
    pub d_ff: usize,
    /// Attention heads per layer.
    pub heads: usize,
    /// Encoder layers.
    pub layers: usize,
}

/// Class: canonical under ditto's decorator in canonical mode (every op below has a canonical
/// kernel); weights drawn by the trainer from the run's seed. A character-level language model:
/// token embedding plus a learned position embedding, Burn's `TransformerEncoder` (pre-norm,
/// multi-head self-attention under a causal mask, GELU feed-forward, no dropout), a final
/// LayerNorm and a linear head to the vocabulary at every position.
///
/// Parameter paths: `token.weight`, `position.weight`, `encoder.layers.<i>.…` (Burn's names),
/// `norm.gamma|beta`, `head.weight|bias`.
#[derive(Module, Debug)]
pub struct CharLm<B: Backend> {
    token: Embedding<B>,
    position: Embedding<B>,
    encoder: TransformerEncoder<B>,
    norm: LayerNorm<B>,
    head: Linear<B>,
}

impl<B: Backend> CharLm<B> {
    /// Class: portable (the weights are drawn afterwards, by the trainer or a checkpoint).
    /// The network of `sizes` on `device`.
    pub fn new(sizes: &Sizes, device: &B::Device) -> Self {
        Self {
            token: EmbeddingConfig::new(sizes.vocab, sizes.d_model).init(device),
            position: EmbeddingConfig::new(sizes.context, sizes.d_model).init(device),
            encoder: TransformerEncoderConfig::new(
                sizes.d_model,
                sizes.d_ff,
                sizes.heads,
                sizes.layers,
            )
            .with_dropout(0.0)
            .with_norm_first(true)
            .init(device),
            norm: LayerNormConfig::new(sizes.d_model).init(device),
            head: LinearConfig::new(sizes.d_model, sizes.vocab).init(device),
        }
    }

    /// Class: as the ops (canonical in canonical mode). Token ids `[batch, len]` (`len` at
    /// most the context) to logits `[batch, len, vocab]`; position `t`'s logits see tokens
    /// `0..=t` only (causal mask), so they predict token `t + 1`.
    pub fn forward(&self, ids: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        let [batch, len] = ids.dims();
        let device = ids.device();
        let positions = Tensor::<B, 1, Int>::arange(0..len as i64, &device).reshape([1, len]);
        let h = self.token.forward(ids) + self.position.forward(positions);
        let mask = generate_autoregressive_mask::<B>(batch, len, &device);
        let h = self
            .encoder
            .forward(TransformerEncoderInput::new(h).mask_attn(mask));
        self.head.forward(self.norm.forward(h))
    }

    /// Class: as the ops. The logits at position `at` of each sequence: `[batch, vocab]`, the
    /// distribution of the token after `ids[.., at]`. With `at` the last position this is what
    /// the model outputs for a window (what sampling reads, one character at a time).
    pub fn logits_at(&self, ids: Tensor<B, 2, Int>, at: usize) -> Tensor<B, 2> {
        let logits = self.forward(ids);
        let [batch, _, vocab] = logits.dims();
        logits.slice([0..batch, at..at + 1]).reshape([batch, vocab])
    }
}

/// Class: portable (a pure function of its items). The next-character task: an item is a
/// window of `context + 1` token ids; its inputs are the first `context`, its targets the
/// last `context`.
pub struct NextChar;

/// Class: as its tensors. A batch of windows: inputs and targets, `[batch, context]` each.
pub struct Windows<B: Backend> {
    inputs: Tensor<B, 2, Int>,
    targets: Tensor<B, 2, Int>,
}

impl NextChar {
    /// The loss at every position, in nats: `[batch, context]`.
    fn positions<B: Backend>(&self, model: &CharLm<B>, batch: &Windows<B>) -> Tensor<B, 2> {
        let logits = model.forward(batch.inputs.clone());
        let [b, len, _] = logits.dims();
        let picked = log_softmax(logits, 2).gather(2, batch.targets.clone().reshape([b, len, 1]));
        picked.reshape([b, len]).neg()
    }
}

impl<B: Backend> Task<B, CharLm<B>> for NextChar {
    type Item = Vec<u8>;
    type Batch = Windows<B>;

    fn batch(&self, items: &[Vec<u8>], device: &B::Device) -> Windows<B> {
        let len = items.first().map_or(0, |w| w.len().saturating_sub(1));
        let part = |from: usize| -> Tensor<B, 2, Int> {
            let ids: Vec<i64> = items
                .iter()
                .flat_map(|w| w[from..from + len].iter().map(|&t| i64::from(t)))
                .collect();
            Tensor::from_data(TensorData::new(ids, [items.len(), len]), device)
        };
        Windows {
            inputs: part(0),
            targets: part(1),
        }
    }

    /// The mean cross-entropy over every position of every window (nats per character).
    fn loss(&self, model: &CharLm<B>, batch: &Windows<B>) -> Tensor<B, 1> {
        self.positions(model, batch).mean()
    }

    /// The cross-entropy at every position: `[batch, context]`.
    fn item_loss(&self, model: &CharLm<B>, batch: &Windows<B>) -> Option<Tensor<B, 2>> {
        Some(self.positions(model, batch))
    }

    /// The loss only, in nats per character (windows of one split all have `context`
    /// positions, so the trainer's mean over windows is the mean over characters).
    fn evaluate(&self, model: &CharLm<B>, batch: &Windows<B>) -> Evaluation {
        Evaluation {
            loss: self.loss(model, batch).into_scalar().elem::<f32>(),
            ..Evaluation::default()
        }
    }

    /// The logits of the next character after each window's last input (`[batch, vocab]`):
    /// what `ditto::train::predict` writes.
    fn outputs(&self, model: &CharLm<B>, batch: &Windows<B>) -> Option<Tensor<B, 2>> {
        let [_, len] = batch.inputs.dims();
        Some(model.logits_at(batch.inputs.clone(), len.checked_sub(1)?))
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;

    use super::*;

    #[test]
    fn outputs_are_the_last_positions_logits() {
        let sizes = Sizes {
            vocab: 5,
            context: 4,
            d_model: 8,
            d_ff: 16,
            heads: 2,
            layers: 1,
        };
        let d = Default::default();
        let model = CharLm::<NdArray>::new(&sizes, &d);
        let items = vec![vec![0u8, 1, 2, 3, 4], vec![4u8, 3, 2, 1, 0]];
        let batch = <NextChar as Task<NdArray, CharLm<NdArray>>>::batch(&NextChar, &items, &d);
        let out = NextChar.outputs(&model, &batch).unwrap();
        assert_eq!(out.dims(), [2, 5]);
        let want = model.logits_at(batch.inputs.clone(), 3);
        assert_eq!(out.into_data(), want.into_data());
    }
}
