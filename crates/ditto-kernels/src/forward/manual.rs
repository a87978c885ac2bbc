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
use crate::inner::Inner;

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
        crate::ops::reduce::sum::<B>(tensor)
    }

    fn float_mean(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::audit::record("float_mean");
        crate::ops::reduce::mean::<B>(tensor)
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

    forward_module_ops!();
}

impl<B: Inner> ActivationOps<Self> for Ditto<B> {
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
