//! 1-D convolutions and pooling as their 2-D forms with a trailing width of 1, on `Ditto<B>`
//! (whose 2-D ops are canonical): the same per-output operation order as the 2-D op.

use burn_backend::TensorMetadata;
use burn_backend::ops::{
    ConvOptions, ConvTransposeOptions, FloatTensorOps, MaxPool1dBackward, MaxPool1dWithIndices,
    ModuleOps,
};
use burn_backend::tensor::IntTensor;
use burn_std::Shape;

use super::F;
use crate::backend::Ditto;
use crate::inner::Inner;

type D<B> = Ditto<B>;

/// `[a, b, l]` -> `[a, b, l, 1]`.
fn to2d<B: Inner>(t: F<B>) -> F<B> {
    let [a, b, l] = t.shape().dims();
    D::<B>::float_reshape(t, Shape::new([a, b, l, 1]))
}

/// `[a, b, l, 1]` -> `[a, b, l]`.
fn to1d<B: Inner>(t: F<B>) -> F<B> {
    let [a, b, l, _] = t.shape().dims();
    D::<B>::float_reshape(t, Shape::new([a, b, l]))
}

fn int_to2d<B: Inner>(t: IntTensor<D<B>>) -> IntTensor<D<B>> {
    use burn_backend::ops::IntTensorOps;
    let [a, b, l] = t.shape().dims();
    D::<B>::int_reshape(t, Shape::new([a, b, l, 1]))
}

fn int_to1d<B: Inner>(t: IntTensor<D<B>>) -> IntTensor<D<B>> {
    use burn_backend::ops::IntTensorOps;
    let [a, b, l, _] = t.shape().dims();
    D::<B>::int_reshape(t, Shape::new([a, b, l]))
}

fn opts2(o: &ConvOptions<1>) -> ConvOptions<2> {
    ConvOptions::new(
        [o.stride[0], 1],
        [o.padding[0], 0],
        [o.dilation[0], 1],
        o.groups,
    )
}

fn topts2(o: &ConvTransposeOptions<1>) -> ConvTransposeOptions<2> {
    ConvTransposeOptions::new(
        [o.stride[0], 1],
        [o.padding[0], 0],
        [o.padding_out[0], 0],
        [o.dilation[0], 1],
        o.groups,
    )
}

/// conv1d as conv2d.
pub(crate) fn conv1d<B: Inner>(x: F<B>, w: F<B>, bias: Option<F<B>>, o: &ConvOptions<1>) -> F<B> {
    to1d::<B>(D::<B>::conv2d(to2d::<B>(x), to2d::<B>(w), bias, opts2(o)))
}

/// conv1d's input gradient as conv2d's.
pub(crate) fn conv1d_x_backward<B: Inner>(x: F<B>, w: F<B>, gy: F<B>, o: &ConvOptions<1>) -> F<B> {
    to1d::<B>(D::<B>::conv2d_x_backward(
        to2d::<B>(x),
        to2d::<B>(w),
        to2d::<B>(gy),
        opts2(o),
    ))
}

/// conv1d's weight gradient as conv2d's.
pub(crate) fn conv1d_weight_backward<B: Inner>(
    x: F<B>,
    w: F<B>,
    gy: F<B>,
    o: &ConvOptions<1>,
) -> F<B> {
    to1d::<B>(D::<B>::conv2d_weight_backward(
        to2d::<B>(x),
        to2d::<B>(w),
        to2d::<B>(gy),
        opts2(o),
    ))
}

/// conv1d's bias gradient as conv2d's.
pub(crate) fn conv1d_bias_backward<B: Inner>(x: F<B>, bias: F<B>, gy: F<B>) -> F<B> {
    D::<B>::conv2d_bias_backward(to2d::<B>(x), bias, to2d::<B>(gy))
}

/// conv_transpose1d as conv_transpose2d.
pub(crate) fn conv_transpose1d<B: Inner>(
    x: F<B>,
    w: F<B>,
    bias: Option<F<B>>,
    o: &ConvTransposeOptions<1>,
) -> F<B> {
    to1d::<B>(D::<B>::conv_transpose2d(
        to2d::<B>(x),
        to2d::<B>(w),
        bias,
        topts2(o),
    ))
}

/// conv_transpose1d's input gradient as conv_transpose2d's.
pub(crate) fn conv_transpose1d_x_backward<B: Inner>(
    w: F<B>,
    gy: F<B>,
    o: &ConvTransposeOptions<1>,
) -> F<B> {
    to1d::<B>(D::<B>::conv_transpose2d_x_backward(
        to2d::<B>(w),
        to2d::<B>(gy),
        topts2(o),
    ))
}

/// conv_transpose1d's weight gradient as conv_transpose2d's.
pub(crate) fn conv_transpose1d_weight_backward<B: Inner>(
    x: F<B>,
    w: F<B>,
    gy: F<B>,
    o: &ConvTransposeOptions<1>,
) -> F<B> {
    to1d::<B>(D::<B>::conv_transpose2d_weight_backward(
        to2d::<B>(x),
        to2d::<B>(w),
        to2d::<B>(gy),
        topts2(o),
    ))
}

/// conv_transpose1d's bias gradient as conv_transpose2d's.
pub(crate) fn conv_transpose1d_bias_backward<B: Inner>(x: F<B>, bias: F<B>, gy: F<B>) -> F<B> {
    D::<B>::conv_transpose2d_bias_backward(to2d::<B>(x), bias, to2d::<B>(gy))
}

/// avg_pool1d as avg_pool2d with a `[k, 1]` window.
pub(crate) fn avg_pool1d<B: Inner>(
    x: F<B>,
    k: usize,
    s: usize,
    p: usize,
    include_pad: bool,
    ceil: bool,
) -> F<B> {
    to1d::<B>(D::<B>::avg_pool2d(
        to2d::<B>(x),
        [k, 1],
        [s, 1],
        [p, 0],
        include_pad,
        ceil,
    ))
}

/// avg_pool1d's gradient as avg_pool2d's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn avg_pool1d_backward<B: Inner>(
    x: F<B>,
    grad: F<B>,
    k: usize,
    s: usize,
    p: usize,
    include_pad: bool,
    ceil: bool,
) -> F<B> {
    to1d::<B>(D::<B>::avg_pool2d_backward(
        to2d::<B>(x),
        to2d::<B>(grad),
        [k, 1],
        [s, 1],
        [p, 0],
        include_pad,
        ceil,
    ))
}

/// adaptive_avg_pool1d as adaptive_avg_pool2d to `[out, 1]`.
pub(crate) fn adaptive_avg_pool1d<B: Inner>(x: F<B>, out: usize) -> F<B> {
    to1d::<B>(D::<B>::adaptive_avg_pool2d(to2d::<B>(x), [out, 1]))
}

/// adaptive_avg_pool1d's gradient as adaptive_avg_pool2d's.
pub(crate) fn adaptive_avg_pool1d_backward<B: Inner>(x: F<B>, grad: F<B>) -> F<B> {
    to1d::<B>(D::<B>::adaptive_avg_pool2d_backward(
        to2d::<B>(x),
        to2d::<B>(grad),
    ))
}

/// max_pool1d (with indices) as max_pool2d with a `[k, 1]` window: the plane index
/// `iy * 1 + 0` is the 1-D index.
pub(crate) fn max_pool1d_with_indices<B: Inner>(
    x: F<B>,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    ceil: bool,
) -> MaxPool1dWithIndices<D<B>> {
    let r = D::<B>::max_pool2d_with_indices(to2d::<B>(x), [k, 1], [s, 1], [p, 0], [d, 1], ceil);
    MaxPool1dWithIndices::new(to1d::<B>(r.output), int_to1d::<B>(r.indices))
}

/// max_pool1d's gradient as max_pool2d's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn max_pool1d_with_indices_backward<B: Inner>(
    x: F<B>,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    ceil: bool,
    gy: F<B>,
    indices: IntTensor<D<B>>,
) -> MaxPool1dBackward<D<B>> {
    let r = D::<B>::max_pool2d_with_indices_backward(
        to2d::<B>(x),
        [k, 1],
        [s, 1],
        [p, 0],
        [d, 1],
        ceil,
        to2d::<B>(gy),
        int_to2d::<B>(indices),
    );
    MaxPool1dBackward::new(to1d::<B>(r.x_grad))
}
