//! Full reductions as a fixed tree of short `sum_dim`s, whose order the backend fixes.

use burn_backend::{Scalar, TensorMetadata};
use burn_std::{FloatDType, Shape};

use crate::inner::Inner;

/// Length of the axis each `sum_dim` of the tree reduces.
///
/// Short axes matter: burn-cubecl 0.21's `sum_dim` over a very long axis (300,000 elements)
/// returns a wrong value on lavapipe (measured: -581.81 for a true sum of -520.53; see
/// `DETERMINISM.md`), while its full `sum` is right but uses atomic adds.
pub(crate) const CHUNK: usize = 256;

/// Full sum, shape `[1]`: the flattened tensor is zero-padded to a multiple of [`CHUNK`],
/// viewed as `[len / CHUNK, CHUNK]` and reduced with the backend's `sum_dim(1)`; repeated until
/// at most `CHUNK` partial sums remain, which one last `sum_dim` adds. Padding adds `+0.0`,
/// which changes no sum except that of an all-`-0.0` tensor (then `+0.0`). On Wgpu this
/// replaces the atomic-add full sum (non-deterministic) by ordered reduce kernels.
pub(crate) fn sum<B: Inner>(tensor: B::FloatTensorPrimitive) -> B::FloatTensorPrimitive {
    let device = B::float_device(&tensor);
    let dtype = FloatDType::from(tensor.dtype());
    let mut len = tensor.shape().num_elements();
    let mut t = B::float_reshape(tensor, Shape::new([len]));
    while len > CHUNK {
        let rows = len.div_ceil(CHUNK);
        let pad = rows * CHUNK - len;
        if pad > 0 {
            let zeros = B::float_zeros(Shape::new([pad]), &device, dtype);
            t = B::float_cat(vec![t, zeros], 0);
        }
        let partial = B::float_sum_dim(B::float_reshape(t, Shape::new([rows, CHUNK])), 1);
        t = B::float_reshape(partial, Shape::new([rows]));
        len = rows;
    }
    let last = B::float_sum_dim(B::float_reshape(t, Shape::new([1, len])), 1);
    B::float_reshape(last, Shape::new([1]))
}

/// Full mean: [`sum`] divided by the element count (one IEEE division).
pub(crate) fn mean<B: Inner>(tensor: B::FloatTensorPrimitive) -> B::FloatTensorPrimitive {
    let n = tensor.shape().num_elements();
    B::float_div_scalar(sum::<B>(tensor), Scalar::from(n as f64))
}
