//! `ModuleOps` of `Ditto<B>`: in canonical mode the convolutions, pooling ops, `linear`,
//! `layer_norm`, `attention` and `embedding_backward` run canonical kernels or compositions on
//! `Ditto<B>` (`crate::ops::composite`); in run-to-run mode they are forwarded to `B`, except
//! where `B`'s are the slower (`canonical::linear_active`, and `forward/conv.rs`,
//! `forward/pool.rs` through `canonical::fast_active`) and where a Cargo feature of `B` could
//! change the bits of `B`'s (`attention`, whose Burn default calls `clamp`; the convolutions
//! and pooling ops of `canonical::feature_proof`).
//!
//! Longer than ~400 lines: one `impl ModuleOps` block, which Rust cannot split across files;
//! the convolution and pooling bodies already live in `forward/conv.rs` and `forward/pool.rs`,
//! and what is left is one short routing method per op.

#[allow(unused_imports)]
use burn_backend::ops::{
    AttentionModuleOptions, ConvOptions, ConvTransposeOptions, DeformConv2dBackward,
    DeformConvOptions, FloatTensorOps as _, GridSampleOptions, InterpolateOptions,
    MaxPool1dBackward, MaxPool1dWithIndices, MaxPool2dBackward, MaxPool2dWithIndices, ModuleOps,
    PadMode, UnfoldOptions,
};
#[allow(unused_imports)]
use burn_backend::tensor::{BoolTensor, Device, FloatTensor, IntTensor};
#[allow(unused_imports)]
use burn_backend::{Scalar, TensorData, TensorMetadata, get_device_settings};
#[allow(unused_imports)]
use burn_std::{FloatDType, IntDType, Shape};

use super::ops::*;
use super::{forward, traced};
use crate::backend::Ditto;
use crate::inner::Inner;
use crate::ops::canonical::{self, active};
use crate::ops::composite as comp;

impl<B: Inner> ModuleOps<Self> for Ditto<B> {
    fn embedding_backward(
        weights: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        indices: IntTensor<Self>,
    ) -> FloatTensor<Self> {
        traced!("embedding_backward", [weights F, output_grad F, indices I] F, if active::<B>(&weights) {
            comp::embedding_backward::<B>(weights, output_grad, indices)
        } else {
            B::embedding_backward(weights, output_grad, indices)
        })
    }

    fn linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        traced!("linear", [x F, weight F, bias OF] F, if canonical::linear_active::<B>(&x, weight.shape()[1]) {
            comp::linear::<B>(x, weight, bias)
        } else {
            B::linear(x, weight, bias)
        })
    }

    fn linear_x_backward(
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        traced!("linear_x_backward", [weight F, output_grad F] F, if canonical::linear_active::<B>(&output_grad, weight.shape()[0]) {
            comp::linear_x_backward::<B>(weight, output_grad)
        } else {
            B::linear_x_backward(weight, output_grad)
        })
    }

    fn linear_weight_backward(
        x: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        traced!("linear_weight_backward", [x F, output_grad F] F, if canonical::linear_active::<B>(&x, output_grad.shape()[output_grad.shape().num_dims() - 1]) {
            comp::linear_weight_backward::<B>(x, output_grad)
        } else {
            B::linear_weight_backward(x, output_grad)
        })
    }

    fn linear_bias_backward(output_grad: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("linear_bias_backward", [output_grad F] F, if active::<B>(&output_grad) {
            comp::linear_bias_backward::<B>(output_grad)
        } else {
            B::linear_bias_backward(output_grad)
        })
    }

    fn conv1d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
        options: ConvOptions<1>,
    ) -> FloatTensor<Self> {
        super::conv::conv1d::<B>(x, weight, bias, options)
    }

    fn conv1d_x_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvOptions<1>,
    ) -> FloatTensor<Self> {
        super::conv::conv1d_x_backward::<B>(x, weight, output_grad, options)
    }

    fn conv1d_weight_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvOptions<1>,
    ) -> FloatTensor<Self> {
        super::conv::conv1d_weight_backward::<B>(x, weight, output_grad, options)
    }

    fn conv1d_bias_backward(
        x: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        super::conv::conv1d_bias_backward::<B>(x, bias, output_grad)
    }

    fn conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        super::conv::conv2d::<B>(x, weight, bias, options)
    }

    fn conv2d_x_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        super::conv::conv2d_x_backward::<B>(x, weight, output_grad, options)
    }

    fn conv2d_weight_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        super::conv::conv2d_weight_backward::<B>(x, weight, output_grad, options)
    }

    fn conv2d_bias_backward(
        x: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        super::conv::conv2d_bias_backward::<B>(x, bias, output_grad)
    }

    fn deform_conv2d_backward(
        x: FloatTensor<Self>,
        offset: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        mask: Option<FloatTensor<Self>>,
        bias: Option<FloatTensor<Self>>,
        output_grad: FloatTensor<Self>,
        options: DeformConvOptions<2>,
    ) -> DeformConv2dBackward<Self> {
        traced!("deform_conv2d_backward", [x F, offset F, weight F, mask OF, bias OF, output_grad F] N, {
            crate::strict::check_op::<B>(&B::float_device(&x), "deform_conv2d_backward");
            crate::strict::check_canonical::<B>(
                &B::float_device(&x),
                "deform_conv2d_backward",
                crate::CanonicalClass::Refused,
            );
            super::Rebrand::rebrand(B::deform_conv2d_backward(
                x, offset, weight, mask, bias, output_grad, options,
            ))
        })
    }

    fn conv_transpose1d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
        options: ConvTransposeOptions<1>,
    ) -> FloatTensor<Self> {
        super::conv::conv_transpose1d::<B>(x, weight, bias, options)
    }

    fn conv_transpose1d_x_backward(
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvTransposeOptions<1>,
    ) -> FloatTensor<Self> {
        super::conv::conv_transpose1d_x_backward::<B>(weight, output_grad, options)
    }

    fn conv_transpose1d_weight_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvTransposeOptions<1>,
    ) -> FloatTensor<Self> {
        super::conv::conv_transpose1d_weight_backward::<B>(x, weight, output_grad, options)
    }

    fn conv_transpose1d_bias_backward(
        x: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        super::conv::conv_transpose1d_bias_backward::<B>(x, bias, output_grad)
    }

    fn conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        super::conv::conv_transpose2d::<B>(x, weight, bias, options)
    }

    fn conv_transpose2d_x_backward(
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        super::conv::conv_transpose2d_x_backward::<B>(weight, output_grad, options)
    }

    fn conv_transpose2d_weight_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        super::conv::conv_transpose2d_weight_backward::<B>(x, weight, output_grad, options)
    }

    fn conv_transpose2d_bias_backward(
        x: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        super::conv::conv_transpose2d_bias_backward::<B>(x, bias, output_grad)
    }

    fn avg_pool2d(
        x: FloatTensor<Self>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        count_include_pad: bool,
        ceil_mode: bool,
    ) -> FloatTensor<Self> {
        super::pool::avg_pool2d::<B>(
            x,
            kernel_size,
            stride,
            padding,
            count_include_pad,
            ceil_mode,
        )
    }

    fn avg_pool2d_backward(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        count_include_pad: bool,
        ceil_mode: bool,
    ) -> FloatTensor<Self> {
        super::pool::avg_pool2d_backward::<B>(
            x,
            grad,
            kernel_size,
            stride,
            padding,
            count_include_pad,
            ceil_mode,
        )
    }

    fn avg_pool1d(
        x: FloatTensor<Self>,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        count_include_pad: bool,
        ceil_mode: bool,
    ) -> FloatTensor<Self> {
        super::pool::avg_pool1d::<B>(
            x,
            kernel_size,
            stride,
            padding,
            count_include_pad,
            ceil_mode,
        )
    }

    fn avg_pool1d_backward(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        count_include_pad: bool,
        ceil_mode: bool,
    ) -> FloatTensor<Self> {
        super::pool::avg_pool1d_backward::<B>(
            x,
            grad,
            kernel_size,
            stride,
            padding,
            count_include_pad,
            ceil_mode,
        )
    }

    fn adaptive_avg_pool2d(x: FloatTensor<Self>, output_size: [usize; 2]) -> FloatTensor<Self> {
        super::pool::adaptive_avg_pool2d::<B>(x, output_size)
    }

    fn adaptive_avg_pool2d_backward(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        super::pool::adaptive_avg_pool2d_backward::<B>(x, grad)
    }

    fn adaptive_avg_pool1d(x: FloatTensor<Self>, output_size: usize) -> FloatTensor<Self> {
        super::pool::adaptive_avg_pool1d::<B>(x, output_size)
    }

    fn adaptive_avg_pool1d_backward(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        super::pool::adaptive_avg_pool1d_backward::<B>(x, grad)
    }

    fn max_pool1d(
        x: FloatTensor<Self>,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
        ceil_mode: bool,
    ) -> FloatTensor<Self> {
        super::pool::max_pool1d::<B>(x, kernel_size, stride, padding, dilation, ceil_mode)
    }

    fn max_pool1d_with_indices(
        x: FloatTensor<Self>,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
        ceil_mode: bool,
    ) -> MaxPool1dWithIndices<Self> {
        super::pool::max_pool1d_with_indices::<B>(
            x,
            kernel_size,
            stride,
            padding,
            dilation,
            ceil_mode,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn max_pool1d_with_indices_backward(
        x: FloatTensor<Self>,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
        ceil_mode: bool,
        output_grad: FloatTensor<Self>,
        indices: IntTensor<Self>,
    ) -> MaxPool1dBackward<Self> {
        super::pool::max_pool1d_with_indices_backward::<B>(
            x,
            kernel_size,
            stride,
            padding,
            dilation,
            ceil_mode,
            output_grad,
            indices,
        )
    }

    fn max_pool2d(
        x: FloatTensor<Self>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
    ) -> FloatTensor<Self> {
        super::pool::max_pool2d::<B>(x, kernel_size, stride, padding, dilation, ceil_mode)
    }

    fn max_pool2d_with_indices(
        x: FloatTensor<Self>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
    ) -> MaxPool2dWithIndices<Self> {
        super::pool::max_pool2d_with_indices::<B>(
            x,
            kernel_size,
            stride,
            padding,
            dilation,
            ceil_mode,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn max_pool2d_with_indices_backward(
        x: FloatTensor<Self>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
        output_grad: FloatTensor<Self>,
        indices: IntTensor<Self>,
    ) -> MaxPool2dBackward<Self> {
        super::pool::max_pool2d_with_indices_backward::<B>(
            x,
            kernel_size,
            stride,
            padding,
            dilation,
            ceil_mode,
            output_grad,
            indices,
        )
    }

    fn attention(
        query: FloatTensor<Self>,
        key: FloatTensor<Self>,
        value: FloatTensor<Self>,
        mask: Option<BoolTensor<Self>>,
        attn_bias: Option<FloatTensor<Self>>,
        options: AttentionModuleOptions,
    ) -> FloatTensor<Self> {
        traced!("attention", [query F, key F, value F, mask OB, attn_bias OF] F, if canonical::feature_proof::<B>(&query) {
            comp::attention::<B>(query, key, value, mask, attn_bias, options)
        } else {
            B::attention(query, key, value, mask, attn_bias, options)
        })
    }

    fn layer_norm(
        tensor: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: Option<FloatTensor<Self>>,
        epsilon: f64,
    ) -> FloatTensor<Self> {
        traced!("layer_norm", [tensor F, gamma F, beta OF] F, if active::<B>(&tensor) {
            comp::layer_norm::<B>(tensor, gamma, beta, epsilon)
        } else {
            B::layer_norm(tensor, gamma, beta, epsilon)
        })
    }

    forward_module_ops!();
}
