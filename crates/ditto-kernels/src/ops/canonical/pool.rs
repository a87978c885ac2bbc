//! Canonical mode: average, adaptive-average and max pooling with their backward ops.

use burn_backend::TensorMetadata;

use super::{F, dims4, host, ok, upload};
use crate::canonical::{self, conv::Conv2dOptions};
use crate::inner::Inner;

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

/// Max pooling with indices (`iy * w + ix` in the plane, Burn's convention) as `dtype`.
pub(crate) fn max_pool2d_with_indices<B: Inner>(
    x: F<B>,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    dtype: burn_std::IntDType,
) -> (F<B>, super::I<B>) {
    let device = B::float_device(&x);
    let (xv, xs) = host::<B>(x);
    let o = Conv2dOptions {
        stride,
        padding,
        dilation,
        groups: 1,
    };
    let [oh, ow] = canonical::conv::output_size([xs[2], xs[3]], kernel, &o)
        .unwrap_or_else(|e| panic!("ditto canonical mode: {e}"));
    let n = xs[0] * xs[1] * oh * ow;
    let (mut out, mut idx) = (vec![0f32; n], vec![0i64; n]);
    ok(canonical::pool::max_pool2d_with_indices(
        &xv,
        dims4(&xs),
        kernel,
        &o,
        &mut out,
        &mut idx,
    ));
    let shape = vec![xs[0], xs[1], oh, ow];
    let ints = super::upload_int::<B>(idx, shape.clone(), &device, dtype);
    (upload::<B>(out, shape, &device), ints)
}

/// Max pooling's input gradient from the forward pass's indices.
pub(crate) fn max_pool2d_backward<B: Inner>(
    x: &F<B>,
    output_grad: F<B>,
    indices: super::I<B>,
) -> F<B> {
    let device = B::float_device(x);
    let xs = x.shape().to_vec();
    let (gy, _) = host::<B>(output_grad);
    let (idx, _) = super::host_int::<B>(indices);
    let mut gx = vec![0f32; xs.iter().product()];
    ok(canonical::pool::max_pool2d_backward(
        &gy,
        &idx,
        dims4(&xs),
        &mut gx,
    ));
    upload::<B>(gx, xs, &device)
}

/// Adaptive average pooling to `[oh, ow]`.
pub(crate) fn adaptive_avg_pool2d<B: Inner>(x: F<B>, out_hw: [usize; 2]) -> F<B> {
    let device = B::float_device(&x);
    let (xv, xs) = host::<B>(x);
    let mut out = vec![0f32; xs[0] * xs[1] * out_hw[0] * out_hw[1]];
    ok(canonical::pool::adaptive_avg_pool2d(
        &xv,
        dims4(&xs),
        out_hw,
        &mut out,
    ));
    upload::<B>(out, vec![xs[0], xs[1], out_hw[0], out_hw[1]], &device)
}

/// Adaptive average pooling's input gradient.
pub(crate) fn adaptive_avg_pool2d_backward<B: Inner>(x: &F<B>, grad: F<B>) -> F<B> {
    let device = B::float_device(x);
    let xs = x.shape().to_vec();
    let (gy, gs) = host::<B>(grad);
    let mut gx = vec![0f32; xs.iter().product()];
    ok(canonical::pool::adaptive_avg_pool2d_backward(
        &gy,
        [gs[2], gs[3]],
        dims4(&xs),
        &mut gx,
    ));
    upload::<B>(gx, xs, &device)
}
