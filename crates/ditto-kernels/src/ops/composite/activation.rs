//! Activation ops composed on `Ditto<B>` (Burn 0.21's default bodies, called on `Self`).
//!
//! `relu` is Burn's default `mask_fill(x <= 0, +0.0)`, so `relu(-0.0) = +0.0` on every
//! backend (burn-ndarray's own `relu` keeps `-0.0`).

use burn_backend::ops::FloatTensorOps;
use burn_backend::{Scalar, TensorMetadata, get_device_settings};

use super::{F, softmax};
use crate::backend::Ditto;
use crate::inner::Inner;
use crate::ops::canonical::{host_map, host_zip};

type D<B> = Ditto<B>;

fn bool_dtype<B: Inner>(t: &F<B>) -> burn_std::BoolDType {
    get_device_settings::<D<B>>(&D::<B>::float_device(t)).bool_dtype
}

/// `x <= 0 ? +0.0 : x` (NaN stays NaN). In host memory (NdArray) one pass on the host.
pub(crate) fn relu<B: Inner>(x: F<B>) -> F<B> {
    if let Some(y) = host_map::<B>(&x, |v| if v <= 0.0 { 0.0 } else { v }) {
        return y;
    }
    let mask = D::<B>::float_lower_equal_elem(x.clone(), 0f32.into(), bool_dtype::<B>(&x));
    D::<B>::float_mask_fill(x, mask, 0f32.into())
}

/// `output <= 0 ? +0.0 : grad`. In host memory (NdArray) one pass on the host.
pub(crate) fn relu_backward<B: Inner>(output: F<B>, grad: F<B>) -> F<B> {
    if let Some(g) = host_zip::<B>(&output, &grad, |o, g| if o <= 0.0 { 0.0 } else { g }) {
        return g;
    }
    let mask =
        D::<B>::float_lower_equal_elem(output.clone(), 0f32.into(), bool_dtype::<B>(&output));
    D::<B>::float_mask_fill(grad, mask, 0f32.into())
}

/// `x < 0 ? x * slope : x`.
pub(crate) fn leaky_relu<B: Inner>(x: F<B>, slope: Scalar) -> F<B> {
    let mask = D::<B>::float_lower_elem(x.clone(), 0f32.into(), bool_dtype::<B>(&x));
    let scaled = D::<B>::float_mul_scalar(x.clone(), slope);
    D::<B>::float_mask_where(x, mask, scaled)
}

/// `x < 0 ? x * alpha : x`.
pub(crate) fn prelu<B: Inner>(x: F<B>, alpha: F<B>) -> F<B> {
    let mask = D::<B>::float_lower_elem(x.clone(), 0f32.into(), bool_dtype::<B>(&x));
    let scaled = D::<B>::float_mul(x.clone(), alpha);
    D::<B>::float_mask_where(x, mask, scaled)
}

/// `clamp(x * alpha + beta, 0, 1)` (separate IEEE multiply and add).
pub(crate) fn hard_sigmoid<B: Inner>(x: F<B>, alpha: Scalar, beta: Scalar) -> F<B> {
    D::<B>::float_clamp(
        D::<B>::float_add_scalar(D::<B>::float_mul_scalar(x, alpha), beta),
        0.0.into(),
        1.0.into(),
    )
}

/// `s * (1 - s) * grad` with `s` the sigmoid output.
pub(crate) fn sigmoid_backward<B: Inner>(output: F<B>, grad: F<B>) -> F<B> {
    let v = D::<B>::float_mul(
        output.clone(),
        D::<B>::float_add_scalar(D::<B>::float_neg(output), 1.0.into()),
    );
    D::<B>::float_mul(v, grad)
}

/// `m = max(-x, 0)`; `-m - ln(exp(-m) + exp(-x - m))`.
pub(crate) fn log_sigmoid<B: Inner>(x: F<B>) -> F<B> {
    let neg = D::<B>::float_neg(x);
    let mask = D::<B>::float_lower_elem(neg.clone(), 0f32.into(), bool_dtype::<B>(&neg));
    let m = D::<B>::float_mask_fill(neg.clone(), mask, 0f32.into());
    let m_neg = D::<B>::float_neg(m.clone());
    let z = D::<B>::float_add(
        D::<B>::float_exp(m_neg.clone()),
        D::<B>::float_exp(D::<B>::float_sub(neg, m)),
    );
    D::<B>::float_sub(m_neg, D::<B>::float_log(z))
}

/// Burn's log-sigmoid gradient: `grad * (m' - sign * (1 - 1 / z))`.
pub(crate) fn log_sigmoid_backward<B: Inner>(x: F<B>, grad: F<B>) -> F<B> {
    let (shape, dtype, device) = (x.shape(), x.dtype(), D::<B>::float_device(&x));
    let neg = D::<B>::float_neg(x);
    let mask = D::<B>::float_lower_elem(neg.clone(), 0f32.into(), bool_dtype::<B>(&neg));
    let m = D::<B>::float_mask_fill(neg.clone(), mask.clone(), 0f32.into());
    let z = D::<B>::float_add(
        D::<B>::float_exp(D::<B>::float_neg(m.clone())),
        D::<B>::float_exp(D::<B>::float_sub(neg, m)),
    );
    let ones = D::<B>::float_ones(shape, &device, dtype.into());
    let m_derive = D::<B>::float_mask_fill(ones.clone(), mask.clone(), 0f32.into());
    let sign = D::<B>::float_mask_fill(ones.clone(), mask, (-1f32).into());
    D::<B>::float_mul(
        grad,
        D::<B>::float_sub(
            m_derive,
            D::<B>::float_mul(sign, D::<B>::float_sub(ones, D::<B>::float_recip(z))),
        ),
    )
}

/// `softmax(-x)`.
pub(crate) fn softmin<B: Inner>(x: F<B>, dim: usize) -> F<B> {
    softmax::<B>(D::<B>::float_neg(x), dim)
}
