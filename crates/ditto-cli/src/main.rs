//! `ditto`: train, resume, verify and inspect bit-reproducible runs.
//!
//! One file per subcommand under `cmd/` (each with its `Args` and `exec`), as cargo's
//! `commands/` does; the work itself is in `ditto-train`, so other programs can call it.

mod alloc;
mod backend_arg;
mod cli;
mod cmd;
mod examples;
mod sweep;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    alloc::keep_freed_memory();
    let cli = Cli::parse();
    // An unknown `DITTO_SIMD` is refused before any command runs (the kernels would run their
    // scalar path; a typo must not pass unnoticed).
    if let Err(e) = ditto_kernels::canonical::Isa::try_active() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Train(a) => cmd::train::exec(a),
        Command::Resume(a) => cmd::resume::exec(a),
        Command::Verify(a) => cmd::verify::exec(a),
        Command::Replay(a) => cmd::replay::exec(a),
        Command::Inspect(a) => cmd::inspect::exec(a),
        Command::Sweep(a) => cmd::sweep::exec(*a),
        Command::Env(a) => cmd::env::exec(a),
        Command::Attest(a) => cmd::attest::exec(a),
        Command::Predict(a) => cmd::predict::exec(a).map(|()| ExitCode::SUCCESS),
        Command::Export(a) => cmd::export::exec(a).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
