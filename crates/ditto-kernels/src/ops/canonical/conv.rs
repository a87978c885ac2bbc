//! Canonical mode: conv2d, its transpose and their backward ops.

use burn_backend::TensorMetadata;
use burn_backend::ops::{ConvOptions, ConvTransposeOptions};

use super::{F, dims4, host, ok, opts, upload};
use crate::canonical::{self, conv::Conv2dOptions};
use crate::inner::Inner;

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
    if let Some(carried) =
        super::carried::conv2d_weight_backward::<B>(&x, &weight, &output_grad, options)
    {
        return carried;
    }
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
    if let Some(carried) = super::carried::conv2d_bias_backward::<B>(&bias, &output_grad) {
        return carried;
    }
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
