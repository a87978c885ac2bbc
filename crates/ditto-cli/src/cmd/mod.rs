//! The subcommands, one file each, and what they share: loading a config, training on the
//! configured backend, printing a summary, setting the thread count.

pub(crate) mod attest;
pub(crate) mod attest_verify;
pub(crate) mod env;
pub(crate) mod export;
pub(crate) mod here;
pub(crate) mod inspect;
pub(crate) mod predict;
pub(crate) mod replay;
pub(crate) mod resume;
pub(crate) mod sweep;
pub(crate) mod train;
pub(crate) mod verify;

use std::path::{Path, PathBuf};

use ditto_train::{
    BackendKind, Checkpoint, ReadOptions, RunSummary, StepRange, TrainConfig, TrainData, Trainer,
};

use crate::examples;

pub(crate) type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The config from `--config FILE` (its data files' relative paths made relative to the
/// file's directory) or `--example NAME`, and a name for the run directory.
pub(crate) fn load_config(
    config: Option<&Path>,
    example: Option<&str>,
) -> Res<(TrainConfig, String)> {
    Ok(match (config, example) {
        (Some(path), _) => {
            let stem = path
                .file_stem()
                .map_or("run".into(), |s| s.to_string_lossy().into_owned());
            (TrainConfig::from_file(path)?, stem)
        }
        (None, Some(ex)) => (examples::config(ex)?, ex.to_owned()),
        (None, None) => return Err("give --config FILE or --example NAME".into()),
    })
}

/// The recorded config of a run being resumed or replayed, its data files looked up in
/// `data_dir` when given (their recorded pins still hold).
pub(crate) fn relocated(mut cfg: TrainConfig, data_dir: Option<&Path>) -> Res<TrainConfig> {
    if let Some(dir) = data_dir {
        if cfg.data.source.files().is_empty() {
            return Err(format!(
                "--data-dir: this run's data ({}) is not read from files",
                cfg.data.source.describe()
            )
            .into());
        }
        cfg.data.source.relocate(dir);
    }
    Ok(cfg)
}

/// Trains the bundled model of `cfg` on its backend and its data (from `resume` if given) into
/// `out`, replacing a run already there only with `overwrite`. The data is read, and checked
/// against any recorded pins, before anything is written.
pub(crate) fn train(
    cfg: &TrainConfig,
    resume: Option<Checkpoint>,
    out: &Path,
    stop_at: Option<usize>,
    trace_ops: Option<StepRange>,
    overwrite: bool,
) -> Res<RunSummary> {
    let data = TrainData::from_config(cfg)?;
    let mut trainer = Trainer::new(cfg.clone())?
        .program_info(ditto_train::build_info!())
        .out(out)
        .verbose(true)
        .overwrite(overwrite);
    if let Some(ck) = resume {
        trainer = trainer.from_checkpoint(ck);
    }
    if let Some(s) = stop_at {
        trainer = trainer.stop_at(s);
    }
    if let Some(r) = trace_ops {
        trainer = trainer.trace_ops(r);
    }
    Ok(match cfg.backend {
        BackendKind::Ndarray => {
            trainer.fit_bundled::<burn::backend::NdArray>(&data, &Default::default())?
        }
        #[cfg(feature = "wgpu")]
        BackendKind::Wgpu => {
            trainer.fit_bundled::<burn::backend::Wgpu>(&data, &Default::default())?
        }
        #[cfg(not(feature = "wgpu"))]
        BackendKind::Wgpu => return Err("backend wgpu is not available in this build".into()),
    })
}

/// The checkpoint readers' options for `--allow-unverified-header`.
pub(crate) fn read_options(allow_unverified_header: bool) -> ReadOptions {
    if allow_unverified_header {
        ReadOptions::allowing_unverified_header()
    } else {
        ReadOptions::default()
    }
}

/// Reads and verifies the checkpoint at `path` with `options`, warning on stderr when its
/// header is unverified (a version-1 file loaded with `--allow-unverified-header`).
pub(crate) fn read_checkpoint(path: &Path, options: ReadOptions) -> Res<Checkpoint> {
    let (ck, integrity) = Checkpoint::read_with(path, options)?;
    if let Some(warning) = integrity.unverified_warning(path) {
        eprintln!("{warning}");
    }
    Ok(ck)
}

/// The checkpoint a command reads (`predict`, `export`): a file as given; in a run
/// directory, the best one by the validation metric (`best`), else `final.safetensors`, else
/// `last.safetensors`.
pub(crate) fn checkpoint_path(run: &Path, best: bool) -> Res<PathBuf> {
    if run.is_file() {
        if best {
            return Err("--best picks a checkpoint of a run directory; a file was given".into());
        }
        return Ok(run.to_path_buf());
    }
    if !run.is_dir() {
        return Err(format!("{}: no such run directory or checkpoint", run.display()).into());
    }
    if best {
        let text = std::fs::read_to_string(run.join("summary.json")).map_err(|e| {
            format!(
                "{}: --best needs the finished run's summary.json: {e}",
                run.display()
            )
        })?;
        let summary: RunSummary = serde_json::from_str(&text)
            .map_err(|e| format!("{}: summary.json: {e}", run.display()))?;
        let step = summary
            .best
            .ok_or("--best: the run recorded no best checkpoint (it had no validation split)")?
            .step;
        let p = run
            .join("checkpoints")
            .join(format!("best-{step:08}.safetensors"));
        if !p.is_file() {
            return Err(format!(
                "--best: {} is missing (the run kept no best checkpoints: set \
                 validation.keep_best)",
                p.display()
            )
            .into());
        }
        return Ok(p);
    }
    for name in ["final.safetensors", "last.safetensors"] {
        let p = run.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(format!(
        "{}: no final.safetensors or last.safetensors: pass a checkpoint file",
        run.display()
    )
    .into())
}

/// Prints a finished run's summary.
pub(crate) fn report(s: &RunSummary, out: &Path) {
    println!("run: {}", out.display());
    println!("steps: {}", s.steps);
    match (s.accuracy(), s.test_loss) {
        (Some(a), Some(l)) => println!("test accuracy: {a:.4}  test loss: {l:.5}"),
        (None, Some(l)) => println!("test loss: {l:.5}"),
        (_, None) => println!("test split: not evaluated (it is, once, when training ends)"),
    }
    if let Some(b) = s.best {
        println!("best validation: {:.5} at step {}", b.value, b.step);
    }
    if let Some(at) = s.stopped_early_at {
        println!("early stopping ended the run at step {at}");
    }
    println!("fingerprint: {}", s.fingerprint);
}

/// Sets rayon's and matrixmultiply's thread counts; call before any thread starts.
#[allow(unsafe_code)]
pub(crate) fn set_threads(threads: Option<usize>) -> Res<()> {
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
