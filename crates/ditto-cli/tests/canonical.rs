//! Canonical mode's promise, as separate processes: the three bundled examples (digits-mlp,
//! its whole run; fashion-cnn and digits-transformer, 200 steps each) give the same final
//! weights at 1 and 2 threads, with 0 and 3 loader workers, with `DITTO_SIMD=off`, on Wgpu
//! (lavapipe in CI) and in a build whose matrixmultiply is restricted to SSE2 (CI builds one
//! with `MMTEST_FEATURE=sse2` in its own target directory and points `DITTO_CANONICAL_BIN` at
//! it). Every one of them must equal the pinned fingerprint, so a change of the canonical
//! arithmetic fails here (and is a Reproducibility-breaking CHANGELOG entry).

use crate::wgpu_probe;

use std::path::Path;
use std::process::Command;

/// `ditto train --example digits-mlp --mode canonical` (880 steps).
const DIGITS_MLP: &str = "19719f9fd2e5b59ada5946aa2b87848b6b3336c09c1c12a77a7ff95d1e83cc0c";
/// `ditto train --example fashion-cnn --mode canonical --max-steps 200`.
const FASHION_CNN_200: &str = "a69fd887960fdce4f6c7f54b07da23c029d3eec341495885fcd594eec9fa9098";
/// `ditto train --example digits-transformer --mode canonical --max-steps 200`.
const DIGITS_TRANSFORMER_200: &str =
    "8a43894a5fc298a628a2774f41d3f4e5ef35d210f02a737de176a3b0066e3781";

/// The three examples, the steps they run here and their pinned canonical fingerprints.
pub(crate) const CASES: [(&str, Option<&str>, &str); 3] = [
    ("digits-mlp", None, DIGITS_MLP),
    ("fashion-cnn", Some("200"), FASHION_CNN_200),
    ("digits-transformer", Some("200"), DIGITS_TRANSFORMER_200),
];

/// Trains `example` in canonical mode with `bin` into `out` and returns the fingerprint.
fn train(bin: &Path, example: &str, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> String {
    let (_, steps, _) = CASES.iter().find(|c| c.0 == example).unwrap();
    let mut cmd = Command::new(bin);
    cmd.args([
        "train",
        "--example",
        example,
        "--mode",
        "canonical",
        "--out",
    ])
    .arg(out)
    .args(extra);
    if let Some(s) = steps {
        cmd.args(["--max-steps", s]);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{example} {extra:?} {env:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    fingerprint(&String::from_utf8_lossy(&o.stdout))
}

/// The `fingerprint: ` line of `ditto train`'s output.
pub(crate) fn fingerprint(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no fingerprint in {stdout}"))
}

fn ditto() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ditto"))
}

/// 1 vs 2 threads, 0 vs 3 workers, SIMD on vs off: the pinned bits each time, and `ditto
/// verify` finds every traced step identical.
fn invariant_on_the_cpu(example: &str) {
    let (_, _, pinned) = CASES.iter().find(|c| c.0 == example).unwrap();
    let t = tempfile::tempdir().unwrap();
    let (a, b, c) = (t.path().join("a"), t.path().join("b"), t.path().join("c"));
    let one = train(ditto(), example, &a, &["--threads", "1"], &[]);
    assert_eq!(&one, pinned, "{example}: 1 thread");
    let two = train(
        ditto(),
        example,
        &b,
        &["--threads", "2", "--workers", "3"],
        &[],
    );
    assert_eq!(&two, pinned, "{example}: 2 threads, 3 workers");
    let scalar = train(
        ditto(),
        example,
        &c,
        &["--threads", "2"],
        &[("DITTO_SIMD", "off")],
    );
    assert_eq!(&scalar, pinned, "{example}: DITTO_SIMD=off");
    let v = Command::new(ditto())
        .arg("verify")
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(
        v.status.success() && text.contains("IDENTICAL"),
        "{example}: {text}"
    );
    let i = Command::new(ditto())
        .arg("inspect")
        .arg(&a)
        .arg("--json")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&i.stdout).unwrap();
    assert_eq!(doc["state"]["config"]["mode"], "canonical", "{example}");
}

#[test]
fn digits_mlp_canonical_is_the_same_on_every_cpu_setting() {
    invariant_on_the_cpu("digits-mlp");
}

#[test]
fn fashion_cnn_canonical_is_the_same_on_every_cpu_setting() {
    invariant_on_the_cpu("fashion-cnn");
}

#[test]
fn digits_transformer_canonical_is_the_same_on_every_cpu_setting() {
    invariant_on_the_cpu("digits-transformer");
}

/// The READMEs print the pinned canonical values.
#[test]
fn the_readmes_print_the_canonical_values() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/");
    for (example, _, pinned) in CASES {
        let text = std::fs::read_to_string(format!("{root}{example}/README.md")).unwrap();
        assert!(
            text.contains(pinned),
            "examples/{example}/README.md lacks {pinned}"
        );
    }
}

/// The switch is live: run-to-run mode gives other bits than canonical mode.
#[test]
fn run_to_run_mode_differs_from_canonical() {
    let t = tempfile::tempdir().unwrap();
    let o = Command::new(ditto())
        .args([
            "train",
            "--example",
            "digits-transformer",
            "--max-steps",
            "200",
            "--out",
        ])
        .arg(t.path().join("r"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r2r = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        r2r.contains("fingerprint: ") && !r2r.contains(DIGITS_TRANSFORMER_200),
        "{r2r}"
    );
}

/// The same bits on Wgpu as on the CPU, for all three examples, and the op traces of both
/// backends compared (one test, so that the Wgpu processes run one after the other).
#[test]
fn canonical_on_wgpu_gives_the_cpu_bits() {
    if !wgpu_probe::wgpu_available("canonical_on_wgpu_gives_the_cpu_bits") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    for (example, _, pinned) in CASES {
        let out = t.path().join(example);
        let fp = train(ditto(), example, &out, &["--backend", "wgpu"], &[]);
        assert_eq!(fp, pinned, "{example} on Wgpu");
    }
    // `ditto verify --ops` across backends: canonical NdArray vs Wgpu agree op for op (exit
    // 0); in run-to-run mode the first op that differs is the first `linear` (exit 1).
    for (mode, code) in [("canonical", 0), ("run-to-run", 1)] {
        let dirs: Vec<_> = ["ndarray", "wgpu"]
            .into_iter()
            .map(|backend| {
                let dir = t.path().join(format!("ops-{mode}-{backend}"));
                let o = Command::new(ditto())
                    .args(["train", "--example", "digits-mlp", "--max-steps", "2"])
                    .args(["--threads", "1", "--trace-ops", "1..2", "--mode", mode])
                    .args(["--backend", backend, "--out"])
                    .arg(&dir)
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                dir
            })
            .collect();
        let v = Command::new(ditto())
            .args(["verify", "--ops"])
            .arg(&dirs[0])
            .arg(&dirs[1])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&v.stdout);
        assert_eq!(v.status.code(), Some(code), "{mode}: {out}");
        if code == 1 {
            assert!(out.contains("op 2 `linear`"), "{mode}: {out}");
        }
    }
}

/// A `ditto` built with matrixmultiply restricted to SSE2 (`MMTEST_FEATURE=sse2` at compile
/// time), named by `DITTO_CANONICAL_BIN`: canonical mode gives the pinned bits, and run-to-run
/// mode does not give this build's usual digits-mlp bits (proof that the restriction took:
/// run-to-run mode depends on the matmul kernel the CPU selects), and `ditto env --check` in
/// either build reports the other's matmul kernel, owed by canonical mode only. `.ci/run`
/// builds it; without the variable this test says so and passes.
#[test]
fn canonical_in_an_sse2_build_gives_the_pinned_bits() {
    let Some(bin) = std::env::var_os("DITTO_CANONICAL_BIN") else {
        eprintln!(
            "SKIPPED canonical_in_an_sse2_build_gives_the_pinned_bits: DITTO_CANONICAL_BIN is \
             not set (.ci/run sets it to a build made with MMTEST_FEATURE=sse2)"
        );
        return;
    };
    let bin = Path::new(&bin);
    let t = tempfile::tempdir().unwrap();
    for (example, _, pinned) in CASES {
        let fp = train(
            bin,
            example,
            &t.path().join(example),
            &["--threads", "2"],
            &[],
        );
        assert_eq!(fp, pinned, "{example} in {}", bin.display());
    }
    let r2r = |b: &Path, dir: &str| {
        let o = Command::new(b)
            .args([
                "train",
                "--example",
                "digits-mlp",
                "--max-steps",
                "40",
                "--out",
            ])
            .arg(t.path().join(dir))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        fingerprint(&String::from_utf8_lossy(&o.stdout))
    };
    let restricted = r2r(bin, "r2r-sse2");
    let usual = r2r(ditto(), "r2r-usual");
    assert_ne!(
        restricted, usual,
        "run-to-run mode gave the same bits in the SSE2 build: the restriction did not take \
         (or this CPU has no AVX), so this test proves nothing"
    );

    // `ditto env --check` across the two builds, a real second environment: each build checks
    // a run the other made. The matmul kernel differs; canonical mode owes its bits across it
    // (exit 0), run-to-run mode does not (exit 1).
    let env_check = |b: &Path, dir: &str| {
        let o = Command::new(b)
            .args(["env", "--check"])
            .arg(t.path().join(dir))
            .arg("--json")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let matmul = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["factor"] == "matmul-isa")
            .unwrap_or_else(|| panic!("the matmul kernel's difference is not reported: {v}"))
            .clone();
        (o.status.code(), matmul, v)
    };
    let (code, matmul, v) = env_check(ditto(), "digits-mlp");
    assert_eq!(
        code,
        Some(0),
        "a canonical run owes its bits in the usual build: {v}"
    );
    assert_eq!(matmul["canonical"]["promise"], "owed", "{v}");
    let (code, matmul, v) = env_check(bin, "r2r-usual");
    assert_eq!(
        code,
        Some(1),
        "a run-to-run run does not owe its bits in the SSE2 build: {v}"
    );
    assert_ne!(matmul["run_to_run"]["promise"], "owed", "{v}");
}

/// Each `DITTO_SIMD` level takes effect and is recorded: the manifest's `kernel_isa` is the
/// instruction set the level gives on this CPU (a different one for `scalar` on any CPU with
/// AVX2, and for `avx2` on one with AVX-512), canonical mode's bits stay the same, and the
/// matmul kernel is recorded too. An unknown value is refused before anything is written,
/// naming the allowed values (it used to mean "best").
#[test]
fn each_simd_level_is_recorded_and_an_unknown_one_is_refused() {
    use ditto_kernels::canonical::{Isa, SimdLevel};
    let t = tempfile::tempdir().unwrap();
    let cases: [(Option<&str>, SimdLevel); 5] = [
        (None, SimdLevel::Auto),
        (Some("auto"), SimdLevel::Auto),
        (Some("avx2"), SimdLevel::Avx2),
        (Some("scalar"), SimdLevel::Scalar),
        (Some("off"), SimdLevel::Scalar),
    ];
    let mut fingerprints = Vec::new();
    let mut recorded = Vec::new();
    for (i, (value, level)) in cases.iter().enumerate() {
        let out = t.path().join(format!("run{i}"));
        let mut cmd = Command::new(ditto());
        cmd.args(["train", "--example", "digits-mlp", "--mode", "canonical"])
            .args(["--max-steps", "3", "--out"])
            .arg(&out);
        match value {
            Some(v) => cmd.env("DITTO_SIMD", v),
            None => cmd.env_remove("DITTO_SIMD"),
        };
        let o = cmd.output().unwrap();
        assert!(
            o.status.success(),
            "{value:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        fingerprints.push(fingerprint(&String::from_utf8_lossy(&o.stdout)));
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        // The manifest holds the provenance's fields (flattened); so does every checkpoint.
        let p = &manifest;
        assert_eq!(p["kernel_isa"], level.isa().name(), "{value:?}: {p}");
        let ck = ditto_train::Checkpoint::read(&out.join("final.safetensors")).unwrap();
        assert_eq!(
            ck.provenance.kernel_isa.as_deref(),
            Some(level.isa().name()),
            "{value:?}"
        );
        assert_eq!(
            ck.provenance.matmul_isa.as_deref(),
            p["matmul_isa"].as_str()
        );
        let matmul = p["matmul_isa"].as_str().unwrap_or_default();
        assert!(
            !matmul.is_empty() && !matmul.starts_with("unknown"),
            "{value:?}: matmul_isa {matmul:?}"
        );
        recorded.push(p["kernel_isa"].as_str().unwrap().to_owned());
    }
    assert!(
        fingerprints.iter().all(|f| *f == fingerprints[0]),
        "{fingerprints:?}"
    );
    assert_eq!(recorded[3], "scalar");
    if Isa::detect() > Isa::Scalar {
        assert_ne!(
            recorded[0], recorded[3],
            "scalar did not take effect: {recorded:?}"
        );
    }
    if Isa::detect() == Isa::Avx512 {
        assert_eq!(recorded[2], "avx2-fma", "{recorded:?}");
        assert_ne!(
            recorded[0], recorded[2],
            "avx2 did not take effect: {recorded:?}"
        );
    }
    let out = t.path().join("bogus");
    let o = Command::new(ditto())
        .args([
            "train",
            "--example",
            "digits-mlp",
            "--max-steps",
            "3",
            "--out",
        ])
        .arg(&out)
        .env("DITTO_SIMD", "avx512")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("DITTO_SIMD=\"avx512\" is not a SIMD level")
            && err.contains("auto, avx2, scalar, off, 0"),
        "{err}"
    );
    assert!(!out.exists(), "a refused run wrote {}", out.display());
}
