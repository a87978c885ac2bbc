//! The feature guard: a project that depends on `burn` with its default features, as users'
//! projects do, so burn-ndarray's `simd` (and with `--features wgpu` burn-cubecl's `autotune`
//! and Burn's `fusion`) is on in ditto's build too. Run by `scripts/feature-guard.sh`.
//!
//! 1. `simd` is on (ditto's probe sees it) and changes no bit: the bundled examples train to
//!    the workspace's pinned fingerprints (`crates/ditto-cli/tests/pinned.rs`) in run-to-run
//!    and canonical mode.
//! 2. With `--features wgpu`: `autotune` is refused, by `build_check` and by `Trainer::fit`,
//!    before any device is used (the script hides every Vulkan driver).
//! 3. (`examples/fusion.rs`, which must not compile: the script checks the message.)

use std::path::Path;
use std::process::ExitCode;

use burn::backend::NdArray;
use burn::module::AutodiffModule;
use ditto::Ditto;
use ditto::kernels::{BurnFeature, Inner, build_check};
use ditto::train::{
    Classification, Cnn, Mlp, Mode, ModelConfig, Objective, TrainBackend, TrainConfig, TrainData,
    Trainer, Transformer,
};

/// (example, mode, max steps, pinned fingerprint): the values of
/// `crates/ditto-cli/tests/pinned.rs` and `crates/ditto-cli/tests/canonical.rs`, which a
/// workspace test checks this file repeats.
const PINNED: [(&str, Mode, Option<usize>, &str); 6] = [
    (
        "digits-mlp",
        Mode::RunToRun,
        None,
        "f02ca20edace8666cfae543f30a78ef34190fed9e1a7987dda2ce7dddca8b57b",
    ),
    (
        "digits-mlp",
        Mode::Canonical,
        None,
        "19719f9fd2e5b59ada5946aa2b87848b6b3336c09c1c12a77a7ff95d1e83cc0c",
    ),
    (
        "fashion-cnn",
        Mode::RunToRun,
        Some(30),
        "dd0019a510f3b0722def080f863c1daad8f7dcb771949614f3f435dd4361efa1",
    ),
    (
        "fashion-cnn",
        Mode::Canonical,
        Some(200),
        "a69fd887960fdce4f6c7f54b07da23c029d3eec341495885fcd594eec9fa9098",
    ),
    (
        "digits-transformer",
        Mode::RunToRun,
        None,
        "a1a7d5716118c5982ab50a7e5addb8bbe54cde0ee9a7cc99fb75bbbf0078f171",
    ),
    (
        "digits-transformer",
        Mode::Canonical,
        Some(200),
        "8a43894a5fc298a628a2774f41d3f4e5ef35d210f02a737de176a3b0066e3781",
    ),
];

fn config(example: &str) -> TrainConfig {
    let text = match example {
        "digits-mlp" => include_str!("../../../examples/digits-mlp/config.toml"),
        "fashion-cnn" => include_str!("../../../examples/fashion-cnn/config.toml"),
        "digits-transformer" => include_str!("../../../examples/digits-transformer/config.toml"),
        _ => unreachable!("not a bundled example: {example}"),
    };
    TrainConfig::from_toml(text).expect("a bundled example's config")
}

/// A fresh run directory under the system's temporary directory.
fn run_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("ditto-feature-guard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Trains the bundled model of `cfg` on `Autodiff<Ditto<NdArray>>` with `Trainer::fit`, as
/// `fit_bundled` does (which would also compile the training loop for mode `off`; the loop's
/// instantiations are most of this crate's build time).
fn fit_bundled(cfg: TrainConfig, data: &TrainData, dir: &Path) -> Result<String, String> {
    type B = TrainBackend<NdArray>;
    let device = Default::default();
    let classes = data.classes();
    let image = match *data.dims() {
        [h, w] => Some((h, w)),
        _ => None,
    };
    match (cfg.model.clone(), image) {
        (ModelConfig::Mlp(c), _) => {
            let m = Mlp::<B>::new(data.features(), &c.hidden, classes, c.dropout, &device);
            fit::<NdArray, _>(cfg, m, data, dir)
        }
        (ModelConfig::Cnn(c), Some((h, w))) => {
            let m = Cnn::<B>::new(h, w, &c.channels, c.dense, classes, c.dropout, &device);
            fit::<NdArray, _>(cfg, m, data, dir)
        }
        (ModelConfig::Transformer(c), Some((h, w))) => {
            let m = Transformer::<B>::new(h, w, &c, classes, &device);
            fit::<NdArray, _>(cfg, m, data, dir)
        }
        _ => Err("not a bundled model".to_owned()),
    }
}

/// `Trainer::fit` of `model` on `TrainBackend<I>`: its fingerprint, or the error as
/// `"{kind:?}: {message}"`.
fn fit<I: Inner, M>(
    cfg: TrainConfig,
    model: M,
    data: &TrainData,
    dir: &Path,
) -> Result<String, String>
where
    M: AutodiffModule<TrainBackend<I>>,
    Classification: Objective<TrainBackend<I>, M> + Objective<Ditto<I>, M::InnerModule>,
{
    let device = Default::default();
    Trainer::new(cfg)
        .and_then(|t| t.out(dir).fit::<I, M>(model, data, &device))
        .map(|t| t.summary.fingerprint)
        .map_err(|e| format!("{:?}: {e}", e.kind()))
}

/// 1: burn-ndarray's `simd` is on and `Ditto<NdArray>` gives the pinned bits anyway.
fn simd_changes_no_bit() -> Result<(), String> {
    let report = build_check::<NdArray>().map_err(|e| format!("NdArray refused: {e}"))?;
    let seen = report
        .neutralised()
        .find(|(f, _)| *f == BurnFeature::NdArraySimd);
    match seen {
        Some((_, what)) => println!("ok: burn-ndarray's simd is on here ({what}): neutralised"),
        None if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) => {
            return Err(format!(
                "the probe did not see burn-ndarray's simd, which burn's default features turn \
                 on (`cargo tree -e features -i burn-ndarray`): {report}"
            ));
        }
        None => println!("note: no SIMD path on this CPU; the fingerprints are checked anyway"),
    }
    let mut failed = Vec::new();
    for (example, mode, steps, want) in PINNED {
        let mut cfg = config(example);
        cfg.mode = mode;
        cfg.max_steps = steps.or(cfg.max_steps);
        let data = TrainData::from_config(&cfg).map_err(|e| e.to_string())?;
        let dir = run_dir(example);
        let start = std::time::Instant::now();
        let got = fit_bundled(cfg, &data, &dir).map_err(|e| format!("{example} ({mode}): {e}"))?;
        let _ = std::fs::remove_dir_all(&dir);
        let secs = start.elapsed().as_secs_f64();
        let what = format!("{example} {mode} {steps:?} steps: {got} ({secs:.1} s)");
        if got == want {
            println!("ok: {what}");
        } else {
            println!("FAILED: {what}, the workspace's pin is {want}");
            failed.push(example);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("fingerprints moved with simd on: {failed:?}"))
    }
}

/// 2: burn-cubecl's `autotune` is refused, by the check and by the trainer, before any device
/// is asked for.
#[cfg(feature = "wgpu")]
fn autotune_is_refused() -> Result<(), String> {
    use burn::backend::wgpu::{CubeBackend, WgpuRuntime};
    use ditto::train::ErrorKind;
    // `burn::backend::Wgpu` is `Fusion<..>` here (examples/fusion.rs): name the cube backend.
    type Cube = CubeBackend<WgpuRuntime, f32, i32, u32>;
    let err = match build_check::<Cube>() {
        Ok(report) => return Err(format!("autotune is on but build_check passed: {report}")),
        Err(e) => e,
    };
    let msg = err.to_string();
    if err.feature() != BurnFeature::Autotune || !msg.contains("default-features = false") {
        return Err(format!(
            "the refusal does not name autotune and its fix: {msg}"
        ));
    }
    println!("ok: build_check::<Wgpu>() refuses: {msg}");
    let mut cfg = config("digits-mlp");
    cfg.backend = ditto::train::BackendKind::Wgpu;
    let data = TrainData::from_config(&cfg).map_err(|e| e.to_string())?;
    let dir = run_dir("wgpu");
    let ModelConfig::Mlp(c) = cfg.model.clone() else {
        unreachable!("digits-mlp is an MLP")
    };
    let device = Default::default();
    let m = Mlp::<TrainBackend<Cube>>::new(
        data.features(),
        &c.hidden,
        data.classes(),
        c.dropout,
        &device,
    );
    let result = fit::<Cube, _>(cfg, m, &data, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let want = format!("{:?}: ", ErrorKind::Features);
    match result {
        Err(e) if e.starts_with(&want) && e.contains("autotune") => {
            println!("ok: Trainer::fit refuses: {e}");
            Ok(())
        }
        Err(e) => Err(format!("Trainer::fit failed otherwise: {e}")),
        Ok(fingerprint) => Err(format!(
            "Trainer::fit trained with autotune on: {fingerprint}"
        )),
    }
}

fn main() -> ExitCode {
    let checks: &[(&str, fn() -> Result<(), String>)] = &[
        ("simd changes no bit", simd_changes_no_bit),
        #[cfg(feature = "wgpu")]
        ("autotune is refused", autotune_is_refused),
    ];
    let mut ok = true;
    for (name, check) in checks {
        if let Err(e) = check() {
            eprintln!("feature guard: {name}: FAILED: {e}");
            ok = false;
        }
    }
    if ok {
        println!("feature guard: all checks passed");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
