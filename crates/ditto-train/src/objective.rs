//! What training minimises: the [`Objective`] trait, with classification and regression.

use burn::nn::loss::{CrossEntropyLossConfig, MseLoss, Reduction};
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::model::TrainModel;

/// Class: not applicable (a description). The kind of targets a data set carries and an
/// objective needs; the trainer refuses a mismatch before the first step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// One class index per sample.
    Classes,
    /// `width` real values per sample.
    Values,
}

/// Class: portable. A batch as tensors: inputs `[rows, features]` and the targets.
#[derive(Clone, Debug)]
pub struct TensorBatch<B: Backend> {
    /// Inputs, one row per sample (an image flattened row-major).
    pub inputs: Tensor<B, 2>,
    /// The targets.
    pub targets: Targets<B>,
}

/// Class: portable. The targets of a batch.
#[derive(Clone, Debug)]
pub enum Targets<B: Backend> {
    /// Class indices, `[rows]`.
    Classes(Tensor<B, 1, Int>),
    /// Real values, `[rows, width]`.
    Values(Tensor<B, 2>),
}

/// Class: as its tensors. One test batch's evaluation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    /// Mean loss over the batch.
    pub loss: f32,
    /// Metric sums over the batch by name (the trainer adds them over the test split, in
    /// order, in f64, and divides by the number of samples).
    pub sums: Vec<(&'static str, f64)>,
    /// Classification: `(true class, predicted class)` per sample, for the confusion matrix.
    pub predictions: Vec<(u32, u32)>,
}

/// Class: as the model's and loss's ops (run-to-run or canonical with ditto's decorator).
/// What training minimises, from a model and a batch to a scalar loss, plus the metrics
/// evaluated on the test split. Implement it for your own loss:
///
/// ```
/// use burn::tensor::{Tensor, backend::Backend};
/// use ditto_train::{Objective, TargetKind, TensorBatch, Targets, TrainModel};
///
/// /// Mean absolute error.
/// #[derive(Clone)]
/// struct Mae;
///
/// impl<B: Backend, M: TrainModel<B>> Objective<B, M> for Mae {
///     fn targets(&self) -> TargetKind {
///         TargetKind::Values
///     }
///     fn loss(&self, model: &M, batch: &TensorBatch<B>) -> Tensor<B, 1> {
///         let Targets::Values(y) = &batch.targets else {
///             unreachable!("the trainer checks `targets()` against the data")
///         };
///         (model.forward(batch.inputs.clone()) - y.clone()).abs().mean()
///     }
/// }
/// ```
pub trait Objective<B: Backend, M>: Send + Sync {
    /// Class: not applicable. The targets this objective needs.
    fn targets(&self) -> TargetKind;

    /// Class: as the ops. The scalar (1-element) loss of `batch`, to minimise.
    fn loss(&self, model: &M, batch: &TensorBatch<B>) -> Tensor<B, 1>;

    /// Class: as the ops. The loss before its mean: `[rows, k]`, row `r` computed from sample
    /// `r` alone, such that [`Objective::loss`] is the mean of all its elements. Needed to cut
    /// a batch into micro-batches (`[parallel]`): the trainer then takes the loss as
    /// `sum * (1 / (batch rows * k))`, whose gradient has the bits of `mean`'s. Default: `None`
    /// (the trainer refuses `peers` or `accumulate` above 1).
    fn sample_loss(&self, model: &M, batch: &TensorBatch<B>) -> Option<Tensor<B, 2>> {
        let _ = (model, batch);
        None
    }

    /// Class: as the ops. The loss and metric sums of a test batch. Default: the loss only.
    fn evaluate(&self, model: &M, batch: &TensorBatch<B>) -> Evaluation {
        Evaluation {
            loss: scalar(self.loss(model, batch)),
            ..Evaluation::default()
        }
    }
}

/// Class: as the ops. Classification: cross-entropy of the model's logits against class
/// indices; metric `accuracy`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Classification;

/// Class: as the ops. Regression: mean squared error of the model's output against the
/// targets; metric `mae` (mean absolute error per value).
#[derive(Clone, Copy, Debug, Default)]
pub struct Regression;

impl<B: Backend, M: TrainModel<B>> Objective<B, M> for Classification {
    fn targets(&self) -> TargetKind {
        TargetKind::Classes
    }

    fn loss(&self, model: &M, batch: &TensorBatch<B>) -> Tensor<B, 1> {
        let logits = model.forward(batch.inputs.clone());
        cross_entropy(logits, classes(batch))
    }

    /// Burn's cross-entropy before its mean: `-log_softmax(logits)[class]` per sample (the
    /// same ops as `CrossEntropyLoss`, whose loss is `-(mean of the gathered values)`).
    fn sample_loss(&self, model: &M, batch: &TensorBatch<B>) -> Option<Tensor<B, 2>> {
        let logits = model.forward(batch.inputs.clone());
        let y = classes(batch);
        let [rows] = y.dims();
        let picked = log_softmax(logits, 1).gather(1, y.reshape([rows, 1]));
        Some(picked.neg())
    }

    fn evaluate(&self, model: &M, batch: &TensorBatch<B>) -> Evaluation {
        let logits = model.forward(batch.inputs.clone());
        let y = classes(batch);
        let loss = scalar(cross_entropy(logits.clone(), y.clone()));
        let pred = ints(logits.argmax(1).flatten::<1>(0, 1));
        let truth = ints(y);
        let predictions: Vec<(u32, u32)> = truth
            .iter()
            .zip(&pred)
            .map(|(t, p)| (*t as u32, *p as u32))
            .collect();
        let correct = predictions.iter().filter(|(t, p)| t == p).count();
        Evaluation {
            loss,
            sums: vec![("accuracy", correct as f64)],
            predictions,
        }
    }
}

impl<B: Backend, M: TrainModel<B>> Objective<B, M> for Regression {
    fn targets(&self) -> TargetKind {
        TargetKind::Values
    }

    fn loss(&self, model: &M, batch: &TensorBatch<B>) -> Tensor<B, 1> {
        MseLoss::new().forward(
            model.forward(batch.inputs.clone()),
            values(batch),
            Reduction::Mean,
        )
    }

    /// Burn's squared errors before their mean.
    fn sample_loss(&self, model: &M, batch: &TensorBatch<B>) -> Option<Tensor<B, 2>> {
        Some(
            MseLoss::new().forward_no_reduction(model.forward(batch.inputs.clone()), values(batch)),
        )
    }

    fn evaluate(&self, model: &M, batch: &TensorBatch<B>) -> Evaluation {
        let out = model.forward(batch.inputs.clone());
        let y = values(batch);
        let [_, width] = y.dims();
        let loss = scalar(MseLoss::new().forward(out.clone(), y.clone(), Reduction::Mean));
        let abs = scalar((out - y).abs().sum()) as f64 / width.max(1) as f64;
        Evaluation {
            loss,
            sums: vec![("mae", abs)],
            predictions: Vec::new(),
        }
    }
}

fn cross_entropy<B: Backend>(logits: Tensor<B, 2>, y: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    CrossEntropyLossConfig::new()
        .init(&logits.device())
        .forward(logits, y)
}

fn classes<B: Backend>(batch: &TensorBatch<B>) -> Tensor<B, 1, Int> {
    match &batch.targets {
        Targets::Classes(y) => y.clone(),
        // The trainer checks `targets()` against the data before the first step.
        Targets::Values(_) => unreachable!("classification objective on value targets"),
    }
}

fn values<B: Backend>(batch: &TensorBatch<B>) -> Tensor<B, 2> {
    match &batch.targets {
        Targets::Values(y) => y.clone(),
        Targets::Classes(_) => unreachable!("regression objective on class targets"),
    }
}

/// Class: run-to-run (reads the device). The first value of a tensor as f32 (NaN if empty).
pub(crate) fn scalar<B: Backend>(t: Tensor<B, 1>) -> f32 {
    t.into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .ok()
        .and_then(|v| v.first().copied())
        .unwrap_or(f32::NAN)
}

fn ints<B: Backend>(t: Tensor<B, 1, Int>) -> Vec<i64> {
    t.into_data()
        .convert::<i64>()
        .to_vec::<i64>()
        .unwrap_or_default()
}
