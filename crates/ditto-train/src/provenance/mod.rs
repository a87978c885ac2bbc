//! What produced a result: versions, toolchain, machine, backend, and the caller's project.
//! `host.rs` reads the machine, `project.rs` the caller's build and its git checkout.

mod host;
mod project;

use std::path::Path;

use ditto_kernels::GpuAdapter;
use serde::{Deserialize, Serialize};

pub(crate) use host::hostname;
pub use project::{BuildInfo, Project};

/// Class: not applicable (a record). The provenance stored in every checkpoint and manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// ditto's version.
    pub ditto_version: String,
    /// The Burn version ditto is pinned to.
    pub burn_version: String,
    /// `rustc -V` of the compiler that built ditto.
    pub rustc_version: String,
    /// The target triple.
    pub target: String,
    /// CPU features detected at run time that change kernel selection.
    pub cpu_features: Vec<String>,
    /// Operating system (`std::env::consts::OS`).
    pub os: String,
    /// Backend name (e.g. `ditto<ndarray>`), as reported by Burn.
    pub backend: String,
    /// Device name.
    pub device: String,
    /// Threads available to the run (`RAYON_NUM_THREADS` or the core count).
    pub threads: usize,
    /// BLAKE3 of the `Cargo.lock` that pinned the build (the workspace that was built: your
    /// project's when ditto is a dependency), read at build time; `unavailable` when none was
    /// found (see `cargo_lock_path`).
    pub cargo_lock_blake3: String,
    /// Which `Cargo.lock` `cargo_lock_blake3` hashes: the build's workspace lockfile (the
    /// target directory's parent), `DITTO_CARGO_LOCK` when set at build time, or ditto's
    /// own checkout's. Absent in records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cargo_lock_path: Option<String>,
    /// `HEAD`'s commit of the git checkout holding the project's source ([`Provenance::project`]),
    /// when there is one; `None` when no project was named, or its source is not a git
    /// checkout, or git is not installed. (Records written before the project was kept hold
    /// the working directory's commit here.)
    pub git_commit: Option<String>,
    /// Whether a tracked file of that checkout differed from `git_commit` when the run
    /// started (`git status --porcelain --untracked-files=no`); `None` when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_dirty: Option<bool>,
    /// The project whose program trained: the caller's crate as [`crate::build_info!`]
    /// captured it at its build (given to [`crate::Trainer::program_info`]; the `ditto`
    /// binary names its own). `None` when the program named none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<Project>,
    /// The CPU's vendor (`/proc/cpuinfo`'s `vendor_id`, e.g. `GenuineIntel`), when the OS
    /// says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_vendor: Option<String>,
    /// The CPU's model (`/proc/cpuinfo`'s `model name`), when the OS says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_model: Option<String>,
    /// The OS's name and version (`/etc/os-release`'s `PRETTY_NAME`), when readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// The kernel's release (`uname -r`), when readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_release: Option<String>,
    /// The canonical specification's version the kernels implement
    /// (`ditto_kernels::CANONICAL_SPEC_VERSION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_spec_version: Option<u32>,
    /// The GPU adapter of a Wgpu run (`ditto_kernels::Inner::adapter`): name, ids, type,
    /// driver, graphics API; `None` for the CPU backend or when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuAdapter>,
    /// The instruction set ditto's canonical kernels ran on (`scalar`, `neon`, `avx2-fma`,
    /// `avx512`: `ditto_kernels::canonical::Isa::active`, which `DITTO_SIMD` caps); their bits
    /// do not depend on it. Absent in records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_isa: Option<String>,
    /// The kernel matrixmultiply (burn-ndarray's matmul: run-to-run mode on the CPU) ran,
    /// as far as it can be known (`ditto_kernels::MatmulIsa`): `fma-avx2`, `avx`,
    /// `fallback`, ..., or `avx512f or fma-avx2` where matrixmultiply's `avx512` cargo feature
    /// decides (it cannot be seen at run time; the two give the same bits). Witnessed by a
    /// probe of its multiply-add. Absent in records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matmul_isa: Option<String>,
}

/// Class: not applicable (data). The Burn version ditto is built against.
pub const BURN_VERSION: &str = "0.21.0";

impl Provenance {
    /// Class: not applicable (reads the environment). Provenance of this process for
    /// `backend` on `device`.
    /// Nothing of the caller's project is recorded (see [`Provenance::with_project`]) and no
    /// GPU adapter (see [`Provenance::with_gpu`]).
    pub fn collect(backend: &str, device: &str) -> Self {
        let cpu = host::cpu();
        Self {
            ditto_version: env!("CARGO_PKG_VERSION").into(),
            burn_version: BURN_VERSION.into(),
            rustc_version: env!("DITTO_RUSTC_VERSION").into(),
            target: env!("DITTO_TARGET").into(),
            cpu_features: cpu_features(),
            os: std::env::consts::OS.into(),
            backend: backend.into(),
            device: device.into(),
            threads: threads(),
            cargo_lock_blake3: env!("DITTO_CARGO_LOCK_BLAKE3").into(),
            cargo_lock_path: Some(env!("DITTO_CARGO_LOCK_PATH"))
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
            git_commit: None,
            git_dirty: None,
            project: None,
            cpu_vendor: cpu.vendor,
            cpu_model: cpu.model,
            os_version: host::os_version(),
            kernel_release: host::kernel_release(),
            canonical_spec_version: Some(ditto_kernels::CANONICAL_SPEC_VERSION),
            gpu: None,
            kernel_isa: Some(ditto_kernels::canonical::Isa::active().name().to_owned()),
            matmul_isa: Some(ditto_kernels::MatmulIsa::detect().to_string()),
        }
    }

    /// Class: not applicable (reads the project's git checkout). The same provenance with
    /// the caller's project (`None`: none named): its name, version and source directory, and
    /// the git commit and dirty flag of the checkout holding that directory (`None` when it
    /// is not a git checkout or git is not installed).
    pub fn with_project(mut self, project: Option<&BuildInfo>) -> Self {
        self.project = project.map(Project::of);
        let git = project.and_then(|p| project::git_state(Path::new(p.manifest_dir)));
        self.git_commit = git.as_ref().map(|g| g.commit.clone());
        self.git_dirty = git.and_then(|g| g.dirty);
        self
    }

    /// Class: not applicable. The same provenance with the run's GPU adapter.
    pub fn with_gpu(mut self, gpu: Option<GpuAdapter>) -> Self {
        self.gpu = gpu;
        self
    }
}

fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

#[allow(clippy::vec_init_then_push)]
fn cpu_features() -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        for (name, on) in [
            ("sse4.2", std::is_x86_feature_detected!("sse4.2")),
            ("avx", std::is_x86_feature_detected!("avx")),
            ("avx2", std::is_x86_feature_detected!("avx2")),
            ("fma", std::is_x86_feature_detected!("fma")),
            ("avx512f", std::is_x86_feature_detected!("avx512f")),
        ] {
            if on {
                v.push(name.into());
            }
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            v.push("neon".into());
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    /// A manifest as ditto wrote it before the machine, project and GPU were recorded
    /// (FORMAT.md's provenance, with the manifest's own fields).
    const OLD: &str = r#"{"ditto_version":"0.1.0","burn_version":"0.21.0",
        "rustc_version":"rustc 1.95.0 (59807616e 2026-04-14)","target":"x86_64-unknown-linux-gnu",
        "cpu_features":["avx2","fma"],"os":"linux","backend":"ditto<ndarray>","device":"Cpu",
        "threads":2,"cargo_lock_blake3":"ab","git_commit":"0123",
        "run_id":"00112233445566778899aabbccddeeff","program":null}"#;

    #[test]
    fn records_from_before_the_new_fields_still_load() {
        let m: Manifest = serde_json::from_str(OLD).unwrap();
        let p = &m.provenance;
        assert_eq!(p.git_commit.as_deref(), Some("0123"));
        assert_eq!((p.git_dirty, &p.project, &p.gpu), (None, &None, &None));
        assert_eq!((&p.cpu_model, p.canonical_spec_version), (&None, None));
        // Written back, an old record gains no field it did not have.
        let back = serde_json::to_value(&m).unwrap();
        let old: serde_json::Value = serde_json::from_str(OLD).unwrap();
        assert_eq!(back, old);
    }

    #[test]
    fn a_named_project_records_its_checkout() {
        let info = crate::build_info!();
        let p = Provenance::collect("ditto<ndarray>", "Cpu").with_project(Some(&info));
        let project = p.project.as_ref().unwrap();
        assert_eq!(project.name, "ditto-train");
        // This crate is built from a git checkout in development; from a packaged source it
        // is not, and then nothing is claimed.
        let git = project::git_state(Path::new(info.manifest_dir));
        assert_eq!(p.git_commit, git.as_ref().map(|g| g.commit.clone()));
        assert_eq!(p.git_dirty, git.and_then(|g| g.dirty));
        let none = Provenance::collect("ditto<ndarray>", "Cpu").with_project(None);
        assert_eq!(
            (none.project, none.git_commit, none.git_dirty),
            (None, None, None)
        );
    }
}
