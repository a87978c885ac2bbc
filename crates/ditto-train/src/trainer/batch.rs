//! A trainer batch as tensors on a device.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::data::{Batch, BatchTargets, TrainData};
use crate::objective::{Targets, TensorBatch};

/// Uploads `b` (inputs `[rows, features]`, targets `[rows]` or `[rows, width]`).
pub(crate) fn to_tensors<B: Backend>(
    b: &Batch,
    data: &TrainData,
    device: &B::Device,
) -> TensorBatch<B> {
    let inputs = Tensor::from_data(
        TensorData::new(b.x.clone(), [b.rows, data.features()]),
        device,
    );
    let targets = match &b.targets {
        BatchTargets::Classes(y) => Targets::Classes(Tensor::from_data(
            TensorData::new(y.clone(), [b.rows]),
            device,
        )),
        BatchTargets::Values(y) => Targets::Values(Tensor::from_data(
            TensorData::new(y.clone(), [b.rows, data.target_width()]),
            device,
        )),
    };
    TensorBatch { inputs, targets }
}
