//! `ditto export`: a run's trained weights as a plain safetensors file in f32, f16 or bf16,
//! with a per-tensor report of what the conversion changed.

use std::path::PathBuf;

use ditto_train::{Dtype, Weights, export_weights};

use crate::cmd::Res;

/// The arguments of `ditto export`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The run directory (its `final.safetensors`, else `last.safetensors`; see `--best` and
    /// `--checkpoint`), or one checkpoint file.
    #[arg(required_unless_present = "checkpoint")]
    pub(crate) run: Option<PathBuf>,
    /// The element type written: `f32` (the weights bit for bit), `f16` or `bf16` (each value
    /// rounded to nearest, ties to even: CANONICAL.md, "Half-precision conversion").
    #[arg(long, value_enum)]
    pub(crate) dtype: DtypeArg,
    /// Export the run's best checkpoint by its validation metric (`summary.json`'s `best`).
    #[arg(long, conflicts_with = "checkpoint")]
    pub(crate) best: bool,
    /// Export this checkpoint (relative to RUN when RUN is given), or a plain safetensors
    /// file of weights (`f32`, `f16` or `bf16`).
    #[arg(long, value_name = "PATH")]
    pub(crate) checkpoint: Option<PathBuf>,
    /// The safetensors file to write (atomically); tensors are named by parameter path
    /// (the checkpoint's `model.` tensors without the prefix).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// Replace `--out` if it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// Read a format-version-1 checkpoint (no header hash): only its tensor bytes are
    /// verified (a warning says so).
    #[arg(long)]
    pub(crate) allow_unverified_header: bool,
}

/// The dtypes `--dtype` takes.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DtypeArg {
    F32,
    F16,
    Bf16,
}

impl DtypeArg {
    fn dtype(self) -> Dtype {
        match self {
            DtypeArg::F32 => Dtype::F32,
            DtypeArg::F16 => Dtype::F16,
            DtypeArg::Bf16 => Dtype::BF16,
        }
    }
}

/// Writes the weights and prints the report.
pub(crate) fn exec(a: Args) -> Res<()> {
    let path = match (&a.run, &a.checkpoint) {
        (Some(run), Some(ck)) => run.join(ck),
        (None, Some(ck)) => ck.clone(),
        (Some(run), None) => crate::cmd::checkpoint_path(run, a.best)?,
        (None, None) => return Err("give a run directory or --checkpoint PATH".into()),
    };
    if !path.is_file() {
        return Err(format!("{}: no such checkpoint file", path.display()).into());
    }
    if a.out.exists() && same_file(&path, &a.out) {
        return Err(format!(
            "{}: --out is the checkpoint being exported; choose another file",
            a.out.display()
        )
        .into());
    }
    let options = crate::cmd::read_options(a.allow_unverified_header);
    let weights = Weights::read_with(&path, options)?;
    let source = match &weights.integrity {
        Some(i) => {
            if let Some(warning) = i.unverified_warning(&path) {
                eprintln!("{warning}");
            }
            format!("ditto checkpoint, {}", i.describe())
        }
        None => "plain safetensors weights, nothing to verify them against".to_owned(),
    };
    let dtype = a.dtype.dtype();
    eprintln!(
        "exporting {} ({source}) as {}",
        path.display(),
        dtype.name()
    );
    let report = export_weights(&weights, dtype, &a.out, a.force).map_err(|e| match e.kind() {
        ditto_train::ErrorKind::Exists => format!("{e}; pass --force to replace it"),
        _ => e.to_string(),
    })?;
    print!("{report}");
    let t = report.totals();
    println!(
        "wrote {} ({} tensors, {} values as {}, {} bytes): {} rounded, {} overflowed to \
         infinity, {} flushed to zero, {} subnormal",
        a.out.display(),
        report.tensors.len(),
        t.values,
        dtype.name(),
        report.bytes,
        t.rounded,
        t.overflowed,
        t.flushed,
        t.subnormal
    );
    Ok(())
}

/// Whether `a` and `b` name the same file (both exist).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
