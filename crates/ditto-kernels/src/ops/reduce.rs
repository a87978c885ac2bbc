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

/// Axes longer than this are summed through the tree on Wgpu.
pub(crate) const LONG_AXIS: usize = 4096;

/// `sum_dim` (`mean = false`) or `mean_dim` along `dim` in run-to-run mode: the backend's own
/// op, except on Wgpu for axes longer than [`LONG_AXIS`], where burn-cubecl 0.21's `sum_dim`
/// returned wrong values (a 300,000-long axis on lavapipe): there the axis is moved last
/// (exact copies), zero-padded to a multiple of [`CHUNK`] and summed by a fixed tree of
/// `CHUNK`-wide `sum_dim`s, as [`sum`]; a mean divides by the axis length once.
pub(crate) fn sum_dim<B: Inner>(
    tensor: B::FloatTensorPrimitive,
    dim: usize,
    mean: bool,
) -> B::FloatTensorPrimitive {
    let shape = tensor.shape();
    let len = shape[dim];
    if B::KIND != crate::inner::BackendKind::Wgpu || len <= LONG_AXIS {
        return if mean {
            B::float_mean_dim(tensor, dim)
        } else {
            B::float_sum_dim(tensor, dim)
        };
    }
    let device = B::float_device(&tensor);
    let dtype = FloatDType::from(tensor.dtype());
    let rank = shape.num_dims();
    let mut axes: Vec<usize> = (0..rank).filter(|&d| d != dim).collect();
    axes.push(dim);
    let rows = shape.num_elements() / len;
    let mut t = B::float_reshape(B::float_permute(tensor, &axes), Shape::new([rows, len]));
    let mut l = len;
    while l > CHUNK {
        let groups = l.div_ceil(CHUNK);
        let pad = groups * CHUNK - l;
        if pad > 0 {
            let zeros = B::float_zeros(Shape::new([rows, pad]), &device, dtype);
            t = B::float_cat(vec![t, zeros], 1);
        }
        let partial = B::float_sum_dim(B::float_reshape(t, Shape::new([rows, groups, CHUNK])), 2);
        t = B::float_reshape(partial, Shape::new([rows, groups]));
        l = groups;
    }
    let mut s = B::float_sum_dim(t, 1);
    if mean {
        s = B::float_div_scalar(s, Scalar::from(len as f64));
    }
    let mut out = shape.to_vec();
    out[dim] = 1;
    B::float_reshape(s, Shape::from(out))
}
