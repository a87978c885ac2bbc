//! The simple case on top of the general one: a [`TrainData`] and an [`Objective`] as a
//! [`Task`] over its samples, with the same host arrays, tensors and ops as before the general
//! trainer (so the same bits).

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use ditto_data::Sample;

use crate::data::TrainData;
use crate::objective::{Evaluation, Objective, TensorBatch};
use crate::task::Task;
use crate::trainer::batch::to_tensors;
use crate::trainer::feed::Feed;

/// An objective over a [`TrainData`]'s samples.
pub(crate) struct ObjectiveTask<'a, O> {
    pub(crate) objective: &'a O,
    pub(crate) data: &'a TrainData,
}

impl<B: Backend, M, O: Objective<B, M>> Task<B, M> for ObjectiveTask<'_, O> {
    type Item = Sample;
    type Batch = TensorBatch<B>;

    fn batch(&self, items: &[Sample], device: &B::Device) -> TensorBatch<B> {
        to_tensors::<B>(&self.data.items_to_batch(items), self.data, device)
    }

    fn loss(&self, model: &M, batch: &TensorBatch<B>) -> Tensor<B, 1> {
        self.objective.loss(model, batch)
    }

    fn item_loss(&self, model: &M, batch: &TensorBatch<B>) -> Option<Tensor<B, 2>> {
        self.objective.sample_loss(model, batch)
    }

    fn evaluate(&self, model: &M, batch: &TensorBatch<B>) -> Evaluation {
        self.objective.evaluate(model, batch)
    }
}

impl TrainData {
    /// The loop's view of this data: its training set (with `config`'s augmentations), no
    /// validation set, its test set, and the source a run records as `name`.
    pub(crate) fn feed(
        &self,
        config: &crate::config::TrainConfig,
        name: &str,
    ) -> Result<Feed<ditto_data::Subset<ditto_data::InMemory>>, crate::error::Error> {
        Ok(Feed {
            train: std::sync::Arc::clone(self.train_set()),
            valid: None,
            test: Some(std::sync::Arc::clone(self.test_set())),
            transform: self.augmenter(config)?,
            classes: (self.target_kind() == crate::objective::TargetKind::Classes)
                .then(|| self.classes()),
            source: self.source(name),
        })
    }
}
