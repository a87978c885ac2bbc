//! Canonical mode: the element-wise ops that are exact on a CPU only (division, reciprocal,
//! sqrt) and the ops built on them, integer powers, order-free max/min/arg-max/min, ordered
//! products and running sums, and index-add / scatter-add.

use burn_backend::{Scalar, TensorMetadata};
use burn_std::{IntDType, Shape};

use super::{F, I, host, host_int, ok, upload, upload_int};
use crate::canonical::{self, elementwise as ew, reduce::Axis};
use crate::inner::Inner;

/// `f(x)` element-wise.
pub(crate) fn map_each<B: Inner>(t: F<B>, f: fn(f32) -> f32) -> F<B> {
    let device = B::float_device(&t);
    let (x, shape) = host::<B>(t);
    let out = x.iter().map(|&v| f(v)).collect();
    upload::<B>(out, shape, &device)
}

/// `f(lhs, rhs)` element-wise, after broadcasting both to one shape (exact copies).
pub(crate) fn binary<B: Inner>(lhs: F<B>, rhs: F<B>, f: fn(f32, f32) -> f32) -> F<B> {
    binary_slices::<B>(lhs, rhs, |a, b, out| ok(ew::zip_map(a, b, out, f)))
}

/// Burn's gelu gradient in one host pass ([`ew::gelu_grad`]): the same bits as composing its
/// ops one by one in canonical mode.
pub(crate) fn gelu_backward<B: Inner>(x: F<B>, grad: F<B>) -> F<B> {
    binary_slices::<B>(x, grad, ew::gelu_grad_slice)
}

/// `f(lhs values, rhs values, out)` on the host, after broadcasting both to one shape.
fn binary_slices<B: Inner>(
    lhs: F<B>,
    rhs: F<B>,
    f: impl FnOnce(&[f32], &[f32], &mut [f32]),
) -> F<B> {
    let device = B::float_device(&lhs);
    let shape = lhs
        .shape()
        .broadcast(&rhs.shape())
        .unwrap_or_else(|_| lhs.shape());
    let lhs = if lhs.shape() == shape {
        lhs
    } else {
        B::float_expand(lhs, shape.clone())
    };
    let rhs = if rhs.shape() == shape {
        rhs
    } else {
        B::float_expand(rhs, shape)
    };
    let (a, dims) = host::<B>(lhs);
    let (b, _) = host::<B>(rhs);
    let mut out = vec![0f32; a.len()];
    f(&a, &b, &mut out);
    upload::<B>(out, dims, &device)
}

/// `f(x, s)` element-wise for a scalar `s` (rounded to f32).
pub(crate) fn with_scalar<B: Inner>(t: F<B>, s: Scalar, f: fn(f32, f32) -> f32) -> F<B> {
    let device = B::float_device(&t);
    let s = s.elem::<f32>();
    let (x, shape) = host::<B>(t);
    let out = x.iter().map(|&v| f(v, s)).collect();
    upload::<B>(out, shape, &device)
}

/// `2^-k` when `s = ±2^k` is a normal power of two: then `x / s` and `x * (1 / s)` are the
/// same real number, so both correctly rounded results have the same bits, and the exact
/// multiply may run on the device.
pub(crate) fn power_of_two_recip(s: Scalar) -> Option<f32> {
    let v = s.elem::<f32>();
    let exp = (v.to_bits() >> 23) & 0xff;
    (v.to_bits() & 0x007f_ffff == 0 && exp != 0 && exp != 0xff && f64::from(v) == s.elem::<f64>())
        .then(|| 1.0 / v)
}

/// `x^n` for an integer tensor `n` (broadcast to `x`'s shape).
pub(crate) fn powi<B: Inner>(lhs: F<B>, rhs: I<B>) -> F<B> {
    let device = B::float_device(&lhs);
    let shape = lhs
        .shape()
        .broadcast(&rhs.shape())
        .unwrap_or_else(|_| lhs.shape());
    let lhs = if lhs.shape() == shape {
        lhs
    } else {
        B::float_expand(lhs, shape.clone())
    };
    let rhs = if rhs.shape() == shape {
        rhs
    } else {
        B::int_expand(rhs, shape)
    };
    let (x, dims) = host::<B>(lhs);
    let (n, _) = host_int::<B>(rhs);
    let out = x.iter().zip(&n).map(|(v, n)| ew::powi(*v, *n)).collect();
    upload::<B>(out, dims, &device)
}

/// `x^n` for an integer `n` outside {0, 1, 2}.
pub(crate) fn powi_scalar<B: Inner>(t: F<B>, n: i64) -> F<B> {
    let device = B::float_device(&t);
    let (x, shape) = host::<B>(t);
    let mut out = vec![0f32; x.len()];
    ew::powi_slice(&x, n, &mut out);
    upload::<B>(out, shape, &device)
}

fn axis_of(shape: &[usize], dim: usize) -> Axis {
    Axis::of(shape, dim).unwrap_or_else(|e| panic!("ditto canonical mode: {e}"))
}

/// Full max (`max = true`) or min, shape `[1]`.
pub(crate) fn extreme<B: Inner>(t: F<B>, max: bool) -> F<B> {
    let device = B::float_device(&t);
    let (x, _) = host::<B>(t);
    let r = if max {
        canonical::reduce::max_all(&x)
    } else {
        canonical::reduce::min_all(&x)
    };
    upload::<B>(
        vec![r.unwrap_or_else(|e| panic!("ditto canonical mode: {e}"))],
        vec![1],
        &device,
    )
}

/// Max or min along `dim` (kept with length 1), with the indices as `dtype` when asked.
pub(crate) fn extreme_dim<B: Inner>(
    t: F<B>,
    dim: usize,
    max: bool,
    indices: Option<IntDType>,
) -> (F<B>, Option<I<B>>) {
    let device = B::float_device(&t);
    let (x, mut shape) = host::<B>(t);
    let axis = axis_of(&shape, dim);
    let mut idx = vec![0usize; axis.outer * axis.inner];
    ok(if max {
        canonical::reduce::argmax_dim(&x, axis, &mut idx)
    } else {
        canonical::reduce::argmin_dim(&x, axis, &mut idx)
    });
    let values = idx
        .iter()
        .enumerate()
        .map(|(o, &r)| x[((o / axis.inner) * axis.len + r) * axis.inner + o % axis.inner])
        .collect();
    shape[dim] = 1;
    let ints = indices.map(|dtype| {
        upload_int::<B>(
            idx.iter().map(|&r| r as i64).collect(),
            shape.clone(),
            &device,
            dtype,
        )
    });
    (upload::<B>(values, shape, &device), ints)
}

/// Argmax (`max = true`) or argmin along `dim`, kept with length 1.
pub(crate) fn arg<B: Inner>(t: F<B>, dim: usize, max: bool, dtype: IntDType) -> I<B> {
    let device = B::float_device(&t);
    let (x, mut shape) = host::<B>(t);
    let axis = axis_of(&shape, dim);
    let mut idx = vec![0usize; axis.outer * axis.inner];
    ok(if max {
        canonical::reduce::argmax_dim(&x, axis, &mut idx)
    } else {
        canonical::reduce::argmin_dim(&x, axis, &mut idx)
    });
    shape[dim] = 1;
    upload_int::<B>(
        idx.into_iter().map(|r| r as i64).collect(),
        shape,
        &device,
        dtype,
    )
}

/// Full product (`dim = None`, shape `[1]`) or product along `dim`.
pub(crate) fn prod<B: Inner>(t: F<B>, dim: Option<usize>) -> F<B> {
    let device = B::float_device(&t);
    let (x, mut shape) = host::<B>(t);
    let Some(dim) = dim else {
        return upload::<B>(vec![ew::prod_all(&x)], vec![1], &device);
    };
    let axis = axis_of(&shape, dim);
    let mut out = vec![0f32; axis.outer * axis.inner];
    ok(ew::prod_dim(&x, axis, &mut out));
    shape[dim] = 1;
    upload::<B>(out, shape, &device)
}

/// Running sum along `dim`.
pub(crate) fn cumsum<B: Inner>(t: F<B>, dim: usize) -> F<B> {
    let device = B::float_device(&t);
    let (x, shape) = host::<B>(t);
    let mut out = vec![0f32; x.len()];
    ok(ew::cumsum(&x, axis_of(&shape, dim), &mut out));
    upload::<B>(out, shape, &device)
}

pub(super) fn usize_indices(v: Vec<i64>, op: &str) -> Vec<usize> {
    v.into_iter()
        .map(|t| {
            usize::try_from(t)
                .unwrap_or_else(|_| panic!("ditto canonical mode: {op}: negative index {t}"))
        })
        .collect()
}

/// `tensor` with the rows of `value` added at `indices` along `dim`, in ascending row order.
pub(crate) fn select_add<B: Inner>(tensor: F<B>, dim: usize, indices: I<B>, value: F<B>) -> F<B> {
    let device = B::float_device(&tensor);
    let (dst, shape) = host::<B>(tensor);
    let mut dst = dst.into_vec();
    let (idx, _) = host_int::<B>(indices);
    let (src, _) = host::<B>(value);
    let axis = axis_of(&shape, dim);
    ok(canonical::scatter::index_add(
        &mut dst,
        axis.len,
        &usize_indices(idx, "select_add"),
        &src,
        axis.outer,
        axis.inner,
    ));
    upload::<B>(dst, shape, &device)
}

/// Whether a scatter-add of `value` into `tensor` along `dim` has the layout the canonical
/// kernel takes (all dimensions but `dim` equal).
pub(crate) fn scatter_add_ok<B: Inner>(dim: usize, tensor: &F<B>, value: &F<B>) -> bool {
    let (a, b): (Shape, Shape) = (tensor.shape(), value.shape());
    a.num_dims() == b.num_dims()
        && dim < a.num_dims()
        && (0..a.num_dims()).all(|d| d == dim || a[d] == b[d])
}

/// `tensor[.., indices[r], ..] += value[.., r, ..]` along `dim`, `r` ascending.
pub(crate) fn scatter_add<B: Inner>(dim: usize, tensor: F<B>, indices: I<B>, value: F<B>) -> F<B> {
    let device = B::float_device(&tensor);
    let (dst, shape) = host::<B>(tensor);
    let mut dst = dst.into_vec();
    let (idx, _) = host_int::<B>(indices);
    let (src, vshape) = host::<B>(value);
    ok(canonical::scatter::scatter_add(
        &mut dst,
        shape[dim],
        &usize_indices(idx, "scatter_add"),
        &src,
        axis_of(&vshape, dim),
    ));
    upload::<B>(dst, shape, &device)
}
