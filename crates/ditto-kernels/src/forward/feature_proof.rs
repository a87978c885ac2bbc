//! The `FloatTensorOps` that `Ditto<B>` takes from `crate::ops::feature_proof` where a Cargo
//! feature of `B` could change their bits (`Inner::FEATURE_PROOF`: burn-ndarray's `simd`), in
//! both modes; forwarded to `B` elsewhere (with strict mode's canonical-mode check for
//! `clamp`, exact on CPUs only). Expanded inside `float.rs`'s impl.

/// The methods; `B` is the impl's inner backend.
macro_rules! feature_proof_float_ops {
    () => {
        fn float_clamp_min(tensor: FloatTensor<Self>, min: Scalar) -> FloatTensor<Self> {
            traced!("float_clamp_min", [tensor F] F, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::clamp_min::<B>(tensor, min)
            } else {
                $crate::forward::feature_proof::exact_on_cpu::<B>(&tensor, "float_clamp_min");
                B::float_clamp_min(tensor, min)
            })
        }

        fn float_clamp_max(tensor: FloatTensor<Self>, max: Scalar) -> FloatTensor<Self> {
            traced!("float_clamp_max", [tensor F] F, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::clamp_max::<B>(tensor, max)
            } else {
                $crate::forward::feature_proof::exact_on_cpu::<B>(&tensor, "float_clamp_max");
                B::float_clamp_max(tensor, max)
            })
        }

        fn float_clamp(tensor: FloatTensor<Self>, min: Scalar, max: Scalar) -> FloatTensor<Self> {
            traced!("float_clamp", [tensor F] F, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::clamp::<B>(tensor, min, max)
            } else {
                $crate::forward::feature_proof::exact_on_cpu::<B>(&tensor, "float_clamp");
                B::float_clamp(tensor, min, max)
            })
        }

        fn float_equal(
            lhs: FloatTensor<Self>,
            rhs: FloatTensor<Self>,
            out_dtype: BoolDType,
        ) -> BoolTensor<Self> {
            traced!("float_equal", [lhs F, rhs F] Bo, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::equal::<B>(lhs, rhs, out_dtype)
            } else {
                B::float_equal(lhs, rhs, out_dtype)
            })
        }

        fn float_not_equal(
            lhs: FloatTensor<Self>,
            rhs: FloatTensor<Self>,
            out_dtype: BoolDType,
        ) -> BoolTensor<Self> {
            traced!("float_not_equal", [lhs F, rhs F] Bo, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::not_equal::<B>(lhs, rhs, out_dtype)
            } else {
                B::float_not_equal(lhs, rhs, out_dtype)
            })
        }

        fn float_equal_elem(
            lhs: FloatTensor<Self>,
            rhs: Scalar,
            out_dtype: BoolDType,
        ) -> BoolTensor<Self> {
            traced!("float_equal_elem", [lhs F] Bo, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::equal_elem::<B>(lhs, rhs, out_dtype)
            } else {
                B::float_equal_elem(lhs, rhs, out_dtype)
            })
        }

        fn float_not_equal_elem(
            lhs: FloatTensor<Self>,
            rhs: Scalar,
            out_dtype: BoolDType,
        ) -> BoolTensor<Self> {
            traced!("float_not_equal_elem", [lhs F] Bo, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::not_equal_elem::<B>(lhs, rhs, out_dtype)
            } else {
                B::float_not_equal_elem(lhs, rhs, out_dtype)
            })
        }

        fn float_is_nan(tensor: FloatTensor<Self>, out_dtype: BoolDType) -> BoolTensor<Self> {
            traced!("float_is_nan", [tensor F] Bo, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::is_nan::<B>(tensor, out_dtype)
            } else {
                B::float_is_nan(tensor, out_dtype)
            })
        }

        fn float_is_inf(tensor: FloatTensor<Self>, out_dtype: BoolDType) -> BoolTensor<Self> {
            traced!("float_is_inf", [tensor F] Bo, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::is_inf::<B>(tensor, out_dtype)
            } else {
                B::float_is_inf(tensor, out_dtype)
            })
        }

        fn float_any(tensor: FloatTensor<Self>, out_dtype: BoolDType) -> BoolTensor<Self> {
            traced!("float_any", [tensor F] Bo, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::any::<B>(tensor, None, out_dtype)
            } else {
                B::float_any(tensor, out_dtype)
            })
        }

        fn float_any_dim(
            tensor: FloatTensor<Self>,
            dim: usize,
            out_dtype: BoolDType,
        ) -> BoolTensor<Self> {
            traced!("float_any_dim", [tensor F] Bo, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::any::<B>(tensor, Some(dim), out_dtype)
            } else {
                B::float_any_dim(tensor, dim, out_dtype)
            })
        }

        fn float_all(tensor: FloatTensor<Self>, out_dtype: BoolDType) -> BoolTensor<Self> {
            traced!("float_all", [tensor F] Bo, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::all::<B>(tensor, None, out_dtype)
            } else {
                B::float_all(tensor, out_dtype)
            })
        }

        fn float_all_dim(
            tensor: FloatTensor<Self>,
            dim: usize,
            out_dtype: BoolDType,
        ) -> BoolTensor<Self> {
            traced!("float_all_dim", [tensor F] Bo, if B::FEATURE_PROOF {
                $crate::ops::feature_proof::all::<B>(tensor, Some(dim), out_dtype)
            } else {
                B::float_all_dim(tensor, dim, out_dtype)
            })
        }
    };
}
pub(crate) use feature_proof_float_ops;

use burn_backend::tensor::FloatTensor;

use crate::audit::CanonicalClass;
use crate::backend::Ditto;
use crate::inner::Inner;

/// Strict mode's canonical-mode check of a forwarded op that is exact on CPUs only (what the
/// generated forwarding does for it).
pub(crate) fn exact_on_cpu<B: Inner>(t: &FloatTensor<Ditto<B>>, op: &'static str) {
    crate::strict::check_canonical::<B>(&B::float_device(t), op, CanonicalClass::ExactOnCpu);
}
