//! `ditto replay`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::backend_arg::BackendArg;
use crate::cmd::Res;
use ditto_train::{
    Checkpoint, RunFacts, StepRange, TrainConfig, Verification, VerificationKind,
    compare_checkpoints, compare_runs_with,
};

/// The arguments of `ditto replay`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The run directory to replay, or one checkpoint: the run is rebuilt from the
    /// checkpoint's embedded config and trained to its step, and every tensor and the
    /// state must come out identical.
    pub(crate) run: PathBuf,
    /// Where to write the replay (default: `<run>-replay`, or `<checkpoint>-replay`).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Override the backend for the replay.
    #[arg(long, value_enum)]
    pub(crate) backend: Option<BackendArg>,
    /// CPU threads for the replay; never changes the result.
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Record every backend op of these training steps (`A..B`, both included, 1-based as in
    /// trace.jsonl; or one step `N`) into `ops.jsonl` and `ops.bin` in the replay's directory, for
    /// `ditto verify --ops`. Modes run-to-run and canonical only; slow: a few steps.
    #[arg(long, value_name = "STEPS")]
    pub(crate) trace_ops: Option<StepRange>,
    /// Look for the run's data files in this directory (under their recorded names): data
    /// may move, its content may not (the recorded SHA-256s are checked).
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Load format-version-1 checkpoints (written before header hashes) too: only their
    /// tensor bytes are verified, not their config, state or provenance (a warning says so).
    /// Without it they are refused.
    #[arg(long)]
    pub(crate) allow_unverified_header: bool,
}

/// Re-trains the run (or the run up to a checkpoint) and compares.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    crate::cmd::set_threads(a.threads)?;
    let run = a.run;
    let out = a.out.unwrap_or_else(|| {
        let mut name = run.as_os_str().to_owned();
        name.push("-replay");
        PathBuf::from(name)
    });
    if out.join("trace.jsonl").exists() {
        return Err(format!("{} already holds a run; pass another --out", out.display()).into());
    }
    let options = crate::cmd::read_options(a.allow_unverified_header);
    if run.is_file() {
        let ck = crate::cmd::read_checkpoint(&run, options)?;
        let state = ck
            .run_state()
            .map_err(|e| format!("{}: {e}", run.display()))?;
        let mut cfg = crate::cmd::relocated(state.config.clone(), a.data_dir.as_deref())?;
        if let Some(b) = a.backend {
            cfg.backend = b.kind();
        }
        let run_dir = run.parent().map(|d| match d.file_name() {
            Some(n) if n == "checkpoints" => d.parent().unwrap_or(d),
            _ => d,
        });
        let (run_env, origin) = crate::cmd::here::of_checkpoint(&ck, &state.config, run_dir)?;
        let (_, check) = crate::cmd::here::check(&run_env, origin, &cfg)?;
        crate::cmd::here::print_if_different(&check);
        eprintln!(
            "replaying {} from scratch to step {}",
            run.display(),
            state.step
        );
        let summary = crate::cmd::train(&cfg, None, &out, Some(state.step), a.trace_ops, false)?;
        crate::cmd::report(&summary, &out);
        let produced = ["last.safetensors", "final.safetensors"]
            .iter()
            .map(|n| out.join(n))
            .find(|p| p.is_file())
            .ok_or("the replay wrote no checkpoint")?;
        let again = Checkpoint::read(&produced)?;
        let (tensors, fields) = compare_checkpoints(&ck, &again);
        for t in &tensors {
            println!("checkpoint: {t}");
        }
        for (field, va, vb) in &fields {
            println!("checkpoint: state `{field}` differs: {va} vs {vb}");
        }
        let identical = tensors.is_empty() && fields.is_empty();
        return Ok(if identical {
            println!(
                "IDENTICAL: every tensor and the state match at step {}",
                state.step
            );
            ExitCode::SUCCESS
        } else {
            println!("DIFFERENT");
            crate::cmd::here::print_owed(&check, identical);
            ExitCode::from(1)
        });
    }
    let text = std::fs::read_to_string(run.join("config.toml"))
        .map_err(|e| format!("{}: not a run directory or checkpoint: {e}", run.display()))?;
    let mut cfg = crate::cmd::relocated(
        TrainConfig::from_recorded_toml(&text)?,
        a.data_dir.as_deref(),
    )?;
    if let Some(b) = a.backend {
        cfg.backend = b.kind();
    }
    let facts = RunFacts::read(&run)?;
    let (here, check) = crate::cmd::here::check(&facts.env, facts.origin, &cfg)?;
    crate::cmd::here::print_if_different(&check);
    let summary = crate::cmd::train(&cfg, None, &out, None, a.trace_ops, false)?;
    crate::cmd::report(&summary, &out);
    let c = compare_runs_with(&run, &out, options)?;
    println!("{c}");
    let identical = c.identical();
    crate::cmd::here::print_owed(&check, identical);
    let detail = c.to_string().lines().next().unwrap_or_default().to_owned();
    let v = Verification::new(
        VerificationKind::Replay,
        identical,
        detail,
        &here.provenance,
        &check,
        Some(&out),
    );
    crate::cmd::here::record(&v, &run);
    Ok(if identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
