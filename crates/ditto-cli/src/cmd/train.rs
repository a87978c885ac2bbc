//! `ditto train`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::backend_arg::BackendArg;
use crate::cmd::Res;
use ditto_train::{Mode, StepRange};

/// The arguments of `ditto train`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A TOML config (missing fields take their defaults).
    #[arg(long, conflicts_with = "example", required_unless_present = "example")]
    pub(crate) config: Option<PathBuf>,
    /// A bundled example: `digits-mlp`, `fashion-cnn` or `digits-transformer`.
    #[arg(long)]
    pub(crate) example: Option<String>,
    /// Override the config's seed.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Run directory (default: `runs/<example or config name>-seed<N>`).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Override the config's backend.
    #[arg(long, value_enum)]
    pub(crate) backend: Option<BackendArg>,
    /// Override the config's kernel mode: `run-to-run` (the default), `canonical` (ditto's
    /// canonical kernels: the same bits for any thread count and instruction set), or
    /// `off` (plain Burn, no decorator: the baseline).
    #[arg(long)]
    pub(crate) mode: Option<Mode>,
    /// CPU threads (rayon and matmul); never changes the result.
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Data-loader workers; never changes the result.
    #[arg(long)]
    pub(crate) workers: Option<usize>,
    /// Data-parallel peers (threads sharing the cores); in canonical mode never changes the
    /// result.
    #[arg(long)]
    pub(crate) peers: Option<usize>,
    /// Micro-batches per peer per step (gradient accumulation at the same global batch); in
    /// canonical mode never changes the result.
    #[arg(long)]
    pub(crate) accumulate: Option<usize>,
    /// Stop after this many steps.
    #[arg(long)]
    pub(crate) max_steps: Option<usize>,
    /// Stop (after writing `last.safetensors`) at this step; `ditto resume` continues.
    #[arg(long)]
    pub(crate) stop_at: Option<usize>,
    /// Record every backend op of these training steps (`A..B`, both included, 1-based as in
    /// trace.jsonl; or one step `N`) into `ops.jsonl` and `ops.bin` in the run directory, for
    /// `ditto verify --ops`. Modes run-to-run and canonical only; slow: a few steps.
    #[arg(long, value_name = "STEPS")]
    pub(crate) trace_ops: Option<StepRange>,
    /// Replace the run already in the run directory. Without it such a directory is refused
    /// and nothing is written. The new run is written beside it and swapped in when it ends,
    /// so the old run stays complete until then (and is kept if training fails).
    #[arg(long)]
    pub(crate) force: bool,
    /// Print the complete resolved config and exit.
    #[arg(long)]
    pub(crate) print_config: bool,
}

/// Trains and prints the fingerprint.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    let (mut cfg, name) = crate::cmd::load_config(a.config.as_deref(), a.example.as_deref())?;
    if let Some(s) = a.seed {
        cfg.seed = s;
    }
    if let Some(w) = a.workers {
        cfg.workers = w;
    }
    if let Some(m) = a.max_steps {
        cfg.max_steps = Some(m);
    }
    if let Some(b) = a.backend {
        cfg.backend = b.kind();
    }
    if let Some(m) = a.mode {
        cfg.mode = m;
    }
    if let Some(w) = a.peers {
        cfg.parallel.peers = w;
    }
    if let Some(k) = a.accumulate {
        cfg.parallel.accumulate = k;
    }
    cfg.validate()?;
    if a.print_config {
        print!("{}", cfg.to_toml()?);
        return Ok(ExitCode::SUCCESS);
    }
    crate::cmd::set_threads(a.threads)?;
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from(format!("runs/{name}-seed{}", cfg.seed)));
    let summary = crate::cmd::train(&cfg, None, &out, a.stop_at, a.trace_ops, a.force)?;
    crate::cmd::report(&summary, &out);
    Ok(ExitCode::SUCCESS)
}
