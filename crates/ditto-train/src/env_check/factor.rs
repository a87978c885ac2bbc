//! The factors of a run's environment that a check compares, each with its name and its
//! value in a record.

use serde::{Deserialize, Serialize};

use crate::config::{BackendKind, ParallelConfig};
use crate::env_check::facts::Environment;

/// Class: not applicable (a classification). One factor of a run's environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Factor {
    /// Threads available (`RAYON_NUM_THREADS` or the cores).
    Threads,
    /// Data-loader workers.
    Workers,
    /// `[parallel]` peers x micro-batches per peer.
    Parallel,
    /// The CPU features detected (AVX2, FMA, AVX-512, ...).
    CpuFeatures,
    /// The instruction set ditto's own kernels ran on (`DITTO_SIMD`), where recorded.
    KernelIsa,
    /// The instruction set matrixmultiply's kernels ran on, where recorded.
    MatmulIsa,
    /// The CPU's vendor and model.
    CpuModel,
    /// The target triple (architecture, OS, C library).
    Target,
    /// The OS and its version.
    Os,
    /// The kernel's release.
    Kernel,
    /// Burn's version.
    BurnVersion,
    /// ditto's version.
    DittoVersion,
    /// The canonical specification's version.
    CanonicalSpec,
    /// The compiler.
    Rustc,
    /// The build's `Cargo.lock`.
    CargoLock,
    /// The backend and device.
    Backend,
    /// The GPU adapter (model).
    Gpu,
    /// The GPU's driver and graphics API.
    GpuDriver,
    /// The program's executable (its BLAKE3).
    Program,
    /// The project's source: name, version, git commit and uncommitted changes.
    ProjectSource,
}

impl Factor {
    /// Class: not applicable. Every factor, in the order a check lists them.
    pub const ALL: [Factor; 20] = [
        Factor::Threads,
        Factor::Workers,
        Factor::Parallel,
        Factor::KernelIsa,
        Factor::MatmulIsa,
        Factor::CpuFeatures,
        Factor::CpuModel,
        Factor::Target,
        Factor::Os,
        Factor::Kernel,
        Factor::BurnVersion,
        Factor::DittoVersion,
        Factor::CanonicalSpec,
        Factor::Rustc,
        Factor::CargoLock,
        Factor::Backend,
        Factor::Gpu,
        Factor::GpuDriver,
        Factor::Program,
        Factor::ProjectSource,
    ];

    /// Class: not applicable. The factor's name as a check prints it.
    pub fn name(self) -> &'static str {
        match self {
            Factor::Threads => "threads",
            Factor::Workers => "loader workers",
            Factor::Parallel => "peers x accumulate",
            Factor::CpuFeatures => "CPU features",
            Factor::KernelIsa => "ditto kernels' SIMD level",
            Factor::MatmulIsa => "matmul SIMD level",
            Factor::CpuModel => "CPU model",
            Factor::Target => "target",
            Factor::Os => "OS",
            Factor::Kernel => "kernel release",
            Factor::BurnVersion => "Burn version",
            Factor::DittoVersion => "ditto version",
            Factor::CanonicalSpec => "canonical spec version",
            Factor::Rustc => "rustc",
            Factor::CargoLock => "Cargo.lock",
            Factor::Backend => "backend",
            Factor::Gpu => "GPU",
            Factor::GpuDriver => "GPU driver",
            Factor::Program => "program executable",
            Factor::ProjectSource => "project source",
        }
    }

    /// Class: not applicable. The factor's value in `env` as text, `None` where not
    /// recorded. Factors that only matter when known on both sides ([`Factor::Program`],
    /// [`Factor::ProjectSource`]) are compared only then (see [`Factor::needs_both`]).
    pub fn value(self, env: &Environment) -> Option<String> {
        let f = &env.facts;
        match self {
            Factor::Threads => f.threads.map(|t| t.to_string()),
            Factor::Workers => Some(env.workers.to_string()),
            Factor::Parallel => Some(parallel(env.parallel)),
            Factor::CpuFeatures => f.cpu_features.as_ref().map(|v| {
                if v.is_empty() {
                    "(none of those ditto lists)".to_owned()
                } else {
                    v.join(" ")
                }
            }),
            Factor::KernelIsa => f.kernel_isa.as_ref().map(|s| s.0.clone()),
            Factor::MatmulIsa => f.matmul_isa.as_ref().map(|s| s.0.clone()),
            Factor::CpuModel => match (&f.cpu_vendor, &f.cpu_model) {
                (None, None) => None,
                (v, m) => Some(format!(
                    "{} {}",
                    v.as_deref().unwrap_or("(vendor unknown)"),
                    m.as_deref().unwrap_or("(model unknown)")
                )),
            },
            Factor::Target => f.target.clone(),
            Factor::Os => match (&f.os, &f.os_version) {
                (None, None) => None,
                (o, v) => Some(format!(
                    "{}{}",
                    o.as_deref().unwrap_or("?"),
                    v.as_ref().map_or(String::new(), |v| format!(" ({v})"))
                )),
            },
            Factor::Kernel => f.kernel_release.clone(),
            Factor::BurnVersion => f.burn_version.clone(),
            Factor::DittoVersion => f.ditto_version.clone(),
            Factor::CanonicalSpec => f.canonical_spec_version.map(|v| v.to_string()),
            Factor::Rustc => f.rustc_version.clone(),
            Factor::CargoLock => f.cargo_lock_blake3.clone(),
            Factor::Backend => Some(match &f.device {
                Some(d) => format!("{} ({d})", env.backend.name()),
                None => env.backend.name().to_owned(),
            }),
            Factor::Gpu => gpu(env, |g| {
                format!(
                    "{} ({}, vendor {} device {})",
                    g.name, g.device_type, g.vendor_id, g.device_id
                )
            }),
            Factor::GpuDriver => gpu(env, |g| {
                format!("{} {} ({})", g.driver, g.driver_info, g.api)
                    .trim()
                    .to_owned()
            }),
            Factor::Program => f.program.as_ref().and_then(|p| p.exe_blake3.clone()),
            Factor::ProjectSource => f.project.as_ref().map(|p| {
                let commit = f.git_commit.as_deref().unwrap_or("no git commit");
                let dirty = match f.git_dirty {
                    Some(true) => " + uncommitted changes",
                    _ => "",
                };
                format!("{} {} at {commit}{dirty}", p.name, p.version)
            }),
        }
    }

    /// Class: not applicable. Whether the factor is compared only when both sides record it
    /// (the program: a check made by another program, such as `ditto env --check` on a
    /// library run, does not know the run's program).
    pub fn needs_both(self) -> bool {
        matches!(self, Factor::Program | Factor::ProjectSource)
    }
}

/// A GPU adapter's value: `show(adapter)`; on the CPU backend, where no GPU computes, `none`
/// (a value, so that a Wgpu run continued on the CPU shows the change); `None` when a Wgpu
/// run's adapter was not recorded or could not be read.
fn gpu(env: &Environment, show: impl Fn(&ditto_kernels::GpuAdapter) -> String) -> Option<String> {
    match (&env.facts.gpu, env.backend) {
        (Some(g), _) => Some(show(g)),
        (None, BackendKind::Ndarray) => Some("none (the CPU backend)".to_owned()),
        (None, BackendKind::Wgpu) => None,
    }
}

fn parallel(p: ParallelConfig) -> String {
    format!("{} x {}", p.peers, p.accumulate)
}
