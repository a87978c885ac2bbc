//! The convolutions of `Ditto<B>`'s `ModuleOps` (called from `module.rs`): canonical kernels
//! or compositions in canonical mode, `B`'s otherwise, except `conv2d` and its backward ops,
//! which run-to-run mode also takes from ditto where `B`'s are the slower
//! (`Inner::CANONICAL_IN_RUN_TO_RUN`), and the ops whose Burn default bodies call `B`'s
//! conv2d (1-D convolution and its weight gradient, transposed convolutions' input and weight
//! gradients), which it takes where a Cargo feature could change that conv2d
//! (`Inner::FEATURE_PROOF`: burn-ndarray's `simd`).

use burn_backend::ops::{ConvOptions, ConvTransposeOptions};
use burn_backend::tensor::FloatTensor;

use super::traced;
use crate::backend::Ditto;
use crate::inner::Inner;
use crate::ops::canonical::{self, active};
use crate::ops::composite as comp;

/// Refuses (strict mode, canonical mode) a call that falls back to `B`'s kernel.
fn fallback<B: Inner>(x: &FloatTensor<Ditto<B>>, op: &'static str) {
    crate::strict::check_canonical::<B>(&B::float_device(x), op, crate::CanonicalClass::Forwarded);
}

pub(super) fn conv1d<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    weight: FloatTensor<Ditto<B>>,
    bias: Option<FloatTensor<Ditto<B>>>,
    options: ConvOptions<1>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv1d", [x F, weight F, bias OF] F, if canonical::feature_proof::<B>(&x) {
        comp::conv1d::<B>(x, weight, bias, &options)
    } else {
        B::conv1d(x, weight, bias, options)
    })
}

pub(super) fn conv1d_x_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    weight: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
    options: ConvOptions<1>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv1d_x_backward", [x F, weight F, output_grad F] F, if active::<B>(&x) {
        comp::conv1d_x_backward::<B>(x, weight, output_grad, &options)
    } else {
        B::conv1d_x_backward(x, weight, output_grad, options)
    })
}

pub(super) fn conv1d_weight_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    weight: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
    options: ConvOptions<1>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv1d_weight_backward", [x F, weight F, output_grad F] F, if canonical::feature_proof::<B>(&x) {
        comp::conv1d_weight_backward::<B>(x, weight, output_grad, &options)
    } else {
        B::conv1d_weight_backward(x, weight, output_grad, options)
    })
}

pub(super) fn conv1d_bias_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    bias: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv1d_bias_backward", [x F, bias F, output_grad F] F, if active::<B>(&x) {
        comp::conv1d_bias_backward::<B>(x, bias, output_grad)
    } else {
        B::conv1d_bias_backward(x, bias, output_grad)
    })
}

pub(super) fn conv2d<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    weight: FloatTensor<Ditto<B>>,
    bias: Option<FloatTensor<Ditto<B>>>,
    options: ConvOptions<2>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv2d", [x F, weight F, bias OF] F, if canonical::fast_active::<B>(&x) {
        canonical::conv2d::<B>(x, weight, bias, &options)
    } else {
        B::conv2d(x, weight, bias, options)
    })
}

pub(super) fn conv2d_x_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    weight: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
    options: ConvOptions<2>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv2d_x_backward", [x F, weight F, output_grad F] F, if canonical::fast_active::<B>(&x) {
        canonical::conv2d_x_backward::<B>(x, weight, output_grad, &options)
    } else {
        B::conv2d_x_backward(x, weight, output_grad, options)
    })
}

pub(super) fn conv2d_weight_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    weight: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
    options: ConvOptions<2>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv2d_weight_backward", [x F, weight F, output_grad F] F, if canonical::fast_active::<B>(&x) {
        canonical::conv2d_weight_backward::<B>(x, weight, output_grad, &options)
    } else {
        B::conv2d_weight_backward(x, weight, output_grad, options)
    })
}

pub(super) fn conv2d_bias_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    bias: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv2d_bias_backward", [x F, bias F, output_grad F] F, if canonical::fast_active::<B>(&x) {
        canonical::conv2d_bias_backward::<B>(bias, output_grad)
    } else {
        B::conv2d_bias_backward(x, bias, output_grad)
    })
}

pub(super) fn conv_transpose1d<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    weight: FloatTensor<Ditto<B>>,
    bias: Option<FloatTensor<Ditto<B>>>,
    options: ConvTransposeOptions<1>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv_transpose1d", [x F, weight F, bias OF] F, if active::<B>(&x) {
        comp::conv_transpose1d::<B>(x, weight, bias, &options)
    } else {
        B::conv_transpose1d(x, weight, bias, options)
    })
}

pub(super) fn conv_transpose1d_x_backward<B: Inner>(
    weight: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
    options: ConvTransposeOptions<1>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv_transpose1d_x_backward", [weight F, output_grad F] F, if canonical::feature_proof::<B>(&weight) {
        comp::conv_transpose1d_x_backward::<B>(weight, output_grad, &options)
    } else {
        B::conv_transpose1d_x_backward(weight, output_grad, options)
    })
}

pub(super) fn conv_transpose1d_weight_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    weight: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
    options: ConvTransposeOptions<1>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv_transpose1d_weight_backward", [x F, weight F, output_grad F] F, if canonical::feature_proof::<B>(&x) {
        comp::conv_transpose1d_weight_backward::<B>(x, weight, output_grad, &options)
    } else {
        B::conv_transpose1d_weight_backward(x, weight, output_grad, options)
    })
}

pub(super) fn conv_transpose1d_bias_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    bias: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv_transpose1d_bias_backward", [x F, bias F, output_grad F] F, if active::<B>(&x) {
        comp::conv_transpose1d_bias_backward::<B>(x, bias, output_grad)
    } else {
        B::conv_transpose1d_bias_backward(x, bias, output_grad)
    })
}

pub(super) fn conv_transpose2d<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    weight: FloatTensor<Ditto<B>>,
    bias: Option<FloatTensor<Ditto<B>>>,
    options: ConvTransposeOptions<2>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv_transpose2d", [x F, weight F, bias OF] F, if active::<B>(&x) && canonical::transposed_ok::<B>(&x, &weight, &options) {
        canonical::conv_transpose2d::<B>(x, weight, bias, &options)
    } else {
        if active::<B>(&x) {
            fallback::<B>(&x, "conv_transpose2d");
        }
        B::conv_transpose2d(x, weight, bias, options)
    })
}

pub(super) fn conv_transpose2d_x_backward<B: Inner>(
    weight: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
    options: ConvTransposeOptions<2>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv_transpose2d_x_backward", [weight F, output_grad F] F, if canonical::feature_proof::<B>(&weight)
        && canonical::transposed_grad_ok::<B>(&weight, &output_grad, &options)
    {
        canonical::conv_transpose2d_x_backward::<B>(weight, output_grad, &options)
    } else {
        if active::<B>(&weight) {
            fallback::<B>(&weight, "conv_transpose2d_x_backward");
        }
        B::conv_transpose2d_x_backward(weight, output_grad, options)
    })
}

pub(super) fn conv_transpose2d_weight_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    weight: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
    options: ConvTransposeOptions<2>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv_transpose2d_weight_backward", [x F, weight F, output_grad F] F, if canonical::feature_proof::<B>(&x) && canonical::transposed_ok::<B>(&x, &weight, &options) {
        canonical::conv_transpose2d_weight_backward::<B>(
            x,
            weight,
            output_grad,
            &options,
        )
    } else {
        if active::<B>(&x) {
            fallback::<B>(&x, "conv_transpose2d_weight_backward");
        }
        B::conv_transpose2d_weight_backward(x, weight, output_grad, options)
    })
}

pub(super) fn conv_transpose2d_bias_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    bias: FloatTensor<Ditto<B>>,
    output_grad: FloatTensor<Ditto<B>>,
) -> FloatTensor<Ditto<B>> {
    traced!("conv_transpose2d_bias_backward", [x F, bias F, output_grad F] F, if active::<B>(&x) {
        canonical::conv2d_bias_backward::<B>(bias, output_grad)
    } else {
        if active::<B>(&x) {
            fallback::<B>(&x, "conv_transpose2d_bias_backward");
        }
        B::conv_transpose2d_bias_backward(x, bias, output_grad)
    })
}
