//! The simple case on top of the general one: a [`TrainData`] and an [`Objective`] as a
//! [`Task`] over its samples, with the same host arrays, tensors and ops as before the general
//! trainer (so the same bits).

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use std::sync::Arc;

use ditto_data::{InMemory, Sample, Subset, split};

use crate::config::TrainConfig;
use crate::error::{Error, ErrorKind};
use crate::objective::TargetKind;
use crate::seeds::RunSeeds;

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
    /// The loop's view of this data: its training set (with `config`'s augmentations), the
    /// validation part `config.validation.fraction` holds out of it (drawn from
    /// `root/valid/split`, stratified as `data.stratified`; none at 0), its test set, and the
    /// source a run records as `name`.
    pub(crate) fn feed(
        &self,
        config: &TrainConfig,
        name: &str,
    ) -> Result<Feed<Subset<InMemory>>, Error> {
        let (train, valid) = match config.validation.fraction {
            f if f > 0.0 => {
                let (train, valid) = hold_out(self.train_set(), config, f)?;
                (Arc::new(train), Some(Arc::new(valid)))
            }
            _ => (Arc::clone(self.train_set()), None),
        };
        Ok(Feed {
            train,
            valid,
            test: Some(Arc::clone(self.test_set())),
            transform: self.augmenter(config)?,
            classes: (self.target_kind() == TargetKind::Classes).then(|| self.classes()),
            source: self.source(name),
        })
    }
}

/// `fraction` of `train`'s items held out for validation, by `ditto_data::split` from
/// `root/valid` (so `root/valid/split`, apart from the train/test split's `root/split`).
fn hold_out(
    train: &Arc<Subset<InMemory>>,
    config: &TrainConfig,
    fraction: f64,
) -> Result<(Subset<InMemory>, Subset<InMemory>), Error> {
    let all = train.dataset();
    let labels: Vec<u32> = train.indices().iter().map(|&i| all.labels()[i]).collect();
    let seed = RunSeeds::of(config).split_root().derive("valid");
    let (keep, held) = split(&seed, &labels, fraction, config.data.stratified);
    if keep.is_empty() || held.is_empty() {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "config `validation.fraction`: {fraction} of {} training items leaves the \
                 training or the validation split empty",
                labels.len()
            ),
        ));
    }
    let pick = |part: Vec<usize>| {
        let idx = part.into_iter().map(|k| train.indices()[k]).collect();
        Subset::new(Arc::clone(all), idx)
    };
    Ok((pick(keep), pick(held)))
}
