//! `ditto resume`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::backend_arg::BackendArg;
use crate::cmd::Res;
use ditto_train::StepRange;

/// The arguments of `ditto resume`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A run directory or a checkpoint file.
    pub(crate) path: PathBuf,
    /// Stop at this step (total, not additional).
    #[arg(long)]
    pub(crate) max_steps: Option<usize>,
    /// CPU threads; never changes the result.
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Continue with this many data-parallel peers (canonical mode: the same bits for any).
    #[arg(long)]
    pub(crate) peers: Option<usize>,
    /// Continue with this many micro-batches per peer (canonical mode: the same bits for any).
    #[arg(long)]
    pub(crate) accumulate: Option<usize>,
    /// Override the run's backend (run-to-run results hold on the same backend only).
    #[arg(long, value_enum)]
    pub(crate) backend: Option<BackendArg>,
    /// Record every backend op of these training steps (`A..B`, both included, 1-based as in
    /// trace.jsonl; or one step `N`) into `ops.jsonl` and `ops.bin` in the run directory (replacing those of an earlier
    /// process), for
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

/// Continues the run.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    crate::cmd::set_threads(a.threads)?;
    let options = crate::cmd::read_options(a.allow_unverified_header);
    let (ck_path, out) = ditto_train::locate_checkpoint_with(&a.path, options)?;
    let ck = crate::cmd::read_checkpoint(&ck_path, options)?;
    let state = ck
        .run_state()
        .map_err(|e| format!("{}: {e}", ck_path.display()))?;
    eprintln!("resuming {} at step {}", ck_path.display(), state.step);
    let recorded = state.config.clone();
    let mut cfg = crate::cmd::relocated(state.config, a.data_dir.as_deref())?;
    if let Some(b) = a.backend {
        cfg.backend = b.kind();
    }
    if let Some(w) = a.peers {
        cfg.parallel.peers = w;
    }
    if let Some(k) = a.accumulate {
        cfg.parallel.accumulate = k;
    }
    cfg.validate()?;
    let (run_env, origin) = crate::cmd::here::of_checkpoint(&ck, &recorded, Some(&out))?;
    let (_, check) = crate::cmd::here::check(&run_env, origin, &cfg)?;
    crate::cmd::here::print_if_different(&check);
    let summary = crate::cmd::train(&cfg, Some(ck), &out, a.max_steps, a.trace_ops, false)?;
    crate::cmd::report(&summary, &out);
    Ok(ExitCode::SUCCESS)
}
