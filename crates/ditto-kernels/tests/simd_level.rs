//! Each `DITTO_SIMD` level takes effect: the kernels read the variable once per process, so
//! each level runs in a child process (this test binary, filtered to `child_reports`), which
//! reports the instruction set the kernels use (`Isa::try_active`) after running a canonical
//! matmul on it. An unknown value is an error naming the allowed values, never "best".

use std::process::Command;

use ditto_kernels::canonical::{Isa, SimdLevel, matmul};

/// Set in the child's environment: only then does `child_reports` report.
const CHILD: &str = "DITTO_TEST_SIMD_CHILD";

#[test]
fn child_reports() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let (a, b) = (vec![1.5f32; 64 * 64], vec![0.25f32; 64 * 64]);
    let mut out = vec![0.0f32; 64 * 64];
    matmul::matmul(&a, &b, &mut out, 64, 64, 64).unwrap();
    assert_eq!(out[0], 24.0);
    match Isa::try_active() {
        Ok(isa) => println!("active-isa={isa}"),
        Err(e) => println!("active-error={e}"),
    }
    println!("fallback-isa={}", Isa::active());
}

/// `DITTO_SIMD=value` (or unset) in a child process: what it reports.
fn report(value: Option<&str>) -> (String, String) {
    // The tests are modules of one binary: `--exact` needs `simd_level::child_reports`.
    let (_, module) = module_path!().split_once("::").unwrap();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        &format!("{module}::child_reports"),
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, "1");
    match value {
        Some(v) => cmd.env("DITTO_SIMD", v),
        None => cmd.env_remove("DITTO_SIMD"),
    };
    let o = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{value:?}: {text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The harness may print a report on its `test child_reports ... ` line.
    let from = |key: &str| {
        text.lines()
            .find_map(|l| l.find(key).map(|i| l[i..].to_owned()))
            .unwrap_or_else(|| panic!("{value:?}: no {key} in {text}"))
    };
    let fallback = from("fallback-isa=");
    (
        from("active-"),
        fallback["fallback-isa=".len()..].to_owned(),
    )
}

#[test]
fn each_level_takes_effect_in_its_own_process() {
    let best = Isa::detect();
    let expect = |level: SimdLevel| format!("active-isa={}", level.isa());
    for (value, level) in [
        (None, SimdLevel::Auto),
        (Some(""), SimdLevel::Auto),
        (Some("auto"), SimdLevel::Auto),
        (Some("avx2"), SimdLevel::Avx2),
        (Some("scalar"), SimdLevel::Scalar),
        (Some("off"), SimdLevel::Scalar),
        (Some("0"), SimdLevel::Scalar),
    ] {
        let (active, fallback) = report(value);
        assert_eq!(active, expect(level), "DITTO_SIMD={value:?}");
        assert_eq!(
            format!("active-isa={fallback}"),
            active,
            "DITTO_SIMD={value:?}"
        );
    }
    // The levels differ where the CPU lets them (this machine's best is one of them).
    if cfg!(not(feature = "force-scalar")) {
        assert_eq!(SimdLevel::Auto.isa(), best);
        assert_eq!(SimdLevel::Avx2.isa(), best.min(Isa::Avx2Fma));
    }
}

#[test]
fn an_unknown_level_is_an_error_and_runs_the_scalar_path() {
    for bad in ["avx512", "AVX2", "on", "fast"] {
        let (active, fallback) = report(Some(bad));
        assert!(
            active.starts_with("active-error=")
                && active.contains(&format!("DITTO_SIMD={bad:?} is not a SIMD level"))
                && active.contains("auto, avx2, scalar, off, 0"),
            "{bad}: {active}"
        );
        assert_eq!(
            fallback, "scalar",
            "{bad}: an unknown level must not mean best"
        );
    }
}
