//! What each mode promises when one factor of the environment changes: the table of
//! REPRODUCIBILITY.md ("What each mode promises when the environment changes"), as code.
//! Every reason names the mechanism, so a verdict says why.

use serde::{Deserialize, Serialize};

use crate::config::{BackendKind, ParallelConfig};
use crate::env_check::factor::Factor;
use crate::env_check::facts::Environment;
use crate::model_record::ModelOrigin;

/// Class: not applicable. Whether a mode owes a run's bits across a difference, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "promise", content = "why", rename_all = "kebab-case")]
pub enum Promise {
    /// The mode promises the same bits across this difference.
    Owed(String),
    /// The mode does not promise the same bits across this difference: they may change.
    NotOwed(String),
}

impl Promise {
    /// Class: not applicable. Whether the same bits are owed.
    pub fn is_owed(&self) -> bool {
        matches!(self, Promise::Owed(_))
    }

    /// Class: not applicable. The reason.
    pub fn why(&self) -> &str {
        match self {
            Promise::Owed(w) | Promise::NotOwed(w) => w,
        }
    }
}

/// What the rules need to know about the run besides the two values.
pub(crate) struct RuleCx<'a> {
    pub(crate) run: &'a Environment,
    pub(crate) here: &'a Environment,
    pub(crate) origin: Option<ModelOrigin>,
}

/// (canonical, run-to-run) for a difference in `factor`. Mode `off` promises nothing and is
/// judged by the caller.
pub(crate) fn judge(factor: Factor, cx: &RuleCx<'_>) -> (Promise, Promise) {
    use Promise::{NotOwed, Owed};
    let on_ndarray =
        cx.run.backend == BackendKind::Ndarray && cx.here.backend == BackendKind::Ndarray;
    let one_machine_type = || {
        NotOwed(
            "run-to-run mode promises the same bits on the same machine type only \
             (REPRODUCIBILITY.md)"
                .to_owned(),
        )
    };
    let cpu_kernels = || {
        if on_ndarray {
            NotOwed(
                "burn-ndarray's matmuls (small `linear` layers) run matrixmultiply, which picks \
                 its kernel by the CPU's instruction set, and those kernels sum in different \
                 orders; other machine types are not promised"
                    .to_owned(),
            )
        } else {
            one_machine_type()
        }
    };
    let canonical_any_cpu = || {
        Owed(
            "canonical kernels fix the order of every float operation, and their SIMD paths \
             give the scalar path's bits on every CPU"
                .to_owned(),
        )
    };
    let software_stack = |what: &str| {
        NotOwed(format!(
            "run-to-run mode promises the same bits with the same software stack only: {what}"
        ))
    };
    match factor {
        Factor::Threads => (
            Owed(
                "canonical kernels fix the order of every operation whatever the thread count"
                    .into(),
            ),
            Owed(
                "run-to-run kernels' reduction order is fixed by the backend, not by threads"
                    .into(),
            ),
        ),
        Factor::Workers => {
            let why = "batches are a pure function of seed, epoch and position; workers only \
                       build them";
            (Owed(why.into()), Owed(why.into()))
        }
        Factor::Parallel => (
            Owed(
                "every reduction over the batch continues in sample order from one micro-batch \
                 to the next, so any cut gives 1 x 1's bits"
                    .into(),
            ),
            parallel_in_run_to_run(cx.run.parallel, cx.here.parallel),
        ),
        Factor::KernelIsa => {
            let why = "ditto's own kernels give the canonical bits at every SIMD level (and run-to-run \
                       mode takes only canonical kernels from ditto)";
            (Owed(why.into()), Owed(why.into()))
        }
        Factor::MatmulIsa => (
            Owed("canonical mode never calls matrixmultiply".into()),
            if on_ndarray {
                NotOwed(
                    "burn-ndarray's small `linear` layers run matrixmultiply, whose kernels for \
                     each instruction set sum in different orders"
                        .into(),
                )
            } else {
                Owed("Wgpu does not use matrixmultiply".into())
            },
        ),
        Factor::CpuFeatures | Factor::CpuModel => (canonical_any_cpu(), cpu_kernels()),
        Factor::Target => (
            Owed(
                "canonical bits are the same on every CPU architecture, OS and pointer width"
                    .into(),
            ),
            cpu_kernels(),
        ),
        Factor::Os => (
            Owed(
                "canonical kernels call no library of the OS (their transcendental functions \
                 are ditto's; the fused multiply-add is hardware FMA or a correctly rounded \
                 `fmaf`, as CANONICAL.md requires)"
                    .into(),
            ),
            software_stack("burn-ndarray's element-wise functions call the platform's libm"),
        ),
        Factor::Kernel => {
            let why = "the OS kernel performs none of the run's arithmetic (a GPU driver is \
                       compared on its own)";
            (Owed(why.into()), Owed(why.into()))
        }
        Factor::BurnVersion => {
            let why = "another Burn may compose ops differently (autodiff's backward formulas, \
                       modules, optimisers): golden values may move with it, in a minor ditto \
                       release";
            (NotOwed(why.into()), NotOwed(why.into()))
        }
        Factor::DittoVersion => {
            let (a, b) = (
                cx.run.facts.ditto_version.as_deref(),
                cx.here.facts.ditto_version.as_deref(),
            );
            match (a.and_then(compat_key), b.and_then(compat_key)) {
                (Some(x), Some(y)) if x == y => (
                    Owed(
                        "golden values never change in a patch release (REPRODUCIBILITY.md)".into(),
                    ),
                    software_stack("another ditto release may take other kernels"),
                ),
                _ => {
                    let why = "golden values may change between minor releases (each change is \
                               a Reproducibility-breaking CHANGELOG entry)";
                    (NotOwed(why.into()), NotOwed(why.into()))
                }
            }
        }
        Factor::CanonicalSpec => (
            NotOwed(
                "the canonical specification's version changes exactly when a canonical \
                 kernel's bits change"
                    .into(),
            ),
            NotOwed(
                "run-to-run mode runs canonical kernels for several ops too (and for every \
                 micro-batch)"
                    .into(),
            ),
        ),
        Factor::Rustc => (
            Owed(
                "Rust never reorders or contracts float operations, and ditto's SIMD paths are \
                 explicit intrinsics"
                    .into(),
            ),
            software_stack("the compiler is part of it"),
        ),
        Factor::CargoLock => (
            Owed(
                "portable results depend on ditto's version, which pins what feeds them, not on \
                 the rest of the lockfile"
                    .into(),
            ),
            software_stack("run-to-run results depend on the pinned dependency versions"),
        ),
        Factor::Backend => (
            Owed(
                "canonical mode gives the same bits on every backend whose device passes the \
                 conformance probe, which a canonical run checks before its first step"
                    .into(),
            ),
            NotOwed("run-to-run mode promises nothing across backends".into()),
        ),
        Factor::Gpu | Factor::GpuDriver => (
            Owed(
                "a canonical run on a GPU first checks the device with the conformance probe \
                 and refuses a device that gives other bits"
                    .into(),
            ),
            if cx.run.backend == BackendKind::Wgpu || cx.here.backend == BackendKind::Wgpu {
                NotOwed(
                    "run-to-run mode promises the same bits on the same GPU model and driver \
                     only"
                        .into(),
                )
            } else {
                Owed("the run computes on the CPU; the GPU is not used".into())
            },
        ),
        Factor::Program => match cx.origin {
            Some(ModelOrigin::Program) | None => {
                let why = "the run's model, data and objective are its program's code: another \
                           build of it may train something else, which ditto cannot tell";
                (NotOwed(why.into()), NotOwed(why.into()))
            }
            Some(ModelOrigin::Config) => (
                Owed(
                    "ditto builds this model from the config, and no Cargo feature or build \
                     setting changes canonical bits"
                        .into(),
                ),
                NotOwed(
                    "another build may select other kernels (e.g. matrixmultiply restricted to \
                     SSE2 when it was compiled)"
                        .into(),
                ),
            ),
        },
        Factor::ProjectSource => match cx.origin {
            Some(ModelOrigin::Program) | None => {
                let why = "the program's source differs (commit or uncommitted changes): its \
                           model, data or objective may differ";
                (NotOwed(why.into()), NotOwed(why.into()))
            }
            Some(ModelOrigin::Config) => (
                Owed(
                    "ditto builds this model from the config; a change of ditto's code that \
                     changes canonical bits raises the canonical spec version"
                        .into(),
                ),
                software_stack("ditto's code differs and may take other kernels"),
            ),
        },
    }
}

/// Run-to-run mode and `[parallel]`: a batch cut into micro-batches runs the canonical
/// kernels, so any two cuts agree, and no cut agrees with `1 x 1`.
fn parallel_in_run_to_run(a: ParallelConfig, b: ParallelConfig) -> Promise {
    if a.is_single() == b.is_single() {
        Promise::Owed(
            "both cut the batch into micro-batches, which run the canonical kernels in either \
             mode, so every cut gives the same bits"
                .into(),
        )
    } else {
        Promise::NotOwed(
            "in run-to-run mode a batch cut into micro-batches runs the canonical kernels, \
             whose bits differ from run-to-run's 1 x 1"
                .into(),
        )
    }
}

/// The part of a version that a release may not change golden values within: `0.x` (major
/// and minor) before 1.0, the major from 1.0 on. `None` for text that is not a version.
pub(crate) fn compat_key(version: &str) -> Option<(u64, u64)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next()??;
    Some(if major == 0 { (0, minor) } else { (major, 0) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatible_versions_share_a_key() {
        assert_eq!(compat_key("0.1.0"), compat_key("0.1.7"));
        assert_ne!(compat_key("0.1.0"), compat_key("0.2.0"));
        assert_eq!(compat_key("1.2.0"), compat_key("1.9.3-rc.1"));
        assert_ne!(compat_key("1.2.0"), compat_key("2.0.0"));
        assert_eq!(compat_key("unknown"), None);
        assert_eq!(compat_key("1"), None);
    }
}
