//! `ditto env`, and `ditto env --check RUN`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ditto_train::{ModelOrigin, RunFacts};

use crate::backend_arg::BackendArg;
use crate::cmd::Res;

/// The arguments of `ditto env`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Backend to describe (default: ndarray; with `--check`, the run's own).
    #[arg(long, value_enum)]
    pub(crate) backend: Option<BackendArg>,
    /// CPU threads to describe.
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Compare this machine with the environment the run directory RUN recorded: one row per
    /// difference, what canonical and run-to-run mode each promise across it and why, and a
    /// verdict per mode. Exit 0 when the run's own mode owes the same bits here, 1 when it
    /// does not.
    #[arg(long, value_name = "RUN")]
    pub(crate) check: Option<PathBuf>,
    /// With `--check`: print the comparison as JSON.
    #[arg(long, requires = "check")]
    pub(crate) json: bool,
}

/// Prints the provenance, or the comparison with a run's.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    crate::cmd::set_threads(a.threads)?;
    if let Some(run) = &a.check {
        return check(run, a.backend, a.json);
    }
    let cfg = ditto_train::TrainConfig {
        backend: a.backend.unwrap_or(BackendArg::Ndarray).kind(),
        ..Default::default()
    };
    let here = crate::cmd::here::here(&cfg, None)?;
    println!("{}", serde_json::to_string_pretty(&here.provenance)?);
    Ok(ExitCode::SUCCESS)
}

fn check(run: &Path, backend: Option<BackendArg>, json: bool) -> Res<ExitCode> {
    let facts = RunFacts::read(run)?;
    let mut cfg = facts.config.clone();
    if let Some(b) = backend {
        cfg.backend = b.kind();
    }
    let (_, check) = crate::cmd::here::check(&facts.env, facts.origin, &cfg)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&check)?);
    } else {
        let built = match facts.origin {
            Some(ModelOrigin::Config) => "built by ditto from the config",
            Some(ModelOrigin::Program) => "built by a program",
            None => "origin not recorded",
        };
        println!(
            "run: {} (mode {}, backend {}; model {built})",
            run.display(),
            facts.mode,
            facts.config.backend
        );
        print!("{check}");
    }
    Ok(if check.identity_owed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
