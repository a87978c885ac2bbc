//! `ditto attest RUN` (Markdown, `--json`, `--latex`), and `ditto attest --verify FILE`
//! (`attest_verify.rs`).

use std::path::PathBuf;
use std::process::ExitCode;

use ditto_train::Statement;

use crate::cmd::Res;

/// The arguments of `ditto attest`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The run directory to attest: what it trained (parameter table and hashes), on which
    /// data (hashes), with which config and seeds, in which environment, what it reached
    /// (final fingerprint and metrics) and what was verified where.
    #[arg(required_unless_present = "verify", conflicts_with = "verify")]
    pub(crate) run: Option<PathBuf>,
    /// Print the statement as JSON (what `--verify` reads).
    #[arg(long, conflicts_with = "latex")]
    pub(crate) json: bool,
    /// Print the statement as LaTeX tables, for `\input` into a paper.
    #[arg(long)]
    pub(crate) latex: bool,
    /// Check the statement in FILE (`ditto attest RUN --json`) on this machine: its data
    /// against the files, then a replay of its config (a model ditto built) or the run
    /// directory given with `--run` (a model a program built: run the program again first).
    /// Every claim is confirmed or printed with both values. Exit 0 when every claim holds,
    /// 1 when one does not (nothing is trained when the data already differs).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["json", "latex"])]
    pub(crate) verify: Option<PathBuf>,
    /// With `--verify`: compare with this run directory instead of replaying (a rerun made
    /// by the run's program, or a copy of the run).
    #[arg(long = "run", value_name = "DIR", requires = "verify")]
    pub(crate) run_dir: Option<PathBuf>,
    /// With `--verify`: where to write the replay (default: `FILE-replay`).
    #[arg(
        long,
        value_name = "DIR",
        requires = "verify",
        conflicts_with = "run_dir"
    )]
    pub(crate) out: Option<PathBuf>,
    /// With `--verify`: look for the run's data files in this directory (under their
    /// recorded names); their content must still match the statement.
    #[arg(long, value_name = "DIR", requires = "verify")]
    pub(crate) data_dir: Option<PathBuf>,
    /// With `--verify`: CPU threads for the replay; never changes the result.
    #[arg(long, requires = "verify")]
    pub(crate) threads: Option<usize>,
}

/// Prints the statement, or checks one.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    if let Some(file) = &a.verify {
        crate::cmd::set_threads(a.threads)?;
        return crate::cmd::attest_verify::verify(
            file,
            a.run_dir.as_deref(),
            a.out.as_deref(),
            a.data_dir.as_deref(),
        );
    }
    let run = a.run.ok_or("give a run directory, or --verify FILE")?;
    let s = Statement::of_run(&run)?;
    if a.json {
        println!("{}", s.to_json());
    } else if a.latex {
        print!("{}", s.to_latex());
    } else {
        print!("{}", s.to_markdown());
    }
    Ok(ExitCode::SUCCESS)
}
