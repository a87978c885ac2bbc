//! The element-wise ops whose bits a Cargo feature of the inner backend can change, computed
//! so that it cannot (`Inner::FEATURE_PROOF`; burn-ndarray's `simd` feature, which a user's
//! `burn` dependency with default features turns on in ditto's build too).
//!
//! With `simd`, burn-ndarray (0.21, `src/ops/base.rs`, tensors of 32 elements and more) takes
//! `recip` from macerator's approximate reciprocal (`1/3` comes out as `0.33333206` with
//! AVX-512's `rcp14ps`; AVX2's `rcpps` is coarser), `clamp` from `maxps`/`minps`
//! (`clamp_min(-0.0, 0.0)` gives `+0.0`, and NaN is clamped), and `equal` on AVX2 from an
//! unordered comparison (`NaN == NaN` is true); Burn's default bodies of `not_equal`,
//! `is_nan`, `is_inf`, `any` and `all` call that `equal`. Each function here gives the bits of
//! burn-ndarray without the feature (its scalar code), built from ops the feature leaves
//! exact: division, ordered comparisons, masks, and host passes.

use burn_backend::tensor::BoolTensor;
use burn_backend::{Scalar, TensorMetadata};
use burn_std::BoolDType;

use super::canonical::host_map;
use crate::backend::Ditto;
use crate::inner::Inner;

type F<B> = <B as burn_backend::BackendTypes>::FloatTensorPrimitive;
type Bool<B> = BoolTensor<Ditto<B>>;

/// `1 / x` per element (burn-ndarray's scalar `recip`): one host pass where the tensor is in
/// host memory, else an IEEE division of ones by `x`.
pub(crate) fn recip<B: Inner>(x: F<B>) -> F<B> {
    if let Some(y) = host_map::<B>(&x, |v| 1.0 / v) {
        return y;
    }
    let ones = B::float_ones(x.shape(), &B::float_device(&x), x.dtype().into());
    B::float_div(ones, x)
}

/// `x^n` for `n` of -1 or -2 as Burn's default `powi_scalar` computes it (`recip(x)`,
/// `recip(x * x)`); `x` back for other `n`, which that default computes without `recip`.
pub(crate) fn powi_negative<B: Inner>(x: F<B>, n: i64) -> Result<F<B>, F<B>> {
    match n {
        -1 => Ok(recip::<B>(x)),
        -2 => Ok(recip::<B>(B::float_mul(x.clone(), x))),
        _ => Err(x),
    }
}

/// `x < min ? min : x` (burn-ndarray's scalar `clamp_min`: `-0.0` and NaN stay).
pub(crate) fn clamp_min<B: Inner>(x: F<B>, min: Scalar) -> F<B> {
    let m = min.elem::<f32>();
    if let Some(y) = host_map::<B>(&x, |v| if v < m { m } else { v }) {
        return y;
    }
    let below = B::float_lower_elem(x.clone(), min, bool_dtype::<B>(&x));
    B::float_mask_fill(x, below, min)
}

/// `x > max ? max : x` (burn-ndarray's scalar `clamp_max`).
pub(crate) fn clamp_max<B: Inner>(x: F<B>, max: Scalar) -> F<B> {
    let m = max.elem::<f32>();
    if let Some(y) = host_map::<B>(&x, |v| if v > m { m } else { v }) {
        return y;
    }
    let above = B::float_greater_elem(x.clone(), max, bool_dtype::<B>(&x));
    B::float_mask_fill(x, above, max)
}

/// `x < min ? min : (x > max ? max : x)` (burn-ndarray's scalar `clamp`).
pub(crate) fn clamp<B: Inner>(x: F<B>, min: Scalar, max: Scalar) -> F<B> {
    let (lo, hi) = (min.elem::<f32>(), max.elem::<f32>());
    let f = |v: f32| {
        if v < lo {
            lo
        } else if v > hi {
            hi
        } else {
            v
        }
    };
    if let Some(y) = host_map::<B>(&x, f) {
        return y;
    }
    let dtype = bool_dtype::<B>(&x);
    let below = B::float_lower_elem(x.clone(), min, dtype);
    let above = B::float_greater_elem(x.clone(), max, dtype);
    B::float_mask_fill(B::float_mask_fill(x, above, max), below, min)
}

/// `a == b` as `a >= b && a <= b`: ordered comparisons, so NaN equals nothing and `-0.0`
/// equals `+0.0`, as IEEE `==` (and burn-ndarray's scalar `equal`) say.
pub(crate) fn equal<B: Inner>(a: F<B>, b: F<B>, dtype: BoolDType) -> Bool<B> {
    let ge = B::float_greater_equal(a.clone(), b.clone(), dtype);
    B::bool_and(ge, B::float_lower_equal(a, b, dtype))
}

/// `a == s` for a scalar `s`, as [`equal`].
pub(crate) fn equal_elem<B: Inner>(a: F<B>, s: Scalar, dtype: BoolDType) -> Bool<B> {
    let ge = B::float_greater_equal_elem(a.clone(), s, dtype);
    B::bool_and(ge, B::float_lower_equal_elem(a, s, dtype))
}

/// `!(a == b)` (Burn's default `not_equal`).
pub(crate) fn not_equal<B: Inner>(a: F<B>, b: F<B>, dtype: BoolDType) -> Bool<B> {
    B::bool_not(equal::<B>(a, b, dtype))
}

/// `!(a == s)` (Burn's default `not_equal_elem`).
pub(crate) fn not_equal_elem<B: Inner>(a: F<B>, s: Scalar, dtype: BoolDType) -> Bool<B> {
    B::bool_not(equal_elem::<B>(a, s, dtype))
}

/// `x != x` (Burn's default `is_nan`).
pub(crate) fn is_nan<B: Inner>(x: F<B>, dtype: BoolDType) -> Bool<B> {
    not_equal::<B>(x.clone(), x, dtype)
}

/// `|x| == inf` (Burn's default `is_inf`).
pub(crate) fn is_inf<B: Inner>(x: F<B>, dtype: BoolDType) -> Bool<B> {
    equal_elem::<B>(B::float_abs(x), f64::INFINITY.into(), dtype)
}

/// Burn's default `any` (`dim` `None`) and `any_dim`: the count of non-zero elements is
/// positive.
pub(crate) fn any<B: Inner>(x: F<B>, dim: Option<usize>, dtype: BoolDType) -> Bool<B> {
    let count = nonzero_count::<B>(x, dim, dtype);
    B::float_greater_elem(count, 0f32.into(), dtype)
}

/// Burn's default `all` (`dim` `None`) and `all_dim`: the count of non-zero elements is the
/// element count.
pub(crate) fn all<B: Inner>(x: F<B>, dim: Option<usize>, dtype: BoolDType) -> Bool<B> {
    let n = match dim {
        None => x.shape().num_elements(),
        Some(d) => x.shape()[d],
    };
    let count = nonzero_count::<B>(x, dim, dtype);
    equal_elem::<B>(count, (n as f32).into(), dtype)
}

/// The number of non-zero elements (in `x`'s float dtype), in all of `x` or along `dim`, as
/// Burn's defaults count them.
fn nonzero_count<B: Inner>(x: F<B>, dim: Option<usize>, dtype: BoolDType) -> F<B> {
    let float_dtype = x.dtype();
    let nonzero = B::bool_not(equal_elem::<B>(x, 0f32.into(), dtype));
    let ones = B::bool_into_float(nonzero, float_dtype.into());
    match dim {
        None => B::float_sum(ones),
        Some(d) => B::float_sum_dim(ones, d),
    }
}

fn bool_dtype<B: Inner>(t: &F<B>) -> BoolDType {
    burn_backend::get_device_settings::<B>(&B::float_device(t)).bool_dtype
}
