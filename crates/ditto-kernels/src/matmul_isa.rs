//! Which kernel matrixmultiply (burn-ndarray's f32 matmul, so run-to-run mode's on the CPU)
//! runs in this process, as far as it can be known.
//!
//! matrixmultiply 0.3.11 (`src/sgemm_kernel.rs`, `detect`) picks its kernel at run time, in
//! this order: AVX-512F (only when its `avx512` cargo feature is compiled in), FMA with AVX2,
//! AVX, then a portable fallback (SSE2 on x86_64). `MMTEST_FEATURE`, read when it is
//! compiled, allows only the named features. Two things cannot be read back at run time:
//! whether the `avx512` feature is on (Cargo unifies features over the whole build, so a
//! crate elsewhere in a user's project can turn it on), and matrixmultiply's own
//! `MMTEST_FEATURE` (this crate reads the variable when it is compiled, which in one `cargo`
//! invocation is the same value: rustc tracks `option_env!`, so a change rebuilds both).
//! The kernels differ in bits only by fusing the multiply-add or not, so a two-element
//! product is run and its bits say which: AVX-512F and FMA+AVX2 both fuse (and give the same
//! bits: one FMA chain per output over `k`), AVX and the fallback both round the product
//! first.

use std::fmt;

use burn::tensor::{Tensor, TensorData};

/// Class: not applicable (a record of this process). The matrixmultiply kernel in effect:
/// the kernels the selection rule allows on this CPU (more than one only when the choice
/// depends on what cannot be known here) and whether a probe saw a fused multiply-add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatmulIsa {
    /// The kernels matrixmultiply's selection rule may pick here, in its order of
    /// preference: `avx512f`, `fma-avx2`, `avx`, `fallback` (SSE2 on x86_64), `neon`.
    pub candidates: Vec<&'static str>,
    /// What the probe saw: `Some(true)` a fused multiply-add, `Some(false)` a rounded
    /// product, `None` a result that is neither (not matrixmultiply's arithmetic).
    pub fused: Option<bool>,
    /// `MMTEST_FEATURE` when this crate was compiled, if set.
    pub mmtest_feature: Option<&'static str>,
}

impl MatmulIsa {
    /// Class: not applicable (reads the CPU and runs a 1x2 by 2x1 product on NdArray).
    /// The kernel matrixmultiply runs in this process (see the module's docs).
    pub fn detect() -> Self {
        let mmtest_feature = option_env!("MMTEST_FEATURE").filter(|s| !s.is_empty());
        let fused = probe_fused();
        let candidates = candidates(mmtest_feature, &cpu_has)
            .into_iter()
            .filter(|k| fused.is_none_or(|f| fuses(k) == f))
            .collect();
        Self {
            candidates,
            fused,
            mmtest_feature,
        }
    }

    /// Class: not applicable. The kernel, when exactly one is consistent with the CPU, the
    /// build and the probe.
    pub fn kernel(&self) -> Option<&'static str> {
        match self.candidates.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// What provenance records: the kernel (`fma-avx2`), or the candidates joined by ` or `
/// (`avx512f or fma-avx2`: the same bits), or `unknown` with the reason.
impl fmt::Display for MatmulIsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.candidates.is_empty() {
            let saw = match self.fused {
                Some(true) => "a fused multiply-add",
                Some(false) => "a rounded product",
                None => "neither a fused multiply-add nor a rounded product",
            };
            write!(f, "unknown (the probe saw {saw}")?;
            return match self.mmtest_feature {
                Some(m) => write!(f, ", MMTEST_FEATURE={m})"),
                None => write!(f, ")"),
            };
        }
        f.write_str(&self.candidates.join(" or "))?;
        if let Some(m) = self.mmtest_feature {
            write!(f, " (MMTEST_FEATURE={m})")?;
        }
        Ok(())
    }
}

/// Whether kernel `k` fuses its multiply-adds.
fn fuses(k: &str) -> bool {
    matches!(k, "avx512f" | "fma-avx2" | "neon")
}

/// matrixmultiply 0.3.11's selection (`sgemm_kernel::detect`) with `allow_feature`: the
/// kernels it may pick given `mmtest` and the CPU's features (`has`), best first. AVX-512F
/// only as a candidate beside the next one: its cargo feature cannot be seen.
fn candidates(mmtest: Option<&str>, has: &dyn Fn(&str) -> bool) -> Vec<&'static str> {
    let allowed = |f: &str| mmtest.is_none_or(|m| m.split(',').any(|x| x == f));
    let ok = |f: &str| allowed(f) && has(f);
    let mut out = Vec::new();
    if cfg!(target_arch = "x86_64") || cfg!(target_arch = "x86") {
        if ok("avx512f") {
            out.push("avx512f");
        }
        out.push(if ok("fma") && ok("avx2") {
            "fma-avx2"
        } else if ok("avx") {
            "avx"
        } else {
            "fallback"
        });
    } else if cfg!(target_arch = "aarch64") && ok("neon") {
        out.push("neon");
    } else {
        out.push("fallback");
    }
    out
}

/// Whether this CPU has feature `f` (the names matrixmultiply asks about).
fn cpu_has(f: &str) -> bool {
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    {
        match f {
            "avx512f" => std::arch::is_x86_feature_detected!("avx512f"),
            "fma" => std::arch::is_x86_feature_detected!("fma"),
            "avx2" => std::arch::is_x86_feature_detected!("avx2"),
            "avx" => std::arch::is_x86_feature_detected!("avx"),
            _ => false,
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        f == "neon" && std::arch::is_aarch64_feature_detected!("neon")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64")))]
    {
        let _ = f;
        false
    }
}

/// `[-1, x] . [1, x]` with `x = 1 + 2^-12` on NdArray: the kernel's chain is
/// `-1 + x * x` with `x * x = 1 + 2^-11 + 2^-24`. Fused, that is `2^-11 + 2^-24` exactly;
/// with the product rounded first (a tie, to even: `1 + 2^-11`) it is `2^-11`.
fn probe_fused() -> Option<bool> {
    let x = 1.0f32 + f32::EPSILON * 2048.0; // 1 + 2^-12 (EPSILON is 2^-23)
    let device = Default::default();
    let a = Tensor::<burn_ndarray::NdArray, 2>::from_data(
        TensorData::new(vec![-1.0f32, x], [1, 2]),
        &device,
    );
    let b = Tensor::<burn_ndarray::NdArray, 2>::from_data(
        TensorData::new(vec![1.0f32, x], [2, 1]),
        &device,
    );
    let got = a.matmul(b).into_data().into_vec::<f32>().ok()?;
    let fused = 2.0f32.powi(-11) + 2.0f32.powi(-24);
    let rounded = 2.0f32.powi(-11);
    match got.as_slice() {
        [v] if v.to_bits() == fused.to_bits() => Some(true),
        [v] if v.to_bits() == rounded.to_bits() => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_rule_follows_matrixmultiply() {
        if !cfg!(target_arch = "x86_64") {
            return;
        }
        let all = |_: &str| true;
        assert_eq!(candidates(None, &all), ["avx512f", "fma-avx2"]);
        let no512 = |f: &str| f != "avx512f";
        assert_eq!(candidates(None, &no512), ["fma-avx2"]);
        let avx_only = |f: &str| f == "avx";
        assert_eq!(candidates(None, &avx_only), ["avx"]);
        assert_eq!(candidates(None, &|_: &str| false), ["fallback"]);
        // MMTEST_FEATURE=sse2 (CI's restricted build) allows none of the named features.
        assert_eq!(candidates(Some("sse2"), &all), ["fallback"]);
        assert_eq!(candidates(Some("avx"), &all), ["avx"]);
        assert_eq!(candidates(Some("fma,avx2"), &all), ["fma-avx2"]);
    }

    /// The probe agrees with the selection rule on this machine: the kernel in effect is
    /// witnessed, not assumed (in CI's SSE2 build the fallback's rounded product).
    #[test]
    fn the_probe_agrees_with_the_rule() {
        let m = MatmulIsa::detect();
        assert!(m.fused.is_some(), "{m}");
        assert!(
            !m.candidates.is_empty(),
            "{m}: the probe contradicts the rule"
        );
        assert!(!m.to_string().starts_with("unknown"), "{m}");
        if m.mmtest_feature == Some("sse2") {
            assert_eq!(m.kernel(), Some("fallback"), "{m}");
        }
    }

    #[test]
    fn the_probe_inputs_are_what_the_comment_says() {
        let x = 1.0f32 + f32::EPSILON * 2048.0;
        assert_eq!(x.to_bits(), 1.0f32.to_bits() + (1 << 11));
        assert_eq!(x.mul_add(x, -1.0), 2.0f32.powi(-11) + 2.0f32.powi(-24));
        assert_eq!(x * x - 1.0, 2.0f32.powi(-11));
    }
}
