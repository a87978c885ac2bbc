//! The general training step: [`Task`], your own batch type and loss over your own items.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use crate::objective::{Evaluation, scalar};

/// Class: as the ops it runs (run-to-run or canonical under ditto's decorator). What the
/// trainer trains a model `M` on, in the spirit of burn-train's `Batcher` + `TrainStep` +
/// `InferenceStep`, in one trait: how items become a batch of tensors, the loss of a batch,
/// and what an evaluation measures. Implement it generically over the backend (the trainer
/// needs it on the autodiff backend for training and on the inner one for evaluation):
///
/// ```
/// use burn::module::Module;
/// use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
/// use burn::tensor::{Int, Tensor, TensorData, backend::Backend};
/// use ditto_train::Task;
///
/// /// Predicts the next token at every position (token ids in, logits out).
/// #[derive(Module, Debug)]
/// struct Bigram<B: Backend> {
///     embed: Embedding<B>,
///     head: Linear<B>,
/// }
///
/// /// Items are windows of `len + 1` token ids; a batch is inputs and targets `[batch, len]`.
/// struct NextToken;
///
/// struct Windows<B: Backend> {
///     inputs: Tensor<B, 2, Int>,
///     targets: Tensor<B, 2, Int>,
/// }
///
/// impl<B: Backend> Task<B, Bigram<B>> for NextToken {
///     type Item = Vec<i64>;
///     type Batch = Windows<B>;
///
///     fn batch(&self, items: &[Vec<i64>], device: &B::Device) -> Windows<B> {
///         let len = items[0].len() - 1;
///         let part = |from: usize| -> Vec<i64> {
///             items.iter().flat_map(|w| w[from..from + len].to_vec()).collect()
///         };
///         let ids = |v: Vec<i64>| Tensor::from_data(TensorData::new(v, [items.len(), len]), device);
///         Windows { inputs: ids(part(0)), targets: ids(part(1)) }
///     }
///
///     fn loss(&self, model: &Bigram<B>, batch: &Windows<B>) -> Tensor<B, 1> {
///         self.positions(model, batch).mean()
///     }
///
///     fn item_loss(&self, model: &Bigram<B>, batch: &Windows<B>) -> Option<Tensor<B, 2>> {
///         Some(self.positions(model, batch))
///     }
/// }
///
/// impl NextToken {
///     /// The loss at every position: `[batch, len]`.
///     fn positions<B: Backend>(&self, model: &Bigram<B>, batch: &Windows<B>) -> Tensor<B, 2> {
///         let logits = model.head.forward(model.embed.forward(batch.inputs.clone())); // [b, len, v]
///         let [b, len, _] = logits.dims();
///         let logp = burn::tensor::activation::log_softmax(logits, 2);
///         let picked = logp.gather(2, batch.targets.clone().reshape([b, len, 1]));
///         picked.reshape([b, len]).neg()
///     }
/// }
/// ```
///
/// **What the trainer guarantees** with a task whose [`Task::batch`] is a pure function of its
/// items (no randomness: draw it in the dataset or a `ditto_data::Transform`, keyed by epoch
/// and item index; no counters): batches are a pure function of the seed, the epoch and the
/// position for any worker count, runs resume exactly, and in canonical mode every thread
/// count, instruction set and device gives the same bits.
///
/// **Peers and micro-batches** (`[parallel]`) need [`Task::item_loss`]: the trainer cuts a step's
/// items into contiguous ranges, builds each range's batch with [`Task::batch`], and minimises
/// the sum of all item losses times `1 / (items * k)` of the whole step. Every tensor of a batch
/// must lead with the item axis, and the model must reduce over the batch only in the ways
/// CANONICAL.md's "Micro-batches and peers" lists; the trainer checks this on the first step of
/// every process (the cut step's gradients against the step's in one piece, bit for bit) and
/// refuses the run with the parameters whose gradients differ, e.g. for a model that
/// flattens `[batch, len, d]` into `[batch * len, d]` before a `Linear`.
pub trait Task<B: Backend, M>: Send + Sync {
    /// One item of the data set (what its `get` returns).
    type Item: Clone + Send + Sync;
    /// A batch on a device.
    type Batch;

    /// Class: as the tensors it builds. The batch of `items`, in this order, on `device`.
    fn batch(&self, items: &[Self::Item], device: &B::Device) -> Self::Batch;

    /// Class: as the ops. The loss of `batch` to minimise (one element): what an uncut step
    /// differentiates.
    fn loss(&self, model: &M, batch: &Self::Batch) -> Tensor<B, 1>;

    /// Class: as the ops. The loss before its mean: `[items, k]`, row `r` computed from item
    /// `r` alone (e.g. `k` = positions of a sequence), such that [`Task::loss`] is the mean of
    /// all its elements. Needed to cut a step's batch into micro-batches (`[parallel]`).
    /// Default: `None` (cuts are refused).
    fn item_loss(&self, model: &M, batch: &Self::Batch) -> Option<Tensor<B, 2>> {
        let _ = (model, batch);
        None
    }

    /// Class: as the ops. The evaluation of `batch` (validation and test splits): its mean
    /// loss and metric sums over its items (the trainer adds them over the split in order, in
    /// f64, and divides by the number of items). Default: the loss only.
    fn evaluate(&self, model: &M, batch: &Self::Batch) -> Evaluation {
        Evaluation {
            loss: scalar(self.loss(model, batch)),
            ..Evaluation::default()
        }
    }

    /// Class: as the ops. What [`crate::predict`] writes for `batch`: the model's outputs,
    /// `[items, k]`, row `r` computed from item `r` alone (e.g. the logits of a classifier, or
    /// of a language model's last position). Default: `None` (prediction is refused).
    fn outputs(&self, model: &M, batch: &Self::Batch) -> Option<Tensor<B, 2>> {
        let _ = (model, batch);
        None
    }
}
