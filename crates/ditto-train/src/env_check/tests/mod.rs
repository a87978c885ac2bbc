//! Verdicts for manifests edited one factor at a time, written out from the table in
//! REPRODUCIBILITY.md ("What each mode promises when the environment changes").

mod table;

use super::*;
use crate::config::{BackendKind, ParallelConfig, TrainConfig};

/// A manifest as a run on an AVX2 machine wrote it (recorded, then trimmed).
const MANIFEST: &str = r#"{
  "ditto_version": "0.1.0", "burn_version": "0.21.0",
  "rustc_version": "rustc 1.95.0 (59807616e 2026-04-14)", "target": "x86_64-unknown-linux-gnu",
  "cpu_features": ["sse4.2", "avx", "avx2", "fma"], "os": "linux",
  "backend": "autodiff<ditto<ndarray>>", "device": "Cpu", "threads": 2,
  "cargo_lock_blake3": "7a1f", "git_commit": "0123abcd", "git_dirty": false,
  "project": {"name": "ditto-cli", "version": "0.1.0", "dir": "/src/ditto/crates/ditto-cli"},
  "cpu_vendor": "AuthenticAMD", "cpu_model": "AMD EPYC", "os_version": "Debian GNU/Linux 12 (bookworm)",
  "kernel_release": "6.1.0-18-amd64", "canonical_spec_version": 1,
  "kernel_isa": "avx2", "matmul_isa": "avx2+fma",
  "run_id": "00112233445566778899aabbccddeeff",
  "program": {"exe": "/usr/bin/ditto", "exe_blake3": "e1", "args": ["ditto"], "cwd": "/"}
}"#;

fn env(edit: impl FnOnce(&mut serde_json::Value), backend: BackendKind) -> Environment {
    let mut v: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
    edit(&mut v);
    let facts = EnvFacts::parse(&v.to_string(), None).unwrap();
    let config = TrainConfig {
        backend,
        ..TrainConfig::default()
    };
    Environment::new(facts, &config)
}

fn base() -> Environment {
    env(|_| {}, BackendKind::Ndarray)
}

fn check(here: &Environment, mode: Mode) -> EnvCheck {
    EnvCheck::compare(&base(), here, mode, Some(ModelOrigin::Config))
}

fn factors(c: &EnvCheck) -> Vec<Factor> {
    c.rows.iter().map(|r| r.factor).collect()
}

#[test]
fn the_same_record_has_no_difference_and_owes_identity() {
    let c = check(&base(), Mode::RunToRun);
    assert!(!c.differs());
    assert!(c.identity_owed());
    assert!(c.owed_by(Mode::Canonical));
    assert!(!c.owed_by(Mode::Off), "off never owes identity");
    assert!(c.to_string().contains("no difference"), "{c}");
}

#[test]
fn another_thread_count_is_owed_in_both_modes() {
    let here = env(|v| v["threads"] = 16.into(), BackendKind::Ndarray);
    for mode in [Mode::Canonical, Mode::RunToRun] {
        let c = check(&here, mode);
        assert_eq!(factors(&c), [Factor::Threads]);
        assert_eq!(c.rows[0].run.as_deref(), Some("2"));
        assert_eq!(c.rows[0].here.as_deref(), Some("16"));
        assert!(c.identity_owed(), "{mode}: {c}");
    }
    let off = check(&here, Mode::Off);
    assert!(!off.identity_owed());
    assert_eq!(off.blocking(Mode::Off).len(), 1);
}

#[test]
fn another_instruction_set_is_owed_by_canonical_mode_only() {
    // An SSE2-only machine: no AVX, no FMA, and matrixmultiply's kernel for SSE2.
    let here = env(
        |v| {
            v["cpu_features"] = serde_json::json!(["sse4.2"]);
            v["matmul_isa"] = "sse2".into();
        },
        BackendKind::Ndarray,
    );
    let mut run = base();
    run.facts.matmul_isa = Some(Shown("avx2+fma".into()));
    let canonical = EnvCheck::compare(&run, &here, Mode::Canonical, Some(ModelOrigin::Config));
    assert_eq!(
        factors(&canonical),
        [Factor::MatmulIsa, Factor::CpuFeatures]
    );
    assert!(canonical.identity_owed(), "{canonical}");
    let r2r = EnvCheck::compare(&run, &here, Mode::RunToRun, Some(ModelOrigin::Config));
    assert!(!r2r.identity_owed());
    assert_eq!(r2r.blocking(Mode::RunToRun).len(), 2);
    assert!(
        r2r.rows[0].run_to_run.why().contains("matrixmultiply"),
        "{r2r}"
    );
    assert!(
        r2r.verdict(Mode::RunToRun).contains("NOT owed"),
        "{}",
        r2r.verdict(Mode::RunToRun)
    );
}

#[test]
fn ditto_kernels_simd_level_is_owed_in_both_modes() {
    let mut run = base();
    run.facts.kernel_isa = Some(Shown("avx2".into()));
    let here = env(|v| v["kernel_isa"] = "scalar".into(), BackendKind::Ndarray);
    for mode in [Mode::Canonical, Mode::RunToRun] {
        let c = EnvCheck::compare(&run, &here, mode, Some(ModelOrigin::Config));
        assert_eq!(factors(&c), [Factor::KernelIsa]);
        assert!(c.identity_owed(), "{mode}: {c}");
    }
}

#[test]
fn another_burn_version_is_owed_by_no_mode() {
    let here = env(
        |v| v["burn_version"] = "0.22.0".into(),
        BackendKind::Ndarray,
    );
    for mode in [Mode::Canonical, Mode::RunToRun] {
        let c = check(&here, mode);
        assert_eq!(factors(&c), [Factor::BurnVersion]);
        assert!(!c.identity_owed(), "{mode}: {c}");
    }
}

#[test]
fn a_ditto_patch_release_is_owed_by_canonical_mode_and_a_minor_one_is_not() {
    let patch = env(
        |v| v["ditto_version"] = "0.1.3".into(),
        BackendKind::Ndarray,
    );
    assert!(check(&patch, Mode::Canonical).identity_owed());
    assert!(!check(&patch, Mode::RunToRun).identity_owed());
    let minor = env(
        |v| v["ditto_version"] = "0.2.0".into(),
        BackendKind::Ndarray,
    );
    assert!(!check(&minor, Mode::Canonical).identity_owed());
    let spec = env(
        |v| v["canonical_spec_version"] = 2.into(),
        BackendKind::Ndarray,
    );
    assert!(!check(&spec, Mode::Canonical).identity_owed());
}

#[test]
fn another_gpu_is_owed_by_canonical_mode_only() {
    let gpu = |name: &str, driver_info: &str| {
        serde_json::json!({"name": name, "vendor_id": "0x10de", "device_id": "0x2684",
            "device_type": "discrete-gpu", "driver": "NVIDIA", "driver_info": driver_info,
            "api": "vulkan"})
    };
    let run = env(
        |v| {
            v["gpu"] = gpu("NVIDIA GeForce RTX 4090", "550.54.14");
            v["device"] = "DefaultDevice".into();
        },
        BackendKind::Wgpu,
    );
    let here = env(
        |v| {
            v["gpu"] = gpu("NVIDIA H100 80GB HBM3", "550.54.14");
            v["device"] = "DefaultDevice".into();
        },
        BackendKind::Wgpu,
    );
    let c = EnvCheck::compare(&run, &here, Mode::Canonical, Some(ModelOrigin::Config));
    assert_eq!(factors(&c), [Factor::Gpu]);
    assert!(c.identity_owed(), "{c}");
    assert!(!c.owed_by(Mode::RunToRun));
    assert!(c.rows[0].canonical.why().contains("conformance probe"));
    // Only the driver changes.
    let driver = env(
        |v| {
            v["gpu"] = gpu("NVIDIA GeForce RTX 4090", "560.28.03");
            v["device"] = "DefaultDevice".into();
        },
        BackendKind::Wgpu,
    );
    let c = EnvCheck::compare(&run, &driver, Mode::RunToRun, Some(ModelOrigin::Config));
    assert_eq!(factors(&c), [Factor::GpuDriver]);
    assert!(!c.identity_owed());
    // The same run replayed on the CPU backend.
    let cpu = base();
    let c = EnvCheck::compare(&run, &cpu, Mode::Canonical, Some(ModelOrigin::Config));
    assert_eq!(
        factors(&c),
        [Factor::Backend, Factor::Gpu, Factor::GpuDriver]
    );
    assert!(c.identity_owed(), "{c}");
    assert!(!c.owed_by(Mode::RunToRun));
}

#[test]
fn peers_in_run_to_run_mode_are_owed_only_between_cuts() {
    let cut = |peers, accumulate| {
        let mut e = base();
        e.parallel = ParallelConfig { peers, accumulate };
        e
    };
    let judge = |a: &Environment, b: &Environment| {
        EnvCheck::compare(a, b, Mode::RunToRun, Some(ModelOrigin::Config))
    };
    assert!(!judge(&cut(1, 1), &cut(2, 1)).identity_owed());
    assert!(judge(&cut(2, 1), &cut(4, 2)).identity_owed());
    assert!(EnvCheck::compare(&cut(1, 1), &cut(8, 1), Mode::Canonical, None).identity_owed());
}

#[test]
fn what_a_run_did_not_record_cannot_be_confirmed() {
    // A manifest from before the CPU model was recorded, checked on a machine that records it.
    let mut run = base();
    run.facts.cpu_model = None;
    run.facts.cpu_vendor = None;
    run.facts.canonical_spec_version = None;
    let c = EnvCheck::compare(&run, &base(), Mode::Canonical, Some(ModelOrigin::Config));
    assert_eq!(factors(&c), [Factor::CpuModel, Factor::CanonicalSpec]);
    assert_eq!(c.rows[0].run, None);
    // Canonical mode owes identity on any CPU; an unrecorded spec version cannot be confirmed.
    assert!(c.rows[0].canonical.is_owed());
    assert!(!c.rows[1].canonical.is_owed());
    assert!(c.rows[1].canonical.why().contains("did not record"), "{c}");
    assert!(c.to_string().contains("(not recorded)"), "{c}");
}

#[test]
fn a_programs_build_and_source_matter_for_its_own_runs() {
    let here = env(
        |v| {
            v["program"]["exe_blake3"] = "e2".into();
            v["git_commit"] = "4567".into();
        },
        BackendKind::Ndarray,
    );
    let lib = EnvCheck::compare(&base(), &here, Mode::Canonical, Some(ModelOrigin::Program));
    assert_eq!(factors(&lib), [Factor::Program, Factor::ProjectSource]);
    assert!(!lib.identity_owed(), "{lib}");
    let cli = EnvCheck::compare(&base(), &here, Mode::Canonical, Some(ModelOrigin::Config));
    assert!(cli.identity_owed(), "{cli}");
    assert!(!cli.owed_by(Mode::RunToRun));
    // A check that does not know the run's program (another program checks) skips it.
    let mut unknown = here.clone();
    unknown.facts.program = None;
    unknown.facts.project = None;
    let c = EnvCheck::compare(
        &base(),
        &unknown,
        Mode::Canonical,
        Some(ModelOrigin::Program),
    );
    assert!(!c.differs(), "{c}");
    // A dirty checkout is noted: its commit does not identify its source.
    let mut dirty = base();
    dirty.facts.git_dirty = Some(true);
    let c = EnvCheck::compare(&dirty, &dirty, Mode::Canonical, Some(ModelOrigin::Program));
    assert_eq!(c.notes.len(), 1, "{c}");
    assert!(
        c.notes[0].contains("the run's and this process's project"),
        "{c}"
    );
}
