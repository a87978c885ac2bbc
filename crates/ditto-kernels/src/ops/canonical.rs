//! Canonical mode: the float ops whose bits could depend on the backend, the thread count or
//! the instruction set run ditto's canonical kernels (`crate::canonical`) on the host.
//!
//! Each op reads its operands with `B::float_into_data`, runs the kernel, and uploads the
//! result with `B::float_from_data`. That works for every backend `B` (so `Ditto<Wgpu>` in
//! canonical mode computes the same bits as `Ditto<NdArray>`), at the price of a host round
//! trip per op. Operands that are not f32 are converted to f32 first and the result is f32.

use burn_backend::ops::{ConvOptions, ConvTransposeOptions};
use burn_backend::{Scalar, TensorData, TensorMetadata};

use crate::canonical::{self, conv::Conv2dOptions};
use crate::config::KernelMode;
use crate::context;
use crate::inner::Inner;

type F<B> = <B as burn_backend::BackendTypes>::FloatTensorPrimitive;

/// Whether the device of `t` runs in canonical mode on this thread.
pub(crate) fn active<B: Inner>(t: &F<B>) -> bool {
    let device = B::float_device(t);
    context::with::<B, _>(&device, |c| c.config.kernels == KernelMode::Canonical)
}

/// A tensor's values (row-major, f32) and shape.
fn host<B: Inner>(t: F<B>) -> (Vec<f32>, Vec<usize>) {
    let shape = t.shape().to_vec();
    let data: TensorData = burn::tensor::try_read_sync(B::float_into_data(t))
        .expect("ditto canonical mode: this platform cannot read tensors synchronously")
        .expect("ditto canonical mode: reading a tensor from the device failed");
    let values = data
        .convert::<f32>()
        .into_vec::<f32>()
        .expect("ditto canonical mode: a converted tensor holds f32 values");
    (values, shape)
}

fn upload<B: Inner>(values: Vec<f32>, shape: Vec<usize>, device: &B::Device) -> F<B> {
    B::float_from_data(TensorData::new(values, shape), device)
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
    let out = x.iter().map(|v| canonical::math::powf(*v, p)).collect();
    upload::<B>(out, shape, &device)
}

/// `lhs^rhs` element-wise (same shapes) with the canonical `powf`.
pub(crate) fn powf<B: Inner>(lhs: F<B>, rhs: F<B>) -> Option<F<B>> {
    if lhs.shape() != rhs.shape() {
        return None;
    }
    let device = B::float_device(&lhs);
    let (x, shape) = host::<B>(lhs);
    let (y, _) = host::<B>(rhs);
    let out = x
        .iter()
        .zip(&y)
        .map(|(a, b)| canonical::math::powf(*a, *b))
        .collect();
    Some(upload::<B>(out, shape, &device))
}

fn opts(o: &ConvOptions<2>) -> Conv2dOptions {
    Conv2dOptions {
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
        groups: o.groups,
    }
}

fn dims4(s: &[usize]) -> [usize; 4] {
    [s[0], s[1], s[2], s[3]]
}

/// 2-D convolution.
pub(crate) fn conv2d<B: Inner>(
    x: F<B>,
    weight: F<B>,
    bias: Option<F<B>>,
    options: &ConvOptions<2>,
) -> F<B> {
    let device = B::float_device(&x);
    let (xv, xs) = host::<B>(x);
    let (wv, ws) = host::<B>(weight);
    let bv = bias.map(|b| host::<B>(b).0);
    let o = opts(options);
    let [oh, ow] = canonical::conv::output_size([xs[2], xs[3]], [ws[2], ws[3]], &o)
        .unwrap_or_else(|e| panic!("ditto canonical mode: {e}"));
    let mut out = vec![0f32; xs[0] * ws[0] * oh * ow];
    ok(canonical::conv::conv2d(
        &xv,
        dims4(&xs),
        &wv,
        dims4(&ws),
        bv.as_deref(),
        &o,
        &mut out,
    ));
    upload::<B>(out, vec![xs[0], ws[0], oh, ow], &device)
}

/// Gradient of conv2d's input.
pub(crate) fn conv2d_x_backward<B: Inner>(
    x: F<B>,
    weight: F<B>,
    output_grad: F<B>,
    options: &ConvOptions<2>,
) -> F<B> {
    let device = B::float_device(&x);
    let xs = x.shape().to_vec();
    let (wv, ws) = host::<B>(weight);
    let (gy, _) = host::<B>(output_grad);
    let mut gx = vec![0f32; xs.iter().product()];
    ok(canonical::conv_backward::conv2d_input_grad(
        &gy,
        &wv,
        dims4(&ws),
        dims4(&xs),
        &opts(options),
        &mut gx,
    ));
    upload::<B>(gx, xs, &device)
}

/// Gradient of conv2d's weight.
pub(crate) fn conv2d_weight_backward<B: Inner>(
    x: F<B>,
    weight: F<B>,
    output_grad: F<B>,
    options: &ConvOptions<2>,
) -> F<B> {
    let device = B::float_device(&x);
    let ws = weight.shape().to_vec();
    let (xv, xs) = host::<B>(x);
    let (gy, _) = host::<B>(output_grad);
    let mut gw = vec![0f32; ws.iter().product()];
    ok(canonical::conv_backward::conv2d_weight_grad(
        &xv,
        dims4(&xs),
        &gy,
        dims4(&ws),
        &opts(options),
        &mut gw,
        None,
    ));
    upload::<B>(gw, ws, &device)
}

/// Gradient of conv2d's bias: the canonical sum of the output gradient over `(n, oh, ow)`.
pub(crate) fn conv2d_bias_backward<B: Inner>(bias: F<B>, output_grad: F<B>) -> F<B> {
    let device = B::float_device(&bias);
    let bs = bias.shape().to_vec();
    let (gy, gs) = host::<B>(output_grad);
    let [n, c, h, w] = dims4(&gs);
    // [n, c, h*w] -> per channel: the (n, p) values in ascending order, then one sum.
    let mut per_channel = vec![0f32; n * h * w];
    let out = (0..c)
        .map(|ci| {
            for b in 0..n {
                let src = &gy[(b * c + ci) * h * w..(b * c + ci + 1) * h * w];
                per_channel[b * h * w..(b + 1) * h * w].copy_from_slice(src);
            }
            canonical::reduce::sum_all(&per_channel)
        })
        .collect();
    upload::<B>(out, bs, &device)
}

/// The conv2d options a transposed convolution is the adjoint of.
fn transposed_opts(o: &ConvTransposeOptions<2>) -> Conv2dOptions {
    Conv2dOptions {
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
        groups: o.groups,
    }
}

/// The conv2d geometry a transposed convolution is the adjoint of: output `[n, c_out, oh, ow]`
/// with `oh = (h - 1) * s - 2p + d * (k - 1) + padding_out + 1`; `None` when conv2d over that
/// output would not give back `[h, w]` (a `padding_out` of at least the stride), which is then
/// forwarded to `B`.
fn transposed_geometry(
    x_shape: &[usize],
    w_shape: &[usize],
    o: &ConvTransposeOptions<2>,
) -> Option<([usize; 4], Conv2dOptions)> {
    let opts = transposed_opts(o);
    let mut out = [x_shape[0], w_shape[1] * o.groups, 0, 0];
    for d in 0..2 {
        let full = (x_shape[2 + d].checked_sub(1)?) * o.stride[d]
            + o.dilation[d] * (w_shape[2 + d].checked_sub(1)?)
            + o.padding_out[d]
            + 1;
        out[2 + d] = full.checked_sub(2 * o.padding[d])?;
    }
    let back =
        canonical::conv::output_size([out[2], out[3]], [w_shape[2], w_shape[3]], &opts).ok()?;
    (back == [x_shape[2], x_shape[3]]).then_some((out, opts))
}

/// Whether a transposed convolution of these shapes can run canonically.
pub(crate) fn transposed_ok<B: Inner>(
    x: &F<B>,
    weight: &F<B>,
    o: &ConvTransposeOptions<2>,
) -> bool {
    transposed_geometry(&x.shape().to_vec(), &weight.shape().to_vec(), o).is_some()
}

/// Transposed convolution: conv2d's input gradient with `x` as the output gradient (the same
/// per-output order), then the bias added with one IEEE `+`.
pub(crate) fn conv_transpose2d<B: Inner>(
    x: F<B>,
    weight: F<B>,
    bias: Option<F<B>>,
    options: &ConvTransposeOptions<2>,
) -> F<B> {
    let device = B::float_device(&x);
    let (xv, xs) = host::<B>(x);
    let (wv, ws) = host::<B>(weight);
    let (out_shape, o) = transposed_geometry(&xs, &ws, options).expect("checked by transposed_ok");
    let mut y = vec![0f32; out_shape.iter().product()];
    ok(canonical::conv_backward::conv2d_input_grad(
        &xv,
        &wv,
        dims4(&ws),
        out_shape,
        &o,
        &mut y,
    ));
    if let Some(b) = bias {
        let (bv, _) = host::<B>(b);
        let plane = out_shape[2] * out_shape[3];
        for (i, v) in y.iter_mut().enumerate() {
            *v += bv[(i / plane) % out_shape[1]];
        }
    }
    upload::<B>(y, out_shape.to_vec(), &device)
}

/// Whether the input gradient of a transposed convolution with this output gradient can run
/// canonically (its forward could).
pub(crate) fn transposed_grad_ok<B: Inner>(
    weight: &F<B>,
    output_grad: &F<B>,
    o: &ConvTransposeOptions<2>,
) -> bool {
    let (ws, gs) = (weight.shape().to_vec(), output_grad.shape().to_vec());
    let opts = transposed_opts(o);
    let Ok([h, w]) = canonical::conv::output_size([gs[2], gs[3]], [ws[2], ws[3]], &opts) else {
        return false;
    };
    transposed_geometry(&[gs[0], ws[0], h, w], &ws, o).is_some_and(|(out, _)| out[..] == gs[..])
}

/// Gradient of a transposed convolution's input: conv2d of the output gradient with the same
/// weight.
pub(crate) fn conv_transpose2d_x_backward<B: Inner>(
    weight: F<B>,
    output_grad: F<B>,
    options: &ConvTransposeOptions<2>,
) -> F<B> {
    let device = B::float_device(&weight);
    let (wv, ws) = host::<B>(weight);
    let (gy, gs) = host::<B>(output_grad);
    let o = transposed_opts(options);
    let [oh, ow] = canonical::conv::output_size([gs[2], gs[3]], [ws[2], ws[3]], &o)
        .unwrap_or_else(|e| panic!("ditto canonical mode: {e}"));
    let mut gx = vec![0f32; gs[0] * ws[0] * oh * ow];
    ok(canonical::conv::conv2d(
        &gy,
        dims4(&gs),
        &wv,
        dims4(&ws),
        None,
        &o,
        &mut gx,
    ));
    upload::<B>(gx, vec![gs[0], ws[0], oh, ow], &device)
}

/// Gradient of a transposed convolution's weight: conv2d's weight gradient with the roles of
/// input and output gradient exchanged.
pub(crate) fn conv_transpose2d_weight_backward<B: Inner>(
    x: F<B>,
    weight: F<B>,
    output_grad: F<B>,
    options: &ConvTransposeOptions<2>,
) -> F<B> {
    let device = B::float_device(&x);
    let ws = weight.shape().to_vec();
    let (xv, _) = host::<B>(x);
    let (gy, gs) = host::<B>(output_grad);
    let o = transposed_opts(options);
    let mut gw = vec![0f32; ws.iter().product()];
    ok(canonical::conv_backward::conv2d_weight_grad(
        &gy,
        dims4(&gs),
        &xv,
        dims4(&ws),
        &o,
        &mut gw,
        None,
    ));
    upload::<B>(gw, ws, &device)
}

/// Average pooling (no `ceil_mode`): the canonical window sum, divided by the window size or
/// the in-bounds count.
pub(crate) fn avg_pool2d<B: Inner>(
    x: F<B>,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    count_include_pad: bool,
) -> F<B> {
    let device = B::float_device(&x);
    let (xv, xs) = host::<B>(x);
    let o = Conv2dOptions {
        stride,
        padding,
        dilation: [1, 1],
        groups: 1,
    };
    let [oh, ow] = canonical::conv::output_size([xs[2], xs[3]], kernel, &o)
        .unwrap_or_else(|e| panic!("ditto canonical mode: {e}"));
    let mut out = vec![0f32; xs[0] * xs[1] * oh * ow];
    ok(canonical::conv::avg_pool2d(
        &xv,
        dims4(&xs),
        kernel,
        &o,
        count_include_pad,
        &mut out,
    ));
    upload::<B>(out, vec![xs[0], xs[1], oh, ow], &device)
}

/// Average pooling's input gradient: every input element starts at `+0.0` and adds, with IEEE
/// `+`, `gy[oh][ow] / divisor` of each window that covers it, windows in ascending `(oh, ow)`
/// order (the divisor as in the forward pass).
pub(crate) fn avg_pool2d_backward<B: Inner>(
    x: F<B>,
    grad: F<B>,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    count_include_pad: bool,
) -> F<B> {
    let device = B::float_device(&x);
    let xs = x.shape().to_vec();
    let (gy, gs) = host::<B>(grad);
    let ([h, w], [oh, ow]) = ([xs[2], xs[3]], [gs[2], gs[3]]);
    let mut gx = vec![0f32; xs.iter().product()];
    for plane in 0..xs[0] * xs[1] {
        let g = &gy[plane * oh * ow..(plane + 1) * oh * ow];
        let dst = &mut gx[plane * h * w..(plane + 1) * h * w];
        for y in 0..oh {
            for xo in 0..ow {
                let rows: Vec<usize> = (0..kernel[0])
                    .filter_map(|i| (y * stride[0] + i).checked_sub(padding[0]))
                    .filter(|&r| r < h)
                    .collect();
                let cols: Vec<usize> = (0..kernel[1])
                    .filter_map(|j| (xo * stride[1] + j).checked_sub(padding[1]))
                    .filter(|&c| c < w)
                    .collect();
                let divisor = if count_include_pad {
                    (kernel[0] * kernel[1]) as f32
                } else {
                    (rows.len() * cols.len()) as f32
                };
                let v = g[y * ow + xo] / divisor;
                for &r in &rows {
                    for &c in &cols {
                        dst[r * w + c] += v;
                    }
                }
            }
        }
    }
    upload::<B>(gx, xs, &device)
}
