//! The op-trait impls of `Ditto<B>`: the generated forwarding plus the ops written by hand
//! (overrides in `crate::ops`, and the few whose arguments are branded structs).

use burn_backend::ops::{
    ActivationOps, BoolTensorOps, FloatTensorOps, IntTensorOps, ModuleOps, QTensorOps,
    TransactionOps,
};
#[allow(unused_imports)]
use burn_backend::ops::{
    AttentionModuleOptions, ConvOptions, ConvTransposeOptions, DeformConv2dBackward,
    DeformConvOptions, FloatTensorOps as _, GridSampleOptions, InterpolateOptions,
    MaxPool1dBackward, MaxPool1dWithIndices, MaxPool2dBackward, MaxPool2dWithIndices, PadMode,
    UnfoldOptions,
};
#[allow(unused_imports)]
use burn_backend::quantization::{QuantScheme, QuantizationParametersPrimitive};
#[allow(unused_imports)]
use burn_backend::tensor::{BoolTensor, Device, FloatTensor, IntTensor, QuantizedTensor};
#[allow(unused_imports)]
use burn_backend::{Distribution, ExecutionError, Scalar, TensorData, TensorPrimitive};
#[allow(unused_imports)]
use burn_std::{BoolDType, DType, FloatDType, IntDType, Shape, Slice};
#[allow(unused_imports)]
use core::ops::Range;

use super::forward;
use super::ops::*;
use crate::backend::Ditto;
use crate::canonical::math;
use crate::inner::Inner;
use crate::ops::canonical;

impl<B: Inner> FloatTensorOps<Self> for Ditto<B> {
    fn float_random(
        shape: Shape,
        distribution: Distribution,
        device: &Device<Self>,
        dtype: FloatDType,
    ) -> FloatTensor<Self> {
        crate::audit::record("float_random");
        crate::ops::random::float_random::<B>(shape, distribution, device, dtype)
    }

    fn float_sum(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("float_sum");
        if canonical::active::<B>(&tensor) {
            return canonical::sum::<B>(tensor);
        }
        crate::ops::reduce::sum::<B>(tensor)
    }

    fn float_mean(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("float_mean");
        if canonical::active::<B>(&tensor) {
            return canonical::mean::<B>(tensor);
        }
        crate::ops::reduce::mean::<B>(tensor)
    }

    fn float_matmul(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("float_matmul");
        if canonical::active::<B>(&lhs) {
            return canonical::matmul::<B>(lhs, rhs);
        }
        B::float_matmul(lhs, rhs)
    }

    fn float_sum_dim(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        crate::audit::record("float_sum_dim");
        if canonical::active::<B>(&tensor) {
            return canonical::reduce_dim::<B>(tensor, dim, false);
        }
        B::float_sum_dim(tensor, dim)
    }

    fn float_mean_dim(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        crate::audit::record("float_mean_dim");
        if canonical::active::<B>(&tensor) {
            return canonical::reduce_dim::<B>(tensor, dim, true);
        }
        B::float_mean_dim(tensor, dim)
    }

    fn float_exp(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("float_exp");
        if canonical::active::<B>(&tensor) {
            return canonical::map::<B>(tensor, math::exp_slice);
        }
        B::float_exp(tensor)
    }

    fn float_log(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("float_log");
        if canonical::active::<B>(&tensor) {
            return canonical::map::<B>(tensor, math::ln_slice);
        }
        B::float_log(tensor)
    }

    fn float_tanh(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("float_tanh");
        if canonical::active::<B>(&tensor) {
            return canonical::map::<B>(tensor, math::tanh_slice);
        }
        B::float_tanh(tensor)
    }

    fn float_erf(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("float_erf");
        if canonical::active::<B>(&tensor) {
            return canonical::map::<B>(tensor, math::erf_slice);
        }
        B::float_erf(tensor)
    }

    fn float_powf(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("float_powf");
        if canonical::active::<B>(&lhs) {
            // Same shapes: element-wise; broadcast shapes: expand first (exact copies).
            let shape = burn_backend::TensorMetadata::shape(&lhs)
                .broadcast(&burn_backend::TensorMetadata::shape(&rhs))
                .unwrap_or_else(|_| burn_backend::TensorMetadata::shape(&lhs));
            let lhs = B::float_expand(lhs, shape.clone());
            let rhs = B::float_expand(rhs, shape);
            if let Some(out) = canonical::powf::<B>(lhs.clone(), rhs.clone()) {
                return out;
            }
            return B::float_powf(lhs, rhs);
        }
        B::float_powf(lhs, rhs)
    }

    fn float_powf_scalar(tensor: FloatTensor<Self>, value: Scalar) -> FloatTensor<Self> {
        crate::audit::record("float_powf_scalar");
        // Integer exponents go to `powi` (exact products) in both modes, as Burn's default.
        if value.try_as_integer().is_none() && canonical::active::<B>(&tensor) {
            return canonical::powf_scalar::<B>(tensor, value);
        }
        B::float_powf_scalar(tensor, value)
    }

    forward_float_tensor_ops!();
}

impl<B: Inner> IntTensorOps<Self> for Ditto<B> {
    fn int_random(
        shape: Shape,
        distribution: Distribution,
        device: &Device<Self>,
        dtype: IntDType,
    ) -> IntTensor<Self> {
        crate::audit::record("int_random");
        crate::ops::random::int_random::<B>(shape, distribution, device, dtype)
    }

    forward_int_tensor_ops!();
}

impl<B: Inner> BoolTensorOps<Self> for Ditto<B> {
    forward_bool_tensor_ops!();
}

impl<B: Inner> ModuleOps<Self> for Ditto<B> {
    fn conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        crate::audit::record("conv2d");
        if canonical::active::<B>(&x) {
            return canonical::conv2d::<B>(x, weight, bias, &options);
        }
        B::conv2d(x, weight, bias, options)
    }

    fn conv2d_x_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        crate::audit::record("conv2d_x_backward");
        if canonical::active::<B>(&x) {
            return canonical::conv2d_x_backward::<B>(x, weight, output_grad, &options);
        }
        B::conv2d_x_backward(x, weight, output_grad, options)
    }

    fn conv2d_weight_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        crate::audit::record("conv2d_weight_backward");
        if canonical::active::<B>(&x) {
            return canonical::conv2d_weight_backward::<B>(x, weight, output_grad, &options);
        }
        B::conv2d_weight_backward(x, weight, output_grad, options)
    }

    fn conv2d_bias_backward(
        x: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        crate::audit::record("conv2d_bias_backward");
        if canonical::active::<B>(&x) {
            return canonical::conv2d_bias_backward::<B>(bias, output_grad);
        }
        B::conv2d_bias_backward(x, bias, output_grad)
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
        crate::audit::record("deform_conv2d_backward");
        crate::strict::check_op::<B>(&B::float_device(&x), "deform_conv2d_backward");
        super::Rebrand::rebrand(B::deform_conv2d_backward(
            x,
            offset,
            weight,
            mask,
            bias,
            output_grad,
            options,
        ))
    }

    fn conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        crate::audit::record("conv_transpose2d");
        if canonical::active::<B>(&x) && canonical::transposed_ok::<B>(&x, &weight, &options) {
            return canonical::conv_transpose2d::<B>(x, weight, bias, &options);
        }
        B::conv_transpose2d(x, weight, bias, options)
    }

    fn conv_transpose2d_x_backward(
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        crate::audit::record("conv_transpose2d_x_backward");
        if canonical::active::<B>(&weight)
            && canonical::transposed_grad_ok::<B>(&weight, &output_grad, &options)
        {
            return canonical::conv_transpose2d_x_backward::<B>(weight, output_grad, &options);
        }
        B::conv_transpose2d_x_backward(weight, output_grad, options)
    }

    fn conv_transpose2d_weight_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        crate::audit::record("conv_transpose2d_weight_backward");
        if canonical::active::<B>(&x) && canonical::transposed_ok::<B>(&x, &weight, &options) {
            return canonical::conv_transpose2d_weight_backward::<B>(
                x,
                weight,
                output_grad,
                &options,
            );
        }
        B::conv_transpose2d_weight_backward(x, weight, output_grad, options)
    }

    fn conv_transpose2d_bias_backward(
        x: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        crate::audit::record("conv_transpose2d_bias_backward");
        if canonical::active::<B>(&x) {
            return canonical::conv2d_bias_backward::<B>(bias, output_grad);
        }
        B::conv_transpose2d_bias_backward(x, bias, output_grad)
    }

    fn avg_pool2d(
        x: FloatTensor<Self>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        count_include_pad: bool,
        ceil_mode: bool,
    ) -> FloatTensor<Self> {
        crate::audit::record("avg_pool2d");
        if !ceil_mode && canonical::active::<B>(&x) {
            return canonical::avg_pool2d::<B>(x, kernel_size, stride, padding, count_include_pad);
        }
        B::avg_pool2d(
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
        crate::audit::record("avg_pool2d_backward");
        if !ceil_mode && canonical::active::<B>(&x) {
            return canonical::avg_pool2d_backward::<B>(
                x,
                grad,
                kernel_size,
                stride,
                padding,
                count_include_pad,
            );
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
    }

    forward_module_ops!();
}

impl<B: Inner> ActivationOps<Self> for Ditto<B> {
    fn sigmoid(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("sigmoid");
        if canonical::active::<B>(&tensor) {
            return canonical::map::<B>(tensor, math::sigmoid_slice);
        }
        B::sigmoid(tensor)
    }

    fn gelu(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("gelu");
        if canonical::active::<B>(&tensor) {
            return canonical::map::<B>(tensor, math::gelu_slice);
        }
        B::gelu(tensor)
    }

    forward_activation_ops!();
}

impl<B: Inner> QTensorOps<Self> for Ditto<B> {
    fn quantize(
        tensor: FloatTensor<Self>,
        scheme: &QuantScheme,
        qparams: QuantizationParametersPrimitive<Self>,
    ) -> QuantizedTensor<Self> {
        B::quantize(
            tensor,
            scheme,
            QuantizationParametersPrimitive {
                scales: qparams.scales,
            },
        )
    }

    fn q_matmul(lhs: TensorPrimitive<Self>, rhs: TensorPrimitive<Self>) -> TensorPrimitive<Self> {
        super::Rebrand::rebrand(B::q_matmul(super::unbrand(lhs), super::unbrand(rhs)))
    }

    forward_q_tensor_ops!();
}

/// `tr_execute` is not forwarded: `TransactionPrimitive`'s read order is private, so it cannot
/// be rebranded. Burn's default body reads each tensor through the forwarded `*_into_data`
/// ops: the same data, without `B`'s batching of reads.
impl<B: Inner> TransactionOps<Self> for Ditto<B> {
    forward_transaction_ops!();
}
