//! `FloatTensorOps` of `Ditto<B>`: the overrides (random, full reductions, canonical mode,
//! the ops a backend feature could change: `feature_proof.rs`), then the generated forwarding.

#[allow(unused_imports)]
use burn_backend::ops::{FloatTensorOps, GridSampleOptions};
#[allow(unused_imports)]
use burn_backend::tensor::{BoolTensor, Device, FloatTensor, IntTensor};
#[allow(unused_imports)]
use burn_backend::{Distribution, ExecutionError, Scalar, TensorData, TensorMetadata};
#[allow(unused_imports)]
use burn_std::{BoolDType, DType, FloatDType, IntDType, Shape, Slice};
#[allow(unused_imports)]
use core::ops::Range;

use super::feature_proof::feature_proof_float_ops;
use super::ops::*;
use super::{forward, traced};
use crate::backend::Ditto;
use crate::canonical::{elementwise as ew, math};
use crate::inner::Inner;
use crate::ops::canonical::{self, active};
use crate::ops::feature_proof as proof;

impl<B: Inner> FloatTensorOps<Self> for Ditto<B> {
    fn float_random(
        shape: Shape,
        distribution: Distribution,
        device: &Device<Self>,
        dtype: FloatDType,
    ) -> FloatTensor<Self> {
        traced!("float_random", [] F, {
            crate::ops::random::float_random::<B>(shape, distribution, device, dtype)
        })
    }

    fn float_into_data(
        tensor: FloatTensor<Self>,
    ) -> impl Future<Output = Result<TensorData, ExecutionError>> + Send {
        crate::audit::record("float_into_data");
        let token = crate::trace::begin::<B>("float_into_data", false, |v| {
            v.push(crate::trace::float::<B>(&tensor))
        });
        // On NdArray one memcpy (`Inner::host_f32`), where burn-ndarray copies an array that
        // autodiff or a module also holds element by element: the trainer reads every
        // parameter back after each traced step.
        let direct = B::host_f32(&tensor).map(|v| TensorData::new(v, tensor.shape().to_vec()));
        crate::trace::end(token, |_| {});
        async move {
            match direct {
                Some(data) => Ok(data),
                None => B::float_into_data(tensor).await,
            }
        }
    }

    fn float_sum(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_sum", [tensor F] F, if active::<B>(&tensor) {
            canonical::sum::<B>(tensor)
        } else {
            crate::ops::reduce::sum::<B>(tensor)
        })
    }

    fn float_mean(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_mean", [tensor F] F, if active::<B>(&tensor) {
            canonical::mean::<B>(tensor)
        } else {
            crate::ops::reduce::mean::<B>(tensor)
        })
    }

    fn float_matmul(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_matmul", [lhs F, rhs F] F, if canonical::fast_active::<B>(&lhs) {
            canonical::matmul::<B>(lhs, rhs)
        } else {
            B::float_matmul(lhs, rhs)
        })
    }

    fn float_sum_dim(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        traced!("float_sum_dim", [tensor F] F, if active::<B>(&tensor) {
            canonical::reduce_dim::<B>(tensor, dim, false)
        } else {
            crate::ops::reduce::sum_dim::<B>(tensor, dim, false)
        })
    }

    fn float_mean_dim(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        traced!("float_mean_dim", [tensor F] F, if active::<B>(&tensor) {
            canonical::reduce_dim::<B>(tensor, dim, true)
        } else {
            crate::ops::reduce::sum_dim::<B>(tensor, dim, true)
        })
    }

    fn float_exp(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_exp", [tensor F] F, if active::<B>(&tensor) {
            canonical::map::<B>(tensor, math::exp_slice)
        } else {
            B::float_exp(tensor)
        })
    }

    fn float_log(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_log", [tensor F] F, if active::<B>(&tensor) {
            canonical::map::<B>(tensor, math::ln_slice)
        } else {
            B::float_log(tensor)
        })
    }

    fn float_tanh(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_tanh", [tensor F] F, if canonical::fast_active::<B>(&tensor) {
            canonical::map::<B>(tensor, math::tanh_slice)
        } else {
            B::float_tanh(tensor)
        })
    }

    fn float_erf(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_erf", [tensor F] F, if canonical::fast_active::<B>(&tensor) {
            canonical::map::<B>(tensor, math::erf_slice)
        } else {
            B::float_erf(tensor)
        })
    }

    fn float_powf(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_powf", [lhs F, rhs F] F, if active::<B>(&lhs) {
            canonical::binary::<B>(lhs, rhs, math::powf)
        } else {
            B::float_powf(lhs, rhs)
        })
    }

    fn float_powf_scalar(tensor: FloatTensor<Self>, value: Scalar) -> FloatTensor<Self> {
        traced!("float_powf_scalar", [tensor F] F, if active::<B>(&tensor) {
            // Integer exponents are integer powers (Burn's rule), canonical too.
            match value.try_as_integer() {
                Some(n) => powi_scalar::<B>(tensor, n.elem::<i64>()),
                None => canonical::powf_scalar::<B>(tensor, value),
            }
        } else if B::FEATURE_PROOF && let Some(n) = value.try_as_integer() {
            // Burn's default: integer exponents go to `powi_scalar` (above).
            proof::powi_negative::<B>(tensor, n.elem::<i64>())
                .unwrap_or_else(|tensor| B::float_powf_scalar(tensor, value))
        } else {
            B::float_powf_scalar(tensor, value)
        })
    }

    fn float_powf_scalar_impl(tensor: FloatTensor<Self>, value: Scalar) -> FloatTensor<Self> {
        traced!("float_powf_scalar_impl", [tensor F] F, if active::<B>(&tensor) {
            canonical::powf_scalar::<B>(tensor, value)
        } else {
            B::float_powf_scalar_impl(tensor, value)
        })
    }

    fn float_powi(lhs: FloatTensor<Self>, rhs: IntTensor<Self>) -> FloatTensor<Self> {
        traced!("float_powi", [lhs F, rhs I] F, if active::<B>(&lhs) {
            canonical::powi::<B>(lhs, rhs)
        } else {
            B::float_powi(lhs, rhs)
        })
    }

    fn float_powi_scalar(lhs: FloatTensor<Self>, rhs: Scalar) -> FloatTensor<Self> {
        traced!("float_powi_scalar", [lhs F] F, if active::<B>(&lhs) {
            powi_scalar::<B>(lhs, rhs.elem::<i64>())
        } else if B::FEATURE_PROOF {
            // Burn's default: `recip` for -1 and -2, which `simd` would make approximate.
            proof::powi_negative::<B>(lhs, rhs.elem::<i64>())
                .unwrap_or_else(|lhs| B::float_powi_scalar(lhs, rhs))
        } else {
            B::float_powi_scalar(lhs, rhs)
        })
    }

    fn float_powi_scalar_impl(lhs: FloatTensor<Self>, rhs: Scalar) -> FloatTensor<Self> {
        traced!("float_powi_scalar_impl", [lhs F] F, if active::<B>(&lhs) {
            canonical::powi_scalar::<B>(lhs, rhs.elem::<i64>())
        } else {
            B::float_powi_scalar_impl(lhs, rhs)
        })
    }

    fn float_div(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_div", [lhs F, rhs F] F, if active::<B>(&lhs) {
            canonical::binary::<B>(lhs, rhs, ew::div)
        } else {
            B::float_div(lhs, rhs)
        })
    }

    fn float_div_scalar(lhs: FloatTensor<Self>, rhs: Scalar) -> FloatTensor<Self> {
        traced!("float_div_scalar", [lhs F] F, if active::<B>(&lhs) {
            match canonical::power_of_two_recip(rhs) {
                Some(r) => B::float_mul_scalar(lhs, Scalar::from(r)),
                None => canonical::with_scalar::<B>(lhs, rhs, ew::div),
            }
        } else {
            B::float_div_scalar(lhs, rhs)
        })
    }

    fn float_remainder(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_remainder", [lhs F, rhs F] F, if active::<B>(&lhs) {
            canonical::binary::<B>(lhs, rhs, ew::remainder)
        } else {
            B::float_remainder(lhs, rhs)
        })
    }

    fn float_remainder_scalar(lhs: FloatTensor<Self>, rhs: Scalar) -> FloatTensor<Self> {
        traced!("float_remainder_scalar", [lhs F] F, if active::<B>(&lhs) {
            canonical::with_scalar::<B>(lhs, rhs, ew::remainder)
        } else {
            B::float_remainder_scalar(lhs, rhs)
        })
    }

    fn float_recip(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_recip", [tensor F] F, if active::<B>(&tensor) {
            canonical::map_each::<B>(tensor, ew::recip)
        } else if B::FEATURE_PROOF {
            proof::recip::<B>(tensor)
        } else {
            B::float_recip(tensor)
        })
    }

    fn float_sign(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_sign", [tensor F] F, if active::<B>(&tensor) {
            canonical::map_each::<B>(tensor, ew::sign)
        } else {
            B::float_sign(tensor)
        })
    }

    fn float_sqrt(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_sqrt", [tensor F] F, if active::<B>(&tensor) {
            canonical::map_each::<B>(tensor, ew::sqrt)
        } else {
            B::float_sqrt(tensor)
        })
    }

    fn float_log1p(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_log1p", [tensor F] F, if active::<B>(&tensor) {
            canonical::map_each::<B>(tensor, ew::log1p)
        } else {
            B::float_log1p(tensor)
        })
    }

    fn float_prod(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_prod", [tensor F] F, if active::<B>(&tensor) {
            canonical::prod::<B>(tensor, None)
        } else {
            B::float_prod(tensor)
        })
    }

    fn float_prod_dim(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        traced!("float_prod_dim", [tensor F] F, if active::<B>(&tensor) {
            canonical::prod::<B>(tensor, Some(dim))
        } else {
            B::float_prod_dim(tensor, dim)
        })
    }

    fn float_cumsum(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        traced!("float_cumsum", [tensor F] F, if active::<B>(&tensor) {
            canonical::cumsum::<B>(tensor, dim)
        } else {
            B::float_cumsum(tensor, dim)
        })
    }

    fn float_max(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_max", [tensor F] F, if active::<B>(&tensor) {
            canonical::extreme::<B>(tensor, true)
        } else {
            B::float_max(tensor)
        })
    }

    fn float_min(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_min", [tensor F] F, if active::<B>(&tensor) {
            canonical::extreme::<B>(tensor, false)
        } else {
            B::float_min(tensor)
        })
    }

    fn float_max_dim(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        traced!("float_max_dim", [tensor F] F, if active::<B>(&tensor) {
            canonical::extreme_dim::<B>(tensor, dim, true, None).0
        } else {
            B::float_max_dim(tensor, dim)
        })
    }

    fn float_min_dim(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        traced!("float_min_dim", [tensor F] F, if active::<B>(&tensor) {
            canonical::extreme_dim::<B>(tensor, dim, false, None).0
        } else {
            B::float_min_dim(tensor, dim)
        })
    }

    fn float_max_dim_with_indices(
        tensor: FloatTensor<Self>,
        dim: usize,
        indices_dtype: IntDType,
    ) -> (FloatTensor<Self>, IntTensor<Self>) {
        traced!("float_max_dim_with_indices", [tensor F] FI, if active::<B>(&tensor) {
            let (v, i) = canonical::extreme_dim::<B>(tensor, dim, true, Some(indices_dtype));
            (v, i.expect("indices asked for"))
        } else {
            B::float_max_dim_with_indices(tensor, dim, indices_dtype)
        })
    }

    fn float_min_dim_with_indices(
        tensor: FloatTensor<Self>,
        dim: usize,
        indices_dtype: IntDType,
    ) -> (FloatTensor<Self>, IntTensor<Self>) {
        traced!("float_min_dim_with_indices", [tensor F] FI, if active::<B>(&tensor) {
            let (v, i) = canonical::extreme_dim::<B>(tensor, dim, false, Some(indices_dtype));
            (v, i.expect("indices asked for"))
        } else {
            B::float_min_dim_with_indices(tensor, dim, indices_dtype)
        })
    }

    fn float_argmax(tensor: FloatTensor<Self>, dim: usize, out_dtype: IntDType) -> IntTensor<Self> {
        traced!("float_argmax", [tensor F] I, if active::<B>(&tensor) {
            canonical::arg::<B>(tensor, dim, true, out_dtype)
        } else {
            B::float_argmax(tensor, dim, out_dtype)
        })
    }

    fn float_argmin(tensor: FloatTensor<Self>, dim: usize, out_dtype: IntDType) -> IntTensor<Self> {
        traced!("float_argmin", [tensor F] I, if active::<B>(&tensor) {
            canonical::arg::<B>(tensor, dim, false, out_dtype)
        } else {
            B::float_argmin(tensor, dim, out_dtype)
        })
    }

    fn float_max_abs(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("float_max_abs", [tensor F] F, if active::<B>(&tensor) {
            canonical::extreme::<B>(B::float_abs(tensor), true)
        } else {
            B::float_max_abs(tensor)
        })
    }

    fn float_max_abs_dim(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        traced!("float_max_abs_dim", [tensor F] F, if active::<B>(&tensor) {
            canonical::extreme_dim::<B>(B::float_abs(tensor), dim, true, None).0
        } else {
            B::float_max_abs_dim(tensor, dim)
        })
    }

    fn float_select_add(
        tensor: FloatTensor<Self>,
        dim: usize,
        indices: IntTensor<Self>,
        value: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        traced!("float_select_add", [tensor F, indices I, value F] F, if active::<B>(&tensor) {
            canonical::select_add::<B>(tensor, dim, indices, value)
        } else {
            B::float_select_add(tensor, dim, indices, value)
        })
    }

    fn float_scatter_add(
        dim: usize,
        tensor: FloatTensor<Self>,
        indices: IntTensor<Self>,
        value: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        traced!("float_scatter_add", [tensor F, indices I, value F] F, if active::<B>(&tensor) {
            if canonical::scatter_add_ok::<B>(dim, &tensor, &value) {
                canonical::scatter_add::<B>(dim, tensor, indices, value)
            } else {
                let device = B::float_device(&tensor);
                crate::strict::check_canonical::<B>(
                    &device,
                    "float_scatter_add",
                    crate::CanonicalClass::Forwarded,
                );
                B::float_scatter_add(dim, tensor, indices, value)
            }
        } else {
            B::float_scatter_add(dim, tensor, indices, value)
        })
    }

    feature_proof_float_ops!();

    forward_float_tensor_ops!();
}

/// `x^n` in canonical mode: `n` in {0, 1, 2} as Burn's default (ones, `x`, `x * x` on the
/// device: exact), any other `n` the canonical `powi` on the host.
fn powi_scalar<B: Inner>(x: FloatTensor<Ditto<B>>, n: i64) -> FloatTensor<Ditto<B>> {
    match n {
        0 => B::float_ones(x.shape(), &B::float_device(&x), x.dtype().into()),
        1 => x,
        2 => B::float_mul(x.clone(), x),
        _ => canonical::powi_scalar::<B>(x, n),
    }
}
