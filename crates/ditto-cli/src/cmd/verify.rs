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
}

/// Compares the two runs (`ditto_train::compare_runs`) and prints where they differ.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    let c = ditto_train::compare_runs(&a.a, &a.b)?;
    println!("{c}");
    Ok(if c.identical() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
