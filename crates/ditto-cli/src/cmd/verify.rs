//! `ditto verify`.

use std::path::PathBuf;
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
}

/// Compares the two runs (`ditto_train::compare_runs`, or `compare_op_traces` with `--ops`)
/// and prints where they differ.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    let identical = if a.ops {
        let c = ditto_train::compare_op_traces(&a.a, &a.b)?;
        println!("{c}");
        c.identical()
    } else {
        let c = ditto_train::compare_runs(&a.a, &a.b)?;
        println!("{c}");
        c.identical()
    };
    Ok(if identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
