//! The command line: every subcommand and flag (clap).

use clap::{Parser, Subcommand};

/// Bit-reproducible training on Burn: same seed and config, same trained weights.
#[derive(Parser)]
#[command(name = "ditto", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Train from a config file or a bundled example, and print the weights' fingerprint.
    Train(crate::cmd::train::Args),
    /// Continue a run from its newest checkpoint (or from the given checkpoint file).
    Resume(crate::cmd::resume::Args),
    /// Exit 0 if two runs' traces and final weights are bitwise identical; else say where
    /// they first diverge and exit 1. With `--ops`: compare their op traces (`--trace-ops`)
    /// and name the first op that computed other bits from equal inputs.
    Verify(crate::cmd::verify::Args),
    /// Re-run a finished run from its own config in a fresh directory and verify that every
    /// step and the final weights come out bitwise identical (exit 0), or where they do not.
    Replay(crate::cmd::replay::Args),
    /// Print a checkpoint's config, seed, positions, random states, provenance and tensors.
    Inspect(crate::cmd::inspect::Args),
    /// Run a grid of seeds (root or per source) x hyperparameters x threads x workers x SIMD
    /// levels x backends x peers x modes, each cell its own process, and report each metric's
    /// mean, spread and 95% interval over the seeds, how much of the spread each axis
    /// explains, and every environment difference judged against what the cell's mode
    /// promises for it. Exit 0 when no promise is broken (differences the mode never promised
    /// are reported as expected), 1 when one is, 2 on errors or failed cells. A rerun skips
    /// the cells already finished. `ditto sweep merge A B --out C` joins sweeps made on
    /// several machines into one report.
    Sweep(Box<crate::cmd::sweep::Args>),
    /// Print the provenance a run would record on this machine (JSON). With `--check RUN`:
    /// compare this machine with the run's recorded environment and say, per mode, whether
    /// the same bits are owed here (exit 0 when the run's mode owes them, 1 when not).
    Env(crate::cmd::env::Args),
    /// Print a statement of a finished run (Markdown, `--json`, `--latex`): what it trained,
    /// on which data, with which config and seeds, in which environment, what it reached and
    /// what was verified where. With `--verify FILE`: check a statement on this machine (exit
    /// 0 when every claim holds, 1 when one does not).
    Attest(crate::cmd::attest::Args),
    /// Write a trained bundled model's outputs for new inputs (IDX or CSV) as CSV: one row
    /// per input, its predicted class and every class's logit. In canonical mode each
    /// input's outputs are the same bits for any batch size, position and thread count.
    Predict(crate::cmd::predict::Args),
    /// Write a run's trained weights as a plain safetensors file in f32 (bit for bit), f16
    /// or bf16 (rounded to nearest, ties to even), the tensors named by parameter path, and
    /// print per tensor how many values were rounded, overflowed to infinity, flushed to
    /// zero or became subnormal. Refuses to replace a file unless `--force`.
    Export(crate::cmd::export::Args),
}
