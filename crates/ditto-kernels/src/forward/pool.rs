//! The pooling ops of `Ditto<B>`'s `ModuleOps` (called from `module.rs`): canonical kernels or
//! compositions in canonical mode (without `ceil_mode` for the 2-D ones), `B`'s otherwise,
//! except 2-D max pooling, which run-to-run mode also takes from ditto where `B`'s is the
//! slower (`Inner::CANONICAL_IN_RUN_TO_RUN`), and 2-D average pooling and 1-D average and max
//! pooling, which it takes where a Cargo feature of `B` could change `B`'s 2-D pooling
//! (`Inner::FEATURE_PROOF`: burn-ndarray's `simd`).

use burn_backend::get_device_settings;
use burn_backend::ops::{
    MaxPool1dBackward, MaxPool1dWithIndices, MaxPool2dBackward, MaxPool2dWithIndices,
};
use burn_backend::tensor::{FloatTensor, IntTensor};

use super::traced;
use crate::backend::Ditto;
use crate::inner::Inner;
use crate::ops::canonical::{self, active};
use crate::ops::composite as comp;

/// Refuses (strict mode, canonical mode) a call that falls back to `B`'s kernel.
fn fallback<B: Inner>(x: &FloatTensor<Ditto<B>>, op: &'static str) {
    crate::strict::check_canonical::<B>(&B::float_device(x), op, crate::CanonicalClass::Forwarded);
}

pub(super) fn avg_pool2d<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    kernel_size: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    count_include_pad: bool,
    ceil_mode: bool,
) -> FloatTensor<Ditto<B>> {
    traced!("avg_pool2d", [x F] F, if !ceil_mode && canonical::feature_proof::<B>(&x) {
        canonical::avg_pool2d::<B>(x, kernel_size, stride, padding, count_include_pad)
    } else {
        if active::<B>(&x) {
            fallback::<B>(&x, "avg_pool2d");
        }
        B::avg_pool2d(
        x,
        kernel_size,
        stride,
        padding,
        count_include_pad,
        ceil_mode,
    )
    })
}

pub(super) fn avg_pool2d_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    grad: FloatTensor<Ditto<B>>,
    kernel_size: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    count_include_pad: bool,
    ceil_mode: bool,
) -> FloatTensor<Ditto<B>> {
    traced!("avg_pool2d_backward", [x F, grad F] F, if !ceil_mode && active::<B>(&x) {
        canonical::avg_pool2d_backward::<B>(
            x,
            grad,
            kernel_size,
            stride,
            padding,
            count_include_pad,
        )
    } else {
        if active::<B>(&x) {
            fallback::<B>(&x, "avg_pool2d_backward");
        }
        B::avg_pool2d_backward(
        x,
        grad,
        kernel_size,
        stride,
        padding,
        count_include_pad,
        ceil_mode,
    )
    })
}

pub(super) fn avg_pool1d<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    kernel_size: usize,
    stride: usize,
    padding: usize,
    count_include_pad: bool,
    ceil_mode: bool,
) -> FloatTensor<Ditto<B>> {
    traced!("avg_pool1d", [x F] F, if canonical::feature_proof::<B>(&x) {
        comp::avg_pool1d::<B>(x, kernel_size, stride, padding, count_include_pad, ceil_mode)
    } else {
        B::avg_pool1d(x, kernel_size, stride, padding, count_include_pad, ceil_mode)
    })
}

pub(super) fn avg_pool1d_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    grad: FloatTensor<Ditto<B>>,
    kernel_size: usize,
    stride: usize,
    padding: usize,
    count_include_pad: bool,
    ceil_mode: bool,
) -> FloatTensor<Ditto<B>> {
    traced!("avg_pool1d_backward", [x F, grad F] F, if active::<B>(&x) {
        comp::avg_pool1d_backward::<B>(x, grad, kernel_size, stride, padding, count_include_pad, ceil_mode)
    } else {
        B::avg_pool1d_backward(x, grad, kernel_size, stride, padding, count_include_pad, ceil_mode)
    })
}

pub(super) fn adaptive_avg_pool2d<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    output_size: [usize; 2],
) -> FloatTensor<Ditto<B>> {
    traced!("adaptive_avg_pool2d", [x F] F, if active::<B>(&x) {
        canonical::adaptive_avg_pool2d::<B>(x, output_size)
    } else {
        B::adaptive_avg_pool2d(x, output_size)
    })
}

pub(super) fn adaptive_avg_pool2d_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    grad: FloatTensor<Ditto<B>>,
) -> FloatTensor<Ditto<B>> {
    traced!("adaptive_avg_pool2d_backward", [x F, grad F] F, if active::<B>(&x) {
        canonical::adaptive_avg_pool2d_backward::<B>(&x, grad)
    } else {
        B::adaptive_avg_pool2d_backward(x, grad)
    })
}

pub(super) fn adaptive_avg_pool1d<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    output_size: usize,
) -> FloatTensor<Ditto<B>> {
    traced!("adaptive_avg_pool1d", [x F] F, if active::<B>(&x) {
        comp::adaptive_avg_pool1d::<B>(x, output_size)
    } else {
        B::adaptive_avg_pool1d(x, output_size)
    })
}

pub(super) fn adaptive_avg_pool1d_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    grad: FloatTensor<Ditto<B>>,
) -> FloatTensor<Ditto<B>> {
    traced!("adaptive_avg_pool1d_backward", [x F, grad F] F, if active::<B>(&x) {
        comp::adaptive_avg_pool1d_backward::<B>(x, grad)
    } else {
        B::adaptive_avg_pool1d_backward(x, grad)
    })
}

pub(super) fn max_pool1d<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    kernel_size: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
    ceil_mode: bool,
) -> FloatTensor<Ditto<B>> {
    traced!("max_pool1d", [x F] F, if canonical::feature_proof::<B>(&x) {
        comp::max_pool1d_with_indices::<B>(x, kernel_size, stride, padding, dilation, ceil_mode).output
    } else {
        B::max_pool1d(x, kernel_size, stride, padding, dilation, ceil_mode)
    })
}

pub(super) fn max_pool1d_with_indices<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    kernel_size: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
    ceil_mode: bool,
) -> MaxPool1dWithIndices<Ditto<B>> {
    traced!("max_pool1d_with_indices", [x F] MP, if active::<B>(&x) {
        comp::max_pool1d_with_indices::<B>(x, kernel_size, stride, padding, dilation, ceil_mode)
    } else {
        super::Rebrand::rebrand(B::max_pool1d_with_indices(x, kernel_size, stride, padding, dilation, ceil_mode))
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn max_pool1d_with_indices_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    kernel_size: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
    ceil_mode: bool,
    output_grad: FloatTensor<Ditto<B>>,
    indices: IntTensor<Ditto<B>>,
) -> MaxPool1dBackward<Ditto<B>> {
    traced!("max_pool1d_with_indices_backward", [x F, output_grad F, indices I] MB, if active::<B>(&x) {
        comp::max_pool1d_with_indices_backward::<B>(x, kernel_size, stride, padding, dilation, ceil_mode, output_grad, indices)
    } else {
        super::Rebrand::rebrand(B::max_pool1d_with_indices_backward(x, kernel_size, stride, padding, dilation, ceil_mode, output_grad, indices))
    })
}

pub(super) fn max_pool2d<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    kernel_size: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    ceil_mode: bool,
) -> FloatTensor<Ditto<B>> {
    traced!("max_pool2d", [x F] F, if !ceil_mode && canonical::fast_active::<B>(&x) {
        let dtype = get_device_settings::<Ditto<B>>(&B::float_device(&x)).int_dtype;
        canonical::max_pool2d_with_indices::<B>(x, kernel_size, stride, padding, dilation, dtype).0
    } else {
        if active::<B>(&x) {
            fallback::<B>(&x, "max_pool2d");
        }
        B::max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)
    })
}

pub(super) fn max_pool2d_with_indices<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    kernel_size: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    ceil_mode: bool,
) -> MaxPool2dWithIndices<Ditto<B>> {
    traced!("max_pool2d_with_indices", [x F] MP, if !ceil_mode && canonical::fast_active::<B>(&x) {
        let dtype = get_device_settings::<Ditto<B>>(&B::float_device(&x)).int_dtype;
        let (output, indices) = canonical::max_pool2d_with_indices::<B>(x, kernel_size, stride, padding, dilation, dtype);
        MaxPool2dWithIndices::new(output, indices)
    } else {
        if active::<B>(&x) {
            fallback::<B>(&x, "max_pool2d_with_indices");
        }
        super::Rebrand::rebrand(B::max_pool2d_with_indices(x, kernel_size, stride, padding, dilation, ceil_mode))
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn max_pool2d_with_indices_backward<B: Inner>(
    x: FloatTensor<Ditto<B>>,
    kernel_size: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    ceil_mode: bool,
    output_grad: FloatTensor<Ditto<B>>,
    indices: IntTensor<Ditto<B>>,
) -> MaxPool2dBackward<Ditto<B>> {
    traced!("max_pool2d_with_indices_backward", [x F, output_grad F, indices I] MB, if !ceil_mode && canonical::fast_active::<B>(&x) {
        MaxPool2dBackward::new(canonical::max_pool2d_backward::<B>(&x, output_grad, indices))
    } else {
        if active::<B>(&x) {
            fallback::<B>(&x, "max_pool2d_with_indices_backward");
        }
        super::Rebrand::rebrand(B::max_pool2d_with_indices_backward(x, kernel_size, stride, padding, dilation, ceil_mode, output_grad, indices))
    })
}
