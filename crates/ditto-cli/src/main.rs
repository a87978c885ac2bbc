//! `ditto`: train, resume, verify and inspect bit-reproducible runs.

mod examples;
mod sweep;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ditto_train::{
    Checkpoint, Provenance, RunOptions, RunState, RunSummary, TrainConfig, TrainData,
};

/// Bit-reproducible training on Burn: same seed and config, same trained weights.
#[derive(Parser)]
#[command(name = "ditto", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train from a config file or a bundled example, and print the weights' fingerprint.
    Train {
        /// A TOML config (missing fields take their defaults).
        #[arg(long, conflicts_with = "example", required_unless_present = "example")]
        config: Option<PathBuf>,
        /// A bundled example: `digits-mlp` or `fashion-cnn`.
        #[arg(long)]
        example: Option<String>,
        /// Override the config's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Run directory (default: `runs/<example or config name>-seed<N>`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override the config's backend.
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
        /// Override the config's kernel mode: `run-to-run` (the default), `canonical` (ditto's
        /// canonical kernels: the same bits for any thread count and instruction set), or
        /// `off` (plain Burn, no decorator: the baseline).
        #[arg(long)]
        mode: Option<String>,
        /// CPU threads (rayon and matmul); never changes the result.
        #[arg(long)]
        threads: Option<usize>,
        /// Data-loader workers; never changes the result.
        #[arg(long)]
        workers: Option<usize>,
        /// Stop after this many steps.
        #[arg(long)]
        max_steps: Option<usize>,
        /// Stop (after writing `last.safetensors`) at this step; `ditto resume` continues.
        #[arg(long)]
        stop_at: Option<usize>,
        /// Print the complete resolved config and exit.
        #[arg(long)]
        print_config: bool,
    },
    /// Continue a run from its newest checkpoint (or from the given checkpoint file).
    Resume {
        /// A run directory or a checkpoint file.
        path: PathBuf,
        /// Stop at this step (total, not additional).
        #[arg(long)]
        max_steps: Option<usize>,
        /// CPU threads; never changes the result.
        #[arg(long)]
        threads: Option<usize>,
        /// Override the run's backend (run-to-run results hold on the same backend only).
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
    },
    /// Exit 0 if two runs' traces and final weights are bitwise identical; else say where
    /// they first diverge and exit 1.
    Verify {
        /// First run directory.
        a: PathBuf,
        /// Second run directory.
        b: PathBuf,
    },
    /// Re-run a finished run from its own config in a fresh directory and verify that every
    /// step and the final weights come out bitwise identical (exit 0), or where they do not.
    Replay {
        /// The run directory to replay, or one checkpoint: the run is rebuilt from the
        /// checkpoint's embedded config and trained to its step, and every tensor and the
        /// state must come out identical.
        run: PathBuf,
        /// Where to write the replay (default: `<run>-replay`, or `<checkpoint>-replay`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override the backend for the replay.
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
        /// CPU threads for the replay; never changes the result.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Print a checkpoint's config, seed, positions, random states, provenance and tensors.
    Inspect {
        /// A checkpoint file (or a run directory: its final or newest checkpoint).
        path: PathBuf,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a grid of seeds x threads x workers x backends x modes and report the spread across
    /// seeds next to the drift across everything else (which must be zero). Exit 0 when every
    /// mode that promises bitwise results (run-to-run, canonical) shows zero drift, 1 when one
    /// does not, 2 on errors or failed cells. A rerun skips the cells already finished.
    Sweep {
        /// A TOML config.
        #[arg(long, conflicts_with = "example", required_unless_present = "example")]
        config: Option<PathBuf>,
        /// A bundled example: `digits-mlp` or `fashion-cnn`.
        #[arg(long)]
        example: Option<String>,
        /// Seeds: a range `A..B` (B excluded) or a list `1,5,9`.
        #[arg(long, default_value = "0..5")]
        seeds: String,
        /// Thread counts (comma list); the first is the reference.
        #[arg(long, default_value = "1")]
        threads: String,
        /// Loader worker counts (comma list); the first is the reference.
        #[arg(long, default_value = "0")]
        workers: String,
        /// Backends (comma list); the first is the reference.
        #[arg(long, default_value = "ndarray")]
        backends: String,
        /// Kernel modes (comma list): run-to-run, canonical, off.
        #[arg(long, default_value = "run-to-run")]
        modes: String,
        /// Steps per cell (default: the config's).
        #[arg(long)]
        max_steps: Option<usize>,
        /// Output directory (cells, report.md, report.json, accuracy.svg).
        #[arg(long)]
        out: PathBuf,
        /// Cells run at once (each in its own process; results never depend on it, step
        /// times do).
        #[arg(long, default_value_t = 1)]
        jobs: usize,
    },
    /// Print the provenance a run would record on this machine (JSON).
    Env {
        /// Backend to describe.
        #[arg(long, value_enum, default_value_t = BackendArg::Ndarray)]
        backend: BackendArg,
        /// CPU threads to describe.
        #[arg(long)]
        threads: Option<usize>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Ndarray,
    #[cfg(feature = "wgpu")]
    Wgpu,
}

impl BackendArg {
    fn name(self) -> &'static str {
        match self {
            Self::Ndarray => "ndarray",
            #[cfg(feature = "wgpu")]
            Self::Wgpu => "wgpu",
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
        Command::Train {
            config,
            example,
            seed,
            out,
            backend,
            mode,
            threads,
            workers,
            max_steps,
            stop_at,
            print_config,
        } => {
            let (mut cfg, name) = load_config(config.as_deref(), example.as_deref())?;
            if let Some(s) = seed {
                cfg.seed = s;
            }
            if let Some(w) = workers {
                cfg.workers = w;
            }
            if let Some(m) = max_steps {
                cfg.max_steps = Some(m);
            }
            if let Some(b) = backend {
                cfg.backend = b.name().into();
            }
            if let Some(m) = mode {
                cfg.mode = m;
            }
            cfg.validate()?;
            if print_config {
                print!("{}", cfg.to_toml());
                return Ok(ExitCode::SUCCESS);
            }
            set_threads(threads)?;
            let out = out.unwrap_or_else(|| PathBuf::from(format!("runs/{name}-seed{}", cfg.seed)));
            let summary = train(&cfg, None, &out, stop_at)?;
            report(&summary, &out);
            Ok(ExitCode::SUCCESS)
        }
        Command::Resume {
            path,
            max_steps,
            threads,
            backend,
        } => {
            set_threads(threads)?;
            let (ck_path, out) = locate(&path)?;
            let ck = Checkpoint::read(&ck_path)?;
            let state: RunState = serde_json::from_value(ck.state.clone()).map_err(|e| {
                format!("{}: not a ditto trainer checkpoint: {e}", ck_path.display())
            })?;
            eprintln!("resuming {} at step {}", ck_path.display(), state.step);
            let mut cfg = state.config;
            if let Some(b) = backend {
                cfg.backend = b.name().into();
            }
            let summary = train(&cfg, Some(&ck), &out, max_steps)?;
            report(&summary, &out);
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { a, b } => Ok(if verify::verify(&a, &b)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }),
        Command::Replay {
            run,
            out,
            backend,
            threads,
        } => {
            set_threads(threads)?;
            let default_out = || {
                let mut name = run.as_os_str().to_owned();
                name.push("-replay");
                PathBuf::from(name)
            };
            let out = out.unwrap_or_else(default_out);
            if out.join("trace.jsonl").exists() {
                return Err(
                    format!("{} already holds a run; pass another --out", out.display()).into(),
                );
            }
            if run.is_file() {
                let ck = Checkpoint::read(&run)?;
                let state: RunState = serde_json::from_value(ck.state.clone()).map_err(|e| {
                    format!("{}: not a ditto trainer checkpoint: {e}", run.display())
                })?;
                let mut cfg = state.config.clone();
                if let Some(b) = backend {
                    cfg.backend = b.name().into();
                }
                eprintln!(
                    "replaying {} from scratch to step {}",
                    run.display(),
                    state.step
                );
                let summary = train(&cfg, None, &out, Some(state.step))?;
                report(&summary, &out);
                let produced = ["last.safetensors", "final.safetensors"]
                    .iter()
                    .map(|n| out.join(n))
                    .find(|p| p.is_file())
                    .ok_or("the replay wrote no checkpoint")?;
                let again = Checkpoint::read(&produced)?;
                return Ok(if verify::same_checkpoint(&ck, &again) {
                    println!(
                        "IDENTICAL: every tensor and the state match at step {}",
                        state.step
                    );
                    ExitCode::SUCCESS
                } else {
                    println!("DIFFERENT");
                    ExitCode::from(1)
                });
            }
            let text = std::fs::read_to_string(run.join("config.toml")).map_err(|e| {
                format!("{}: not a run directory or checkpoint: {e}", run.display())
            })?;
            let mut cfg = TrainConfig::from_toml(&text)?;
            if let Some(b) = backend {
                cfg.backend = b.name().into();
            }
            let summary = train(&cfg, None, &out, None)?;
            report(&summary, &out);
            Ok(if verify::verify(&run, &out)? {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Inspect { path, json } => {
            let file = if path.is_dir() {
                let fin = path.join("final.safetensors");
                if fin.is_file() { fin } else { locate(&path)?.0 }
            } else {
                path
            };
            let (ck, integrity) = Checkpoint::read_verified(&file)?;
            let tensors: serde_json::Map<String, serde_json::Value> = ck
                .tensors
                .iter()
                .map(|(name, t)| {
                    (
                        name.clone(),
                        serde_json::json!({
                            "dtype": format!("{:?}", t.dtype),
                            "shape": t.shape,
                            "blake3": t.blake3(),
                        }),
                    )
                })
                .collect();
            if json {
                let doc = serde_json::json!({
                    "checkpoint": file.display().to_string(),
                    "integrity": integrity.describe(),
                    "state": ck.state,
                    "provenance": ck.provenance,
                    "tensors": tensors,
                });
                println!("{}", serde_json::to_string_pretty(&doc)?);
                return Ok(ExitCode::SUCCESS);
            }
            let st = &ck.state;
            println!("checkpoint: {}", file.display());
            println!("integrity: {}", integrity.describe());
            println!(
                "step {}  next batch: epoch {} batch {}",
                st["step"], st["epoch"], st["batch"]
            );
            println!(
                "seed {}  mode {}  backend {}",
                st["config"]["seed"], st["config"]["mode"], st["config"]["backend"]
            );
            println!("fingerprint: {}", st["fingerprint"].as_str().unwrap_or("?"));
            println!(
                "decorator random state: {}",
                serde_json::to_string(&st["backend_rng"])?
            );
            if let Ok(cfg) = serde_json::from_value::<TrainConfig>(st["config"].clone()) {
                println!("config:");
                for line in cfg.to_toml().lines() {
                    println!("  {line}");
                }
            }
            println!(
                "provenance: {}",
                serde_json::to_string_pretty(&ck.provenance)?
            );
            println!("tensors:");
            for (name, t) in &ck.tensors {
                println!(
                    "  {name:<32} {:?} {:?} blake3 {}",
                    t.dtype,
                    t.shape,
                    &t.blake3()[..16]
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sweep {
            config,
            example,
            seeds,
            threads,
            workers,
            backends,
            modes,
            max_steps,
            out,
            jobs,
        } => {
            let (cfg, _) = load_config(config.as_deref(), example.as_deref())?;
            let threads = sweep::parse_list::<usize>(&threads, "--threads")?;
            if threads.contains(&0) {
                return Err("--threads: a thread count of 0".into());
            }
            let backends = sweep::parse_list::<String>(&backends, "--backends")?;
            for b in &backends {
                if !BackendArg::value_variants().iter().any(|v| v.name() == b) {
                    return Err(format!("--backends: {b:?} is not available in this build").into());
                }
            }
            if jobs == 0 {
                return Err("--jobs must be at least 1".into());
            }
            let sw = sweep::Sweep {
                config: cfg,
                seeds: sweep::parse_seeds(&seeds)?,
                threads,
                workers: sweep::parse_list(&workers, "--workers")?,
                backends,
                modes: sweep::parse_list(&modes, "--modes")?,
                max_steps,
                out: out.clone(),
                jobs,
            };
            let (report, skipped) = sw.run()?;
            println!(
                "sweep: {} ({} cells, {skipped} reused)",
                out.display(),
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
            println!("report: {}", out.join("report.md").display());
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
        Command::Env { backend, threads } => {
            set_threads(threads)?;
            let (name, device) = match backend {
                BackendArg::Ndarray => (
                    "ditto<ndarray>".to_string(),
                    format!("{:?}", burn::backend::ndarray::NdArrayDevice::default()),
                ),
                #[cfg(feature = "wgpu")]
                BackendArg::Wgpu => (
                    "ditto<wgpu>".to_string(),
                    format!("{:?}", burn::backend::wgpu::WgpuDevice::default()),
                ),
            };
            let p = Provenance::collect(&name, &device);
            println!("{}", serde_json::to_string_pretty(&p)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The config from `--config FILE` or `--example NAME`, and a name for the run directory.
fn load_config(
    config: Option<&Path>,
    example: Option<&str>,
) -> Result<(TrainConfig, String), Box<dyn std::error::Error>> {
    Ok(match (config, example) {
        (Some(path), _) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let stem = path
                .file_stem()
                .map_or("run".into(), |s| s.to_string_lossy().into_owned());
            (
                TrainConfig::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?,
                stem,
            )
        }
        (None, Some(ex)) => (examples::config(ex)?, ex.to_owned()),
        (None, None) => return Err("give --config FILE or --example NAME".into()),
    })
}

fn train(
    cfg: &TrainConfig,
    resume: Option<&Checkpoint>,
    out: &Path,
    stop_at: Option<usize>,
) -> Result<RunSummary, Box<dyn std::error::Error>> {
    // One writer per run directory; also fails early on an unwritable or uncreatable `out`.
    let lock = ditto_train::RunLock::acquire(out)?;
    if let Some(pid) = lock.took_over() {
        eprintln!("note: took over the stale lock of process {pid}, which no longer runs");
    }
    let data = TrainData::bundled(cfg)?;
    let opts = RunOptions {
        stop_at,
        verbose: true,
    };
    fn on<I: ditto_kernels::Inner>(
        data: &TrainData,
        cfg: &TrainConfig,
        resume: Option<&Checkpoint>,
        out: &Path,
        opts: &RunOptions,
    ) -> Result<RunSummary, ditto_train::Error> {
        ditto_train::train::<I>(data, cfg, resume, out, &Default::default(), opts)
    }
    Ok(match cfg.backend.as_str() {
        "ndarray" => on::<burn::backend::NdArray>(&data, cfg, resume, out, &opts)?,
        #[cfg(feature = "wgpu")]
        "wgpu" => on::<burn::backend::Wgpu>(&data, cfg, resume, out, &opts)?,
        other => {
            return Err(format!("backend {other:?} is not available in this build").into());
        }
    })
}

fn report(s: &RunSummary, out: &Path) {
    println!("run: {}", out.display());
    println!("steps: {}", s.steps);
    println!(
        "test accuracy: {:.4}  test loss: {:.5}",
        s.test_accuracy, s.test_loss
    );
    println!("fingerprint: {}", s.fingerprint);
}

/// `path` is a checkpoint file (its run directory is two levels up for `checkpoints/step-*`,
/// one level up otherwise) or a run directory (its newest step checkpoint or `last`).
fn locate(path: &Path) -> Result<(PathBuf, PathBuf), Box<dyn std::error::Error>> {
    if path.is_file() {
        let parent = path.parent().unwrap_or(Path::new("."));
        let out = if parent.file_name().is_some_and(|n| n == "checkpoints") {
            parent.parent().unwrap_or(Path::new(".")).to_path_buf()
        } else {
            parent.to_path_buf()
        };
        return Ok((path.to_path_buf(), out));
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(path.join("checkpoints"))
        .map_err(|e| format!("{}: not a run directory: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    candidates.sort();
    let newest_step = candidates.last().cloned();
    let last = path.join("last.safetensors");
    let step_of = |p: &Path| -> usize {
        Checkpoint::read(p)
            .ok()
            .and_then(|c| c.state["step"].as_u64())
            .map_or(0, |s| s as usize)
    };
    let pick = match (newest_step, last.is_file()) {
        (Some(s), true) => {
            if step_of(&last) > step_of(&s) {
                last
            } else {
                s
            }
        }
        (Some(s), false) => s,
        (None, true) => last,
        (None, false) => {
            return Err(format!("{}: no checkpoint to resume from", path.display()).into());
        }
    };
    Ok((pick, path.to_path_buf()))
}

#[allow(unsafe_code)]
fn set_threads(threads: Option<usize>) -> Result<(), Box<dyn std::error::Error>> {
    let Some(n) = threads else { return Ok(()) };
    if n == 0 {
        return Err("--threads must be at least 1".into());
    }
    // SAFETY: called at start-up, before this process has spawned any thread, so nothing can
    // read the environment concurrently.
    unsafe {
        std::env::set_var("MATMUL_NUM_THREADS", n.to_string());
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()?;
    Ok(())
}
