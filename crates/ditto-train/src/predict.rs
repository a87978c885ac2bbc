//! Running a trained model over new inputs, batch after batch: [`predict`] for a [`Task`]
//! (your own items and outputs), [`predict_rows`] for a [`TrainModel`] on rows of features.
//! A bundled model saved in a checkpoint: [`crate::BundledModel::predict`] (`ditto predict`).
//!
//! **Batch invariance.** In canonical mode under ditto's decorator, every op of the bundled
//! models computes a sample's output from that sample alone in one fixed order (matmul: one
//! fused multiply-add chain over the inner dimension, never split; sums and softmax along a
//! fixed axis: see `crates/ditto-kernels/CANONICAL.md`), so a sample's output has the same
//! bits at any batch size, any position in the batch and any thread count, on every CPU and
//! device canonical mode covers. A model of your own keeps that as long as its forward pass
//! mixes no samples (no `BatchNorm` in training mode, no padding that depends on the batch).
//! Run-to-run mode promises the same bits for the same batch size and order on the same
//! machine and build, not across batch sizes: it picks kernels by shape (a small 2-D `Linear`
//! runs burn-ndarray's `matrixmultiply`, a large one ditto's kernel).

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use crate::error::{Error, ErrorKind};
use crate::model::TrainModel;
use crate::task::Task;

/// Class: portable (data). A model's outputs for a sequence of inputs: `width` values per
/// input, row-major, in input order.
#[derive(Clone, Debug, PartialEq)]
pub struct Outputs {
    /// Values per input (0 when there were no inputs).
    pub width: usize,
    /// The outputs, `rows() x width`.
    pub values: Vec<f32>,
}

impl Outputs {
    /// Class: portable. The number of inputs.
    pub fn rows(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    /// Class: portable. The outputs of input `r`, or `None` past the end.
    pub fn row(&self, r: usize) -> Option<&[f32]> {
        let start = r.checked_mul(self.width)?;
        self.values.get(start..start.checked_add(self.width)?)
    }

    /// Class: portable. The index of input `r`'s largest output (the first of equal ones;
    /// NaN is never the largest unless all are NaN, then 0): a classifier's prediction.
    pub fn argmax(&self, r: usize) -> Option<usize> {
        let row = self.row(r)?;
        let mut best: Option<(usize, f32)> = None;
        for (i, &v) in row.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((i, v));
            }
        }
        Some(best.map_or(0, |(i, _)| i))
    }

    fn push<B: Backend>(&mut self, out: Tensor<B, 2>, rows: usize) -> Result<(), Error> {
        let [r, width] = out.dims();
        if r != rows {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("predict: the outputs of {rows} inputs have {r} rows"),
            ));
        }
        if !self.values.is_empty() && width != self.width {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!(
                    "predict: one batch's outputs are {width} wide, an earlier one's {}",
                    self.width
                ),
            ));
        }
        self.width = width;
        let values = out
            .into_data()
            .convert::<f32>()
            .to_vec::<f32>()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Invalid,
                    None,
                    format!("predict: reading outputs: {e:?}"),
                )
            })?;
        self.values.extend(values);
        Ok(())
    }
}

fn check_batch_size(batch_size: usize) -> Result<(), Error> {
    if batch_size == 0 {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            "predict: the batch size must be at least 1",
        ));
    }
    Ok(())
}

/// Class: as the model's ops (canonical under ditto's decorator: batch-invariant, see
/// REPRODUCIBILITY.md, "Inference: batch invariance"). The outputs of `model` for `items`, in
/// order: batches of at most `batch_size` consecutive items built by [`Task::batch`], outputs by [`Task::outputs`].
/// Run it on the inner backend (`model.valid()` of a trained model), where dropout is off.
///
/// Errors ([`ErrorKind::Invalid`]): `batch_size` is 0; the task has no outputs
/// ([`Task::outputs`] returns `None`); a batch's outputs have another number of rows than
/// items, or another width than the batches before.
pub fn predict<B, M, T>(
    model: &M,
    task: &T,
    items: &[T::Item],
    batch_size: usize,
    device: &B::Device,
) -> Result<Outputs, Error>
where
    B: Backend,
    T: Task<B, M>,
{
    check_batch_size(batch_size)?;
    let mut outputs = Outputs {
        width: 0,
        values: Vec::new(),
    };
    for chunk in items.chunks(batch_size) {
        let batch = task.batch(chunk, device);
        let out = task.outputs(model, &batch).ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                None,
                "predict: the task gives no outputs: implement `Task::outputs`",
            )
        })?;
        outputs.push(out, chunk.len())?;
    }
    Ok(outputs)
}

/// Class: as the model's ops (canonical under ditto's decorator: batch-invariant, see
/// REPRODUCIBILITY.md, "Inference: batch invariance"). The outputs of `model` (logits for the
/// bundled classifiers) for `rows`, `features` values per input (scaled as the model was
/// trained: the bundled data divides by `pixel_max`), in batches of at most `batch_size` rows.
///
/// Errors ([`ErrorKind::Invalid`]): `batch_size` or `features` is 0, `rows` is not a whole
/// number of inputs, or the model's outputs have another number of rows than inputs.
pub fn predict_rows<B: Backend, M: TrainModel<B>>(
    model: &M,
    rows: &[f32],
    features: usize,
    batch_size: usize,
    device: &B::Device,
) -> Result<Outputs, Error> {
    check_batch_size(batch_size)?;
    if features == 0 || !rows.len().is_multiple_of(features) {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "predict: {} values are not whole inputs of {features} features",
                rows.len()
            ),
        ));
    }
    let mut outputs = Outputs {
        width: 0,
        values: Vec::new(),
    };
    let chunk = batch_size.saturating_mul(features);
    for part in rows.chunks(chunk) {
        let n = part.len() / features;
        let x = Tensor::<B, 2>::from_data(
            burn::tensor::TensorData::new(part.to_vec(), [n, features]),
            device,
        );
        outputs.push(model.forward(x), n)?;
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_argmax() {
        let o = Outputs {
            width: 3,
            values: vec![0.0, 2.0, 2.0, f32::NAN, -1.0, -3.0],
        };
        assert_eq!(o.rows(), 2);
        assert_eq!(o.row(0), Some(&[0.0, 2.0, 2.0][..]));
        // The row holding a NaN is the stored slice itself (NaN != NaN, so not by value).
        assert!(std::ptr::eq(o.row(1).unwrap(), &o.values[3..6]));
        assert_eq!(o.row(2), None);
        assert_eq!(o.argmax(0), Some(1), "ties go to the first");
        assert_eq!(o.argmax(1), Some(1), "NaN is skipped");
        assert_eq!(o.argmax(usize::MAX), None);
        let empty = Outputs {
            width: 0,
            values: vec![],
        };
        assert_eq!(empty.rows(), 0);
    }
}
