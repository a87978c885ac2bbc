//! `ditto sweep`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::backend_arg::BackendArg;
use crate::cmd::Res;
use crate::sweep;
use clap::ValueEnum;

/// The arguments of `ditto sweep`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A TOML config.
    #[arg(long, conflicts_with = "example", required_unless_present = "example")]
    pub(crate) config: Option<PathBuf>,
    /// A bundled example: `digits-mlp`, `fashion-cnn` or `digits-transformer`.
    #[arg(long)]
    pub(crate) example: Option<String>,
    /// Seeds: a range `A..B` (B excluded) or a list `1,5,9`.
    #[arg(long, default_value = "0..5")]
    pub(crate) seeds: String,
    /// Thread counts (comma list); the first is the reference.
    #[arg(long, default_value = "1")]
    pub(crate) threads: String,
    /// Loader worker counts (comma list); the first is the reference.
    #[arg(long, default_value = "0")]
    pub(crate) workers: String,
    /// SIMD levels of the canonical kernels (comma list of `auto`, `avx2`, `off`, `scalar`;
    /// set as `DITTO_SIMD` in each cell's process); the first is the reference.
    #[arg(long, default_value = "auto")]
    pub(crate) simd: String,
    /// Backends (comma list); the first is the reference.
    #[arg(long, default_value = "ndarray")]
    pub(crate) backends: String,
    /// Kernel modes (comma list): run-to-run, canonical, off.
    #[arg(long, default_value = "run-to-run")]
    pub(crate) modes: String,
    /// Data-parallel peer counts (comma list); the first is the reference.
    #[arg(long, default_value = "1")]
    pub(crate) peers: String,
    /// Micro-batches per peer (comma list); the first is the reference.
    #[arg(long, default_value = "1")]
    pub(crate) accumulate: String,
    /// Steps per cell (default: the config's).
    #[arg(long)]
    pub(crate) max_steps: Option<usize>,
    /// Output directory (cells, report.md, report.json, accuracy.svg).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Cells run at once (each in its own process; results never depend on it, step
    /// times do).
    #[arg(long, default_value_t = 1)]
    pub(crate) jobs: usize,
}

/// Runs the grid and prints the summary.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    let (cfg, _) = crate::cmd::load_config(a.config.as_deref(), a.example.as_deref())?;
    let threads = sweep::parse_list::<usize>(&a.threads, "--threads")?;
    if threads.contains(&0) {
        return Err("--threads: a thread count of 0".into());
    }
    let simd = sweep::parse_list::<String>(&a.simd, "--simd")?;
    for s in &simd {
        if !sweep::SIMD_LEVELS.contains(&s.as_str()) {
            return Err(format!(
                "--simd: {s:?} is not a SIMD level (one of {})",
                sweep::SIMD_LEVELS.join(", ")
            )
            .into());
        }
    }
    let backends = sweep::parse_list::<String>(&a.backends, "--backends")?;
    for b in &backends {
        if !BackendArg::value_variants()
            .iter()
            .any(|v| v.kind().name() == b)
        {
            return Err(format!("--backends: {b:?} is not available in this build").into());
        }
    }
    if a.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    let modes = sweep::parse_list::<String>(&a.modes, "--modes")?;
    for m in &modes {
        m.parse::<ditto_train::Mode>()?;
    }
    let sw = sweep::Sweep {
        config: cfg,
        seeds: sweep::parse_seeds(&a.seeds)?,
        threads,
        workers: sweep::parse_list(&a.workers, "--workers")?,
        simd,
        backends,
        modes,
        peers: positive(&a.peers, "--peers")?,
        accumulate: positive(&a.accumulate, "--accumulate")?,
        max_steps: a.max_steps,
        out: a.out.clone(),
        jobs: a.jobs,
    };
    let (report, skipped) = sw.run()?;
    println!(
        "sweep: {} ({} cells, {skipped} reused)",
        a.out.display(),
        report.cells.len()
    );
    for (mode, s) in &report.seeds {
        println!(
            "  {mode:<11} accuracy {:.4} ± {:.4} (min {:.4}, max {:.4}) over {} seeds; {}",
            s.accuracy.mean,
            s.accuracy.std,
            s.accuracy.min,
            s.accuracy.max,
            s.per_seed.len(),
            if report.zero_drift[mode] {
                "zero drift"
            } else {
                "DRIFT"
            }
        );
    }
    println!("report: {}", a.out.join("report.md").display());
    if !report.failed.is_empty() {
        return Err(format!(
            "{} cells failed: {}",
            report.failed.len(),
            report.failed.join(", ")
        )
        .into());
    }
    let promised_drift = report
        .zero_drift
        .iter()
        .any(|(mode, zero)| mode != "off" && !zero);
    Ok(if promised_drift {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A comma list of counts, each at least 1.
fn positive(list: &str, flag: &str) -> Res<Vec<usize>> {
    let v = sweep::parse_list::<usize>(list, flag)?;
    if v.contains(&0) {
        return Err(format!("{flag}: a count of 0").into());
    }
    Ok(v)
}
