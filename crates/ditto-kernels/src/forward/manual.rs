//! The int, bool, quantized and transaction op-trait impls of `Ditto<B>`: the generated
//! forwarding plus the few ops written by hand (random ints, and the ones whose arguments are
//! branded structs). Float, module and activation ops are in `float.rs`, `module.rs` and
//! `activation.rs`.

#[allow(unused_imports)]
use burn_backend::ops::{
    AttentionModuleOptions, ConvOptions, ConvTransposeOptions, DeformConv2dBackward,
    DeformConvOptions, FloatTensorOps as _, GridSampleOptions, InterpolateOptions,
    MaxPool1dBackward, MaxPool1dWithIndices, MaxPool2dBackward, MaxPool2dWithIndices, PadMode,
    UnfoldOptions,
};
use burn_backend::ops::{BoolTensorOps, IntTensorOps, QTensorOps, TransactionOps};
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

use super::ops::*;
use super::{forward, traced};
use crate::backend::Ditto;
use crate::inner::Inner;

impl<B: Inner> IntTensorOps<Self> for Ditto<B> {
    fn int_random(
        shape: Shape,
        distribution: Distribution,
        device: &Device<Self>,
        dtype: IntDType,
    ) -> IntTensor<Self> {
        traced!("int_random", [] I, {
            crate::ops::random::int_random::<B>(shape, distribution, device, dtype)
        })
    }

    forward_int_tensor_ops!();
}

impl<B: Inner> BoolTensorOps<Self> for Ditto<B> {
    forward_bool_tensor_ops!();
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
