//! Canonical mode: the float ops whose bits could depend on the backend, the thread count or
//! the instruction set run ditto's canonical kernels (`crate::canonical`) on the host.
//!
//! Each op reads its operands with `B::float_into_data` (on the CPU directly from NdArray's
//! buffers, `Inner::host_f32`), runs the kernel, and uploads the result with
//! `B::float_from_data`. That works for every backend `B` (so `Ditto<Wgpu>` in
//! canonical mode computes the same bits as `Ditto<NdArray>`), at the price of a host round
//! trip per op. Operands that are not f32 are converted to f32 first and the result is f32.

use burn_backend::{Scalar, TensorData, TensorMetadata};
use burn_std::IntDType;

use crate::canonical;
use crate::config::KernelMode;
use crate::context;
use crate::inner::{HostF32, Inner};

pub(crate) mod carried;
mod conv;
mod elementwise;
mod pool;

pub(crate) use conv::*;
pub(crate) use elementwise::*;
pub(crate) use pool::*;

type F<B> = <B as burn_backend::BackendTypes>::FloatTensorPrimitive;
type I<B> = <B as burn_backend::BackendTypes>::IntTensorPrimitive;

/// Burn's conv2d options as the canonical kernels take them.
fn opts(o: &burn_backend::ops::ConvOptions<2>) -> canonical::conv::Conv2dOptions {
    canonical::conv::Conv2dOptions {
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
        groups: o.groups,
    }
}

/// Whether the device of `t` runs in canonical mode on this thread, or this thread runs a
/// micro-batch (`crate::microbatch`: only canonical reductions can be carried).
pub(crate) fn active<B: Inner>(t: &F<B>) -> bool {
    let device = B::float_device(t);
    context::with::<B, _>(&device, |c| c.config.kernels == KernelMode::Canonical)
        || crate::microbatch::in_scope()
}

/// Whether `conv2d`, `max_pool2d`, `relu`, `gelu`, `sigmoid`, `tanh`, `erf` (and their
/// backward ops) and `matmul` on the device of `t` run ditto's canonical kernels: in
/// canonical mode, and in run-to-run mode where the backend's are the slower
/// (`Inner::CANONICAL_IN_RUN_TO_RUN`).
pub(crate) fn fast_active<B: Inner>(t: &F<B>) -> bool {
    B::CANONICAL_IN_RUN_TO_RUN || active::<B>(t)
}

/// Whether the convolution, pooling and composite ops whose Burn default bodies call a
/// backend kernel that a Cargo feature can change (burn-ndarray's `simd`: conv2d, 2-D
/// pooling, `clamp`, `recip`) run ditto's code on the device of `t`: in canonical mode, and
/// in run-to-run mode where the backend has such a feature (`Inner::FEATURE_PROOF`).
pub(crate) fn feature_proof<B: Inner>(t: &F<B>) -> bool {
    B::FEATURE_PROOF || active::<B>(t)
}

/// Products of at least this many multiply-adds run ditto's `linear` in run-to-run mode on
/// NdArray even on matrices (see [`linear_active`]).
pub(crate) const LINEAR_LARGE: usize = 1 << 20;

/// Whether `linear` and its input and weight gradients run ditto's kernels (`t` is the
/// batch-leading operand: the input or the output gradient; `n` the product's other
/// dimension, so that it has `t`'s element count times `n` multiply-adds): in canonical mode, and in run-to-run mode where the backend's are the
/// slower (`Inner::CANONICAL_IN_RUN_TO_RUN`) for inputs of rank 3 and more, and for products
/// of [`LINEAR_LARGE`] multiply-adds and more. burn-ndarray's `linear` on such an input
/// copies its operands into a batched product, and its matrixmultiply is the slower on large
/// products; on a small matrix it calls one product directly and is the faster. The choice
/// depends on shapes only.
pub(crate) fn linear_active<B: Inner>(t: &F<B>, n: usize) -> bool {
    let shape = t.shape();
    let large = shape.num_elements().saturating_mul(n) >= LINEAR_LARGE;
    (B::CANONICAL_IN_RUN_TO_RUN && (shape.num_dims() >= 3 || large)) || active::<B>(t)
}

/// A tensor's values (row-major, f32; NdArray's own buffer where it is contiguous) and shape.
fn host<B: Inner>(t: F<B>) -> (HostF32, Vec<usize>) {
    let shape = t.shape().to_vec();
    if let Some(values) = B::host_f32_shared(&t) {
        return (values, shape);
    }
    let data: TensorData = burn::tensor::try_read_sync(B::float_into_data(t))
        .expect("ditto canonical mode: this platform cannot read tensors synchronously")
        .expect("ditto canonical mode: reading a tensor from the device failed");
    let values = data
        .convert::<f32>()
        .into_vec::<f32>()
        .expect("ditto canonical mode: a converted tensor holds f32 values");
    (values.into(), shape)
}

/// `f` on every element, on the host, where the backend's buffer is host memory (NdArray;
/// `None` elsewhere, and the caller composes on the device). The result keeps every bit `f`
/// gives, NaN payloads included: for exact ops that must equal their on-device composition.
pub(crate) fn host_map<B: Inner>(x: &F<B>, f: impl Fn(f32) -> f32) -> Option<F<B>> {
    let v = B::host_f32_shared(x)?;
    let out = v.iter().map(|&a| f(a)).collect();
    Some(B::float_from_data(
        TensorData::new(out, x.shape().to_vec()),
        &B::float_device(x),
    ))
}

/// [`host_map`] over two tensors of one shape.
pub(crate) fn host_zip<B: Inner>(a: &F<B>, b: &F<B>, f: impl Fn(f32, f32) -> f32) -> Option<F<B>> {
    if a.shape() != b.shape() {
        return None;
    }
    let (va, vb) = (B::host_f32_shared(a)?, B::host_f32_shared(b)?);
    let out = va.iter().zip(vb.iter()).map(|(&x, &y)| f(x, y)).collect();
    Some(B::float_from_data(
        TensorData::new(out, a.shape().to_vec()),
        &B::float_device(a),
    ))
}

/// An int tensor's values as `i64`, and its shape.
fn host_int<B: Inner>(t: I<B>) -> (Vec<i64>, Vec<usize>) {
    let shape = t.shape().to_vec();
    let data: TensorData = burn::tensor::try_read_sync(B::int_into_data(t))
        .expect("ditto canonical mode: this platform cannot read tensors synchronously")
        .expect("ditto canonical mode: reading a tensor from the device failed");
    let values = data
        .convert::<i64>()
        .into_vec::<i64>()
        .expect("ditto canonical mode: a converted tensor holds i64 values");
    (values, shape)
}

/// Uploads a result; every NaN becomes the canonical quiet NaN `0x7fc00000`.
fn upload<B: Inner>(mut values: Vec<f32>, shape: Vec<usize>, device: &B::Device) -> F<B> {
    for v in &mut values {
        if v.is_nan() {
            *v = f32::NAN;
        }
    }
    B::float_from_data(TensorData::new(values, shape), device)
}

/// Uploads indices as an int tensor of `dtype`.
fn upload_int<B: Inner>(
    values: Vec<i64>,
    shape: Vec<usize>,
    device: &B::Device,
    dtype: IntDType,
) -> I<B> {
    let data = TensorData::new(values, shape).convert_dtype(burn_std::DType::from(dtype));
    B::int_from_data(data, device)
}

/// Kernel errors are shape errors that Burn checks before calling the backend, so reaching
/// one is a bug; the message names the op.
fn ok(r: Result<(), canonical::Error>) {
    if let Err(e) = r {
        panic!("ditto canonical mode: {e}");
    }
}

/// `lhs · rhs` for rank >= 2 with Burn's broadcasting of the batch dimensions.
pub(crate) fn matmul<B: Inner>(lhs: F<B>, rhs: F<B>) -> F<B> {
    let device = B::float_device(&lhs);
    let (a, sa) = host::<B>(lhs);
    let (b, sb) = host::<B>(rhs);
    let r = sa.len();
    let (m, k, n) = (sa[r - 2], sa[r - 1], sb[r - 1]);
    let batch_a = &sa[..r - 2];
    let batch_b = &sb[..r - 2];
    let batch: Vec<usize> = batch_a
        .iter()
        .zip(batch_b)
        .map(|(x, y)| (*x).max(*y))
        .collect();
    let nb: usize = batch.iter().product();
    let mut out = vec![0f32; nb * m * n];
    let broadcast = batch_a != batch.as_slice() || batch_b != batch.as_slice();
    if !broadcast {
        ok(canonical::matmul::matmul_batched(
            &a, &b, &mut out, nb, m, k, n,
        ));
    } else {
        // Expand each operand's batch index by hand, one product per output matrix.
        let offset = |bshape: &[usize], mut i: usize, size: usize| {
            let mut off = 0;
            let mut stride = 1;
            for d in (0..batch.len()).rev() {
                let idx = i % batch[d];
                i /= batch[d];
                if bshape[d] != 1 {
                    off += idx * stride;
                }
                stride *= bshape[d];
            }
            off * size
        };
        for t in 0..nb {
            let (oa, ob) = (offset(batch_a, t, m * k), offset(batch_b, t, k * n));
            ok(canonical::matmul::matmul(
                &a[oa..oa + m * k],
                &b[ob..ob + k * n],
                &mut out[t * m * n..(t + 1) * m * n],
                m,
                k,
                n,
            ));
        }
    }
    let mut shape = batch;
    shape.extend([m, n]);
    upload::<B>(out, shape, &device)
}

/// Full sum, shape `[1]`.
pub(crate) fn sum<B: Inner>(t: F<B>) -> F<B> {
    let device = B::float_device(&t);
    let (x, _) = host::<B>(t);
    upload::<B>(vec![canonical::reduce::sum_all(&x)], vec![1], &device)
}

/// Full mean, shape `[1]`.
pub(crate) fn mean<B: Inner>(t: F<B>) -> F<B> {
    let device = B::float_device(&t);
    let (x, _) = host::<B>(t);
    upload::<B>(vec![canonical::reduce::mean_all(&x)], vec![1], &device)
}

/// Sum (`mean = false`) or mean along `dim`, keeping it with length 1.
pub(crate) fn reduce_dim<B: Inner>(t: F<B>, dim: usize, mean: bool) -> F<B> {
    if dim == 0
        && !mean
        && let Some(carried) = carried::sum_dim0::<B>(&t)
    {
        return carried;
    }
    let device = B::float_device(&t);
    let (x, mut shape) = host::<B>(t);
    let axis = canonical::reduce::Axis::of(&shape, dim)
        .unwrap_or_else(|e| panic!("ditto canonical mode: {e}"));
    let mut out = vec![0f32; axis.outer * axis.inner];
    if mean {
        ok(canonical::reduce::mean_dim(&x, axis, &mut out));
    } else {
        ok(canonical::reduce::sum_dim(&x, axis, &mut out));
    }
    shape[dim] = 1;
    upload::<B>(out, shape, &device)
}

/// An element-wise canonical function.
pub(crate) fn map<B: Inner>(t: F<B>, f: fn(&[f32], &mut [f32])) -> F<B> {
    let device = B::float_device(&t);
    let (x, shape) = host::<B>(t);
    let mut out = vec![0f32; x.len()];
    f(&x, &mut out);
    upload::<B>(out, shape, &device)
}

/// `x^p` element-wise with the canonical `powf`.
pub(crate) fn powf_scalar<B: Inner>(t: F<B>, p: Scalar) -> F<B> {
    let device = B::float_device(&t);
    let (x, shape) = host::<B>(t);
    let p = p.elem::<f32>();
    let mut out = vec![0f32; x.len()];
    canonical::math::powf_slice(&x, p, &mut out);
    upload::<B>(out, shape, &device)
}

pub(crate) fn dims4(s: &[usize]) -> [usize; 4] {
    [s[0], s[1], s[2], s[3]]
}
