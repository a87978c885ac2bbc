//! Turning batches of samples into Burn tensors.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

use crate::dataset::Sample;
use crate::loader::Batch;

/// Class: portable. A batch as tensors: features `[batch, dims...]` (`D` = 1 + rank of one
/// sample) and labels `[batch]`.
#[derive(Clone, Debug)]
pub struct TensorBatch<B: Backend, const D: usize> {
    /// Features.
    pub features: Tensor<B, D>,
    /// Labels.
    pub labels: Tensor<B, 1, Int>,
}

/// Class: portable. Builds [`TensorBatch`]es with sample shape `dims` on `device` (Burn's
/// `Batcher` role, without needing Burn's `dataset` feature).
#[derive(Clone, Debug)]
pub struct SampleBatcher<B: Backend> {
    dims: Vec<usize>,
    device: B::Device,
}

impl<B: Backend> SampleBatcher<B> {
    /// Class: portable. A batcher for samples of shape `dims` (e.g. `[28, 28]`).
    pub fn new(dims: Vec<usize>, device: B::Device) -> Self {
        Self { dims, device }
    }

    /// Class: portable. Stacks `batch` into tensors. `D` must be `1 + dims.len()`; otherwise,
    /// or when a sample has the wrong length, returns `None`.
    pub fn batch<const D: usize>(&self, batch: &Batch<Sample>) -> Option<TensorBatch<B, D>> {
        if D != self.dims.len() + 1 {
            return None;
        }
        let per: usize = self.dims.iter().product();
        let mut features = Vec::with_capacity(per * batch.items.len());
        for s in &batch.items {
            if s.features.len() != per {
                return None;
            }
            features.extend_from_slice(&s.features);
        }
        let mut shape = vec![batch.items.len()];
        shape.extend_from_slice(&self.dims);
        let labels: Vec<i64> = batch.items.iter().map(|s| s.label as i64).collect();
        let n = labels.len();
        Some(TensorBatch {
            features: Tensor::from_data(TensorData::new(features, shape), &self.device),
            labels: Tensor::from_data(TensorData::new(labels, [n]), &self.device),
        })
    }
}
