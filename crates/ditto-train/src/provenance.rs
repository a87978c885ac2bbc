//! What produced a result: versions, toolchain, machine, backend.

use serde::{Deserialize, Serialize};

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
    /// `git rev-parse HEAD` of the working directory, when it is a git checkout.
    pub git_commit: Option<String>,
    /// The instruction set ditto's canonical kernels ran on (`scalar`, `avx2-fma`,
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
    pub fn collect(backend: &str, device: &str) -> Self {
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
            git_commit: git_commit(),
            kernel_isa: Some(ditto_kernels::canonical::Isa::active().name().to_owned()),
            matmul_isa: Some(ditto_kernels::MatmulIsa::detect().to_string()),
        }
    }
}

fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
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
