//! `ditto sweep` and `ditto sweep merge`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use ditto_train::sweep::{Axis, Role, SIMD_LEVELS, Sweep, SweepReport, SweepResults};
use ditto_train::{BackendKind, Mode};

use crate::backend_arg::BackendArg;
use crate::cmd::Res;
use crate::sweep;

/// The arguments of `ditto sweep`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: Option<SweepCommand>,
    /// A TOML config.
    #[arg(long, conflicts_with = "example", required_unless_present = "example")]
    pub(crate) config: Option<PathBuf>,
    /// A bundled example: `digits-mlp`, `fashion-cnn` or `digits-transformer`.
    #[arg(long)]
    pub(crate) example: Option<String>,
    /// Root seeds (every source of randomness at once): a range `A..B` (B excluded) or a
    /// list `1,5,9`. Default `0..5`, or the config's seed alone when a per-source seed list
    /// is given.
    #[arg(long)]
    pub(crate) seeds: Option<String>,
    /// `[seeds] init` values: the initial weights only.
    #[arg(long)]
    pub(crate) init_seeds: Option<String>,
    /// `[seeds] data_order` values: the sample order only.
    #[arg(long)]
    pub(crate) data_order_seeds: Option<String>,
    /// `[seeds] dropout` values: the backend's random ops (dropout) only.
    #[arg(long)]
    pub(crate) dropout_seeds: Option<String>,
    /// `[seeds] augment` values: the augmentation draws only.
    #[arg(long)]
    pub(crate) augment_seeds: Option<String>,
    /// `[seeds] split` values: the train/test split and validation hold-out only.
    #[arg(long)]
    pub(crate) split_seeds: Option<String>,
    /// A config field's values, `FIELD=V1,V2` (e.g. `optimizer.lr=0.001,0.01`,
    /// `batch_size=32,64`); repeat for more fields.
    #[arg(long = "set", value_name = "FIELD=V1,V2")]
    pub(crate) set: Vec<String>,
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
    /// Output directory (cells, results.json, report.md, report.json, accuracy.svg).
    #[arg(long, required = true)]
    pub(crate) out: Option<PathBuf>,
    /// Cells run at once (each in its own process; results never depend on it, step
    /// times do).
    #[arg(long, default_value_t = 1)]
    pub(crate) jobs: usize,
}

/// `ditto sweep`'s subcommands.
#[derive(clap::Subcommand)]
pub(crate) enum SweepCommand {
    /// Join sweeps made on several machines (or builds) with the same grid into one report:
    /// the machine becomes an axis, a canonical cell that differs across machines is a broken
    /// promise (exit 1), a run-to-run difference across machine types is expected.
    Merge(MergeArgs),
}

/// The arguments of `ditto sweep merge`.
#[derive(clap::Args)]
pub(crate) struct MergeArgs {
    /// Sweep directories (each with `results.json`), two or more.
    #[arg(required = true, num_args = 2..)]
    pub(crate) dirs: Vec<PathBuf>,
    /// Output directory (results.json, report.md, report.json).
    #[arg(long)]
    pub(crate) out: PathBuf,
}

/// Runs the grid (or merges sweeps) and prints the summary.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    if let Some(SweepCommand::Merge(m)) = a.command {
        return merge(m);
    }
    let out = a.out.clone().ok_or("--out is required")?;
    let (mut cfg, _) = crate::cmd::load_config(a.config.as_deref(), a.example.as_deref())?;
    if a.max_steps.is_some() {
        cfg.max_steps = a.max_steps;
    }
    if a.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    let mut modes = Vec::new();
    for m in sweep::parse_list::<String>(&a.modes, "--modes")? {
        modes.push(m.parse::<Mode>()?);
    }
    let mut backends = Vec::new();
    for b in sweep::parse_list::<String>(&a.backends, "--backends")? {
        if !BackendArg::value_variants()
            .iter()
            .any(|v| v.kind().name() == b)
        {
            return Err(format!("--backends: {b:?} is not available in this build").into());
        }
        backends.push(b.parse::<BackendKind>()?);
    }
    let simd = sweep::parse_list::<String>(&a.simd, "--simd")?;
    for s in &simd {
        if !SIMD_LEVELS.contains(&s.as_str()) {
            return Err(format!(
                "--simd: {s:?} is not a SIMD level (one of {})",
                SIMD_LEVELS.join(", ")
            )
            .into());
        }
    }
    let peers = positive(&a.peers, "--peers")?;
    let accumulate = positive(&a.accumulate, "--accumulate")?;
    let mut sw = Sweep::new(cfg, &out)
        .jobs(a.jobs)
        .verbose(true)
        .axis(Axis::Mode(modes))
        .axis(Axis::Backend(backends))
        .axis(Axis::Threads(positive(&a.threads, "--threads")?))
        .axis(Axis::Workers(sweep::parse_list(&a.workers, "--workers")?));
    if simd != ["auto"] {
        sw = sw.axis(Axis::Simd(simd));
    }
    if peers != [1] || accumulate != [1] {
        sw = sw
            .axis(Axis::Peers(peers))
            .axis(Axis::Accumulate(accumulate));
    }
    for s in &a.set {
        let (path, values) = sweep::parse_set(s)?;
        sw = sw.axis(Axis::Field { path, values });
    }
    let per_source = [
        (
            &a.init_seeds,
            "--init-seeds",
            Axis::InitSeed as fn(Vec<u64>) -> Axis,
        ),
        (
            &a.data_order_seeds,
            "--data-order-seeds",
            Axis::DataOrderSeed,
        ),
        (&a.dropout_seeds, "--dropout-seeds", Axis::DropoutSeed),
        (&a.augment_seeds, "--augment-seeds", Axis::AugmentSeed),
        (&a.split_seeds, "--split-seeds", Axis::SplitSeed),
    ];
    let any_source = per_source.iter().any(|(v, _, _)| v.is_some());
    match (&a.seeds, any_source) {
        (Some(s), _) => sw = sw.axis(Axis::Seed(sweep::parse_seeds(s, "--seeds")?)),
        (None, false) => sw = sw.axis(Axis::Seed((0..5).collect())),
        (None, true) => {}
    }
    for (values, flag, axis) in per_source {
        if let Some(v) = values {
            sw = sw.axis(axis(sweep::parse_seeds(v, flag)?));
        }
    }
    let exe = std::env::current_exe()?;
    let outcome = sw.run(sweep::child_train(exe, out.join("cells")))?;
    let report = &outcome.report;
    println!(
        "sweep: {} ({} cells, {} reused)",
        out.display(),
        report.cells,
        outcome.reused
    );
    summarize(&outcome.results, report);
    sweep::plot_accuracy(&out.join("accuracy.svg"), &strips(&outcome.results))?;
    println!("report: {}", out.join("report.md").display());
    if !report.failed.is_empty() {
        let ids: Vec<&str> = report.failed.iter().map(|f| f.id.as_str()).collect();
        return Err(format!("{} cells failed: {}", ids.len(), ids.join(", ")).into());
    }
    Ok(exit(report))
}

/// `ditto sweep merge`.
fn merge(m: MergeArgs) -> Res<ExitCode> {
    let results = ditto_train::sweep::merge(&m.dirs)?;
    std::fs::create_dir_all(&m.out).map_err(|e| format!("{}: {e}", m.out.display()))?;
    results.write(&m.out)?;
    let report = SweepReport::of(&results, &m.out);
    report.write(&m.out)?;
    println!(
        "sweep merge: {} ({} cells from {} machines)",
        m.out.display(),
        report.cells,
        report.machines.len()
    );
    for machine in &report.machines {
        println!("  {}: {}", machine.label, machine.description);
    }
    summarize(&results, &report);
    println!("report: {}", m.out.join("report.md").display());
    Ok(exit(&report))
}

/// Exit 1 only on a broken promise: a difference where the cells' mode promised the same
/// bits. A difference the mode never promised (run-to-run across backends or machine types,
/// anything in mode off) is reported as expected.
fn exit(report: &SweepReport) -> ExitCode {
    if report.broken_promises() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// One line per mode: the reference setting's accuracy (or loss) over its runs, and the
/// mode's verdict.
fn summarize(results: &SweepResults, report: &SweepReport) {
    for (mode, verdict) in &report.verdicts {
        let line = reference_stats(results, report, mode)
            .map(|(metric, s)| {
                let ci = s.ci95.map_or(String::new(), |[lo, hi]| {
                    format!(", 95% CI [{lo:.4}, {hi:.4}]")
                });
                format!(
                    "{metric} {:.4} ± {:.4} (min {:.4}, max {:.4}{ci}) over {} runs; ",
                    s.mean, s.std, s.min, s.max, s.n
                )
            })
            .unwrap_or_default();
        println!("  {mode:<11} {line}{}", verdict.word());
    }
}

/// The stats of `mode`'s reference setting (every axis but the seeds at its first value):
/// accuracy where the runs report it, else loss.
fn reference_stats<'a>(
    results: &SweepResults,
    report: &'a SweepReport,
    mode: &str,
) -> Option<(&'a str, &'a ditto_train::sweep::Summary)> {
    let s = report.stats.iter().find(|s| {
        s.setting.get("mode").map(String::as_str) == Some(mode)
            && results
                .axes
                .iter()
                .filter(|a| a.kind.role() != Role::Randomness && a.name != "mode")
                .all(|a| s.setting.get(&a.name) == a.values.first())
    })?;
    ["accuracy", "loss"]
        .into_iter()
        .find_map(|m| s.metrics.get_key_value(m))
        .map(|(k, v)| (k.as_str(), v))
}

/// Per mode, the accuracies of the runs of its reference setting (for the figure).
fn strips(results: &SweepResults) -> Vec<(String, Vec<f64>)> {
    let mut modes: Vec<String> = Vec::new();
    for c in &results.cells {
        let m = c.mode.to_string();
        if !modes.contains(&m) {
            modes.push(m);
        }
    }
    modes
        .into_iter()
        .map(|mode| {
            let values = results
                .cells
                .iter()
                .filter(|c| c.mode.to_string() == mode)
                .filter(|c| {
                    results
                        .axes
                        .iter()
                        .filter(|a| a.kind.role() != Role::Randomness && a.name != "mode")
                        .all(|a| c.key.get(&a.name) == a.values.first())
                })
                .filter_map(|c| c.metrics.get("accuracy").copied())
                .collect();
            (mode, values)
        })
        .collect()
}

/// A comma list of counts, each at least 1.
fn positive(list: &str, flag: &str) -> Res<Vec<usize>> {
    let v = sweep::parse_list::<usize>(list, flag)?;
    if v.contains(&0) {
        return Err(format!("{flag}: a count of 0").into());
    }
    Ok(v)
}
