//! The build check: which Cargo features of Burn are on in this build, and whether ditto's
//! guarantees survive them.
//!
//! Cargo unifies features: a crate that depends on `burn` with its default features turns on
//! burn-ndarray's `simd`, burn-cubecl's `autotune` and Burn's `fusion` in ditto's build too,
//! although ditto asks for none of them. [`build_check`] finds out which are on, and refuses
//! the ones ditto cannot neutralise. `Trainer::fit` (ditto-train) calls it first.
//!
//! | feature | what it changes | under `Ditto<B>` |
//! |---|---|---|
//! | burn-ndarray `simd` | approximate `recip`, `clamp` of `-0.0` and NaN, `NaN == NaN`, its own conv2d and pooling kernels | neutralised: ditto computes those ops itself (`Inner::FEATURE_PROOF`); seen by a probe and reported |
//! | burn-cubecl `autotune` | kernels picked by timing: bits change between runs | refused ([`FeatureError`]) |
//! | Burn `fusion` | `burn::backend::Wgpu` becomes `Fusion<..>`, fused kernels ditto has not audited | does not compile (`Inner` is not implemented for it; the compiler names the feature); a wrapper around it is refused by type name |

use std::fmt;

use burn::tensor::TensorData;

use crate::inner::{BackendKind, Inner};

/// How to turn Burn's default features off, for the messages.
const TURN_OFF: &str = "depend on Burn without its default features and name the ones you \
     use, in every crate of your build that depends on `burn` (or on burn-ndarray, burn-wgpu): \
     `burn = { version = \"=0.21.0\", default-features = false, features = [\"std\", \
     \"ndarray\", \"wgpu\", \"autodiff\"] }`";

/// Class: not applicable (a classification). A Cargo feature of Burn that changes what a
/// backend computes, found on by [`build_check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BurnFeature {
    /// burn-ndarray's `simd`: approximate `recip`, other `clamp` and `equal` results, its own
    /// conv2d and pooling kernels. `Ditto<NdArray>` computes those ops itself, so it changes
    /// no bit there.
    NdArraySimd,
    /// burn-cubecl's `autotune`: Wgpu kernels (matmul, convolutions, reductions) picked by
    /// timing on each machine and run, so bits change between runs. Refused.
    Autotune,
    /// Burn's `fusion`: the backend is a `Fusion<..>`, whose fused kernels ditto has not
    /// audited. Refused (and `Ditto<Fusion<..>>` does not compile).
    Fusion,
}

impl BurnFeature {
    /// Class: not applicable. The feature as Cargo names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::NdArraySimd => "burn-ndarray/simd",
            Self::Autotune => "burn-cubecl/autotune",
            Self::Fusion => "burn/fusion",
        }
    }

    /// The command that shows which dependency turns it on.
    fn who(self) -> &'static str {
        match self {
            Self::NdArraySimd => "`cargo tree -e features -i burn-ndarray`",
            Self::Autotune => "`cargo tree -e features -i burn-cubecl`",
            Self::Fusion => "`cargo tree -e features -i burn-fusion`",
        }
    }
}

impl fmt::Display for BurnFeature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Class: not applicable (a report). What [`build_check`] found: the features on in this
/// build that `Ditto<B>` neutralises, and what the probes saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildReport {
    backend: &'static str,
    neutralised: Vec<(BurnFeature, String)>,
}

impl BuildReport {
    /// Class: not applicable. The inner backend's type name.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Class: not applicable. The features that are on and that `Ditto<B>` neutralises
    /// (its own code for every op they change), with what the probe saw.
    pub fn neutralised(&self) -> impl Iterator<Item = (BurnFeature, &str)> {
        self.neutralised.iter().map(|(f, s)| (*f, s.as_str()))
    }

    /// Class: not applicable. Whether the build has none of the features ditto checks for.
    pub fn is_clean(&self) -> bool {
        self.neutralised.is_empty()
    }
}

impl fmt::Display for BuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.neutralised.is_empty() {
            return write!(f, "{}: none of Burn's simd, autotune, fusion", self.backend);
        }
        for (i, (feature, seen)) in self.neutralised.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "{feature} is on ({seen}): `Ditto<{}>` computes every op it changes itself, so \
                 it changes no bit (it costs burn-ndarray's SIMD speed on those ops; to turn it \
                 off, {TURN_OFF}; {} shows who turns it on)",
                self.backend,
                feature.who()
            )?;
        }
        Ok(())
    }
}

/// Class: not applicable (an error value). [`build_check`]'s refusal: a feature of Burn is
/// on in this build that changes bits under `Ditto<B>`. Its `Display` text names the feature
/// and says how to turn it off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureError {
    feature: BurnFeature,
    backend: &'static str,
}

impl FeatureError {
    /// Class: not applicable. The feature that is on.
    pub fn feature(&self) -> BurnFeature {
        self.feature
    }

    /// Class: not applicable. The inner backend's type name.
    pub fn backend(&self) -> &'static str {
        self.backend
    }
}

impl fmt::Display for FeatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.feature {
            BurnFeature::Autotune => {
                "it picks Wgpu kernels by timing them on this machine, so the bits of a run \
                 depend on the timings"
            }
            BurnFeature::Fusion => "its fused kernels are not audited by ditto",
            BurnFeature::NdArraySimd => "it changes burn-ndarray's bits",
        };
        write!(
            f,
            "ditto refuses `Ditto<{}>`: Burn's feature `{}` is on in this build ({what}). \
             Cargo unifies features across a build, so a dependency on `burn` with its default \
             features turns it on for ditto too ({} shows which). To turn it off, {TURN_OFF}",
            self.backend,
            self.feature.name(),
            self.feature.who(),
        )
    }
}

impl std::error::Error for FeatureError {}

/// Class: not applicable (a check of the build). Finds which of Burn's `simd`, `autotune` and
/// `fusion` features are on for the inner backend `I` in this build, and refuses the ones
/// that would change bits under `Ditto<I>`: burn-cubecl's `autotune` (Wgpu) and a `Fusion`
/// backend (found by type name; `Ditto<Fusion<..>>` itself does not compile). burn-ndarray's
/// `simd` is neutralised (`Inner::FEATURE_PROOF`) and reported.
///
/// No device is touched on Wgpu (the features are read from the compiled code). On NdArray
/// a probe runs three tiny ops on the CPU: `recip` of 64 threes (approximate with `simd`),
/// `clamp_min(-0.0, 0.0)` (`+0.0` with `simd`) and `NaN == NaN` (true with `simd`); it can
/// only see the feature where macerator has SIMD code for the CPU (x86-64, aarch64, ...), which
/// is also where the feature changes anything.
///
/// Errors: [`FeatureError`] naming the feature and how to turn it off.
pub fn build_check<I: Inner>() -> Result<BuildReport, FeatureError> {
    let backend = std::any::type_name::<I>();
    let refuse = |feature| Err(FeatureError { feature, backend });
    if backend.contains("burn_fusion::") {
        return refuse(BurnFeature::Fusion);
    }
    if I::KIND == BackendKind::Wgpu && cubecl_autotune() {
        return refuse(BurnFeature::Autotune);
    }
    let mut neutralised = Vec::new();
    if I::KIND == BackendKind::NdArray
        && let Some(seen) = ndarray_simd_probe::<I>()
    {
        if !I::FEATURE_PROOF {
            return refuse(BurnFeature::NdArraySimd);
        }
        neutralised.push((BurnFeature::NdArraySimd, seen));
    }
    Ok(BuildReport {
        backend,
        neutralised,
    })
}

/// Whether burn-cubecl was built with `autotune`: its default matmul strategy is then
/// `Autotune` (a variant that exists only with the feature) instead of `Cube`.
fn cubecl_autotune() -> bool {
    #[cfg(feature = "wgpu")]
    {
        use burn_cubecl::kernel::matmul::MatmulStrategy;
        !matches!(MatmulStrategy::default(), MatmulStrategy::Cube)
    }
    #[cfg(not(feature = "wgpu"))]
    false
}

/// What the three probes of burn-ndarray's `simd` saw on `I` itself (not through ditto), or
/// `None` when each gave the bits of burn-ndarray's scalar code.
fn ndarray_simd_probe<I: Inner>() -> Option<String> {
    const N: usize = 64; // burn-ndarray takes its SIMD path from 32 elements on
    let device = I::Device::default();
    let tensor = |v: f32| I::float_from_data(TensorData::new(vec![v; N], [N]), &device);
    let read = |t: I::FloatTensorPrimitive| -> Vec<f32> {
        I::host_f32(&t).unwrap_or_else(|| {
            let data = burn::tensor::try_read_sync(I::float_into_data(t))
                .and_then(Result::ok)
                .map(|d| d.convert::<f32>());
            data.and_then(|d| d.into_vec::<f32>().ok())
                .unwrap_or_default()
        })
    };
    let mut seen = Vec::new();
    let third = read(I::float_recip(tensor(3.0)));
    if let Some(v) = third
        .iter()
        .find(|v| v.to_bits() != (1.0f32 / 3.0).to_bits())
    {
        seen.push(format!("recip(3.0) = {v:?}, not {:?}", 1.0f32 / 3.0));
    }
    let zero = read(I::float_clamp_min(tensor(-0.0), 0.0.into()));
    if let Some(v) = zero.iter().find(|v| v.to_bits() != (-0.0f32).to_bits()) {
        seen.push(format!("clamp_min(-0.0, 0.0) = {v:?}, not -0.0"));
    }
    let nan = tensor(f32::NAN);
    let bool_dtype = burn_backend::get_device_settings::<I>(&device).bool_dtype;
    let eq = I::float_equal(nan.clone(), nan, bool_dtype);
    let n_true = burn::tensor::try_read_sync(I::bool_into_data(eq))
        .and_then(Result::ok)
        .and_then(|d| d.into_vec::<bool>().ok())
        .map_or(0, |v| v.iter().filter(|b| **b).count());
    if n_true > 0 {
        seen.push("NaN == NaN is true".to_owned());
    }
    (!seen.is_empty()).then(|| seen.join(", "))
}
