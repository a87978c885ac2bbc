//! This machine's environment as a run of a config would record it, and its comparison with
//! a run's record: what `env --check`, `resume`, `replay` and `attest --verify` print.

use std::path::Path;

use burn::tensor::backend::Backend;
use ditto_train::{
    BackendKind, Checkpoint, EnvCheck, EnvFacts, Environment, Manifest, ModelOrigin, Program,
    Provenance, RunFacts, TrainBackend, TrainConfig,
};

use crate::cmd::Res;

/// This machine, for a run of `config`.
pub(crate) struct Here {
    /// The provenance a run of `config` would record here.
    pub(crate) provenance: Provenance,
    /// What a check compares.
    pub(crate) env: Environment,
}

/// This machine's environment for a run of `config` whose model came from `origin`: the
/// provenance this binary records (its own project and build), or, for a model a program
/// built, the machine alone ([`EnvFacts::machine_only`]: the build is that program's).
pub(crate) fn here(config: &TrainConfig, origin: Option<ModelOrigin>) -> Res<Here> {
    let provenance = match config.backend {
        BackendKind::Ndarray => {
            let device = burn::backend::ndarray::NdArrayDevice::default();
            let name = TrainBackend::<burn::backend::NdArray>::name(&device);
            Provenance::collect(&name, &format!("{device:?}"))
        }
        #[cfg(feature = "wgpu")]
        BackendKind::Wgpu => {
            let device = burn::backend::wgpu::WgpuDevice::default();
            let name = TrainBackend::<burn::backend::Wgpu>::name(&device);
            Provenance::collect(&name, &format!("{device:?}")).with_gpu(
                <burn::backend::Wgpu as ditto_kernels::Inner>::adapter(&device),
            )
        }
        #[cfg(not(feature = "wgpu"))]
        BackendKind::Wgpu => return Err("backend wgpu is not available in this build".into()),
    }
    .with_project(Some(&ditto_train::build_info!()));
    let manifest = Manifest {
        provenance: provenance.clone(),
        run_id: None,
        program: Some(Program::current()),
    };
    let mut facts = EnvFacts::of_manifest(&manifest)?;
    if origin == Some(ModelOrigin::Program) {
        facts = facts.machine_only();
    }
    Ok(Here {
        provenance,
        env: Environment::new(facts, config),
    })
}

/// The environment a checkpoint recorded (its provenance, with `recorded_config`: the
/// config it was written with), and the model's origin from its run directory's `model.json`
/// when `run_dir` is given and holds one.
pub(crate) fn of_checkpoint(
    ck: &Checkpoint,
    recorded_config: &TrainConfig,
    run_dir: Option<&Path>,
) -> Res<(Environment, Option<ModelOrigin>)> {
    let manifest = Manifest {
        provenance: ck.provenance.clone(),
        run_id: None,
        program: None,
    };
    let origin = run_dir
        .and_then(|d| RunFacts::read(d).ok())
        .and_then(|r| r.origin);
    Ok((
        Environment::new(EnvFacts::of_manifest(&manifest)?, recorded_config),
        origin,
    ))
}

/// This machine for a run continued or replayed with `config`, compared with the run's
/// recorded environment `run` (whose model came from `origin`), judged for `config`'s mode.
pub(crate) fn check(
    run: &Environment,
    origin: Option<ModelOrigin>,
    config: &TrainConfig,
) -> Res<(Here, EnvCheck)> {
    let here = here(config, origin)?;
    let check = EnvCheck::compare(run, &here.env, config.mode, origin);
    Ok((here, check))
}

/// Prints `check` on stderr when the environments differ (what `resume` and `replay` say
/// before they train).
pub(crate) fn print_if_different(check: &EnvCheck) {
    if check.differs() {
        eprintln!("environment: {check}");
    }
}

/// After a comparison of results: when they differ and so do the environments, whether the
/// run's mode owed the same bits across those differences (a broken promise) or not.
pub(crate) fn print_owed(check: &EnvCheck, identical: bool) {
    if identical || !check.differs() {
        return;
    }
    let blocking: Vec<&str> = check
        .blocking(check.mode)
        .iter()
        .map(|r| r.factor.name())
        .collect();
    if blocking.is_empty() {
        println!(
            "the run's mode ({}) owes the same bits across every environment difference: \
             this result breaks its promise",
            check.mode
        );
    } else {
        println!(
            "the run's mode ({}) does not promise the same bits across: {}",
            check.mode,
            blocking.join(", ")
        );
    }
}

/// Records a verification in `run_dir`'s `verifications.jsonl`; a failure is a warning (the
/// verdict stands without its record).
pub(crate) fn record(v: &ditto_train::Verification, run_dir: &Path) {
    if let Err(e) = v.append(run_dir) {
        eprintln!("warning: the verification was not recorded in the run directory: {e}");
    }
}
