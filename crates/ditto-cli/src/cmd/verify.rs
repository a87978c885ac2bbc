//! `ditto verify`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cmd::Res;

/// The arguments of `ditto verify`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// First run directory.
    pub(crate) a: PathBuf,
    /// Second run directory.
    pub(crate) b: PathBuf,
    /// Compare the runs' op traces (recorded with `--trace-ops`) instead: the first op whose
    /// inputs are bit-equal in both runs and whose output differs (its step, index, name,
    /// shapes, first differing element, both values and their ULP distance), or where the
    /// traces stop lining up.
    #[arg(long)]
    pub(crate) ops: bool,
    /// Compare format-version-1 checkpoints (written before header hashes) too: only their
    /// tensor bytes are verified, not their config, state or provenance (a warning says so).
    /// Without it they are refused.
    #[arg(long)]
    pub(crate) allow_unverified_header: bool,
}

/// Compares the two runs (`ditto_train::compare_runs`, or `compare_op_traces` with `--ops`)
/// and prints where they differ.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    let identical = if a.ops {
        let c = ditto_train::compare_op_traces(&a.a, &a.b)?;
        println!("{c}");
        c.identical()
    } else {
        let options = crate::cmd::read_options(a.allow_unverified_header);
        for dir in [&a.a, &a.b] {
            warn_unverified(dir, options);
        }
        let c = ditto_train::compare_runs_with(&a.a, &a.b, options)?;
        println!("{c}");
        c.identical()
    };
    Ok(if identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Warns on stderr when `dir`'s final checkpoint (`final`, else `last`) has an unverified
/// header that `options` let through (a version-1 file).
fn warn_unverified(dir: &Path, options: ditto_train::ReadOptions) {
    let file = ["final.safetensors", "last.safetensors"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file());
    if let Some(file) = file
        && let Ok(h) = ditto_train::Checkpoint::read_header_with(&file, options)
        && let Some(warning) = h.integrity.unverified_warning(&file)
    {
        eprintln!("{warning}");
    }
}
