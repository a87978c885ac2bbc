//! Judging two cells that differ only in their environment (threads, workers, peers, SIMD
//! level, backend, machine) against what their mode promises across those differences: the
//! table of REPRODUCIBILITY.md, applied to the two runs' recorded environments exactly as
//! `ditto env --check` applies it to a run and a machine.

use serde::{Deserialize, Serialize};

use crate::config::Mode;
use crate::env_check::EnvCheck;
use crate::sweep::results::CellRecord;

/// Class: not applicable (a judgement of two records). What a difference between two runs
/// means for their mode's promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Bitwise identical final weights.
    Identical,
    /// Different bits where the mode promised none: expected (not promised).
    Expected,
    /// Different bits where the mode promised the same: a broken promise.
    Broken,
}

/// Class: not applicable (a judgement of two records). Two cells of one group (same mode,
/// seeds and hyperparameters) compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// Their mode.
    pub mode: Mode,
    /// The first cell (earlier in the grid).
    pub a: String,
    /// The second cell.
    pub b: String,
    /// The axes whose values differ, as `axis: a-value -> b-value`.
    pub differs_in: Vec<String>,
    /// Whether the mode promises the same bits across every recorded difference.
    pub promised: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// Why: the promise's reason for each recorded difference the mode does not promise
    /// across, or the differences it does promise across.
    pub why: String,
    /// Max ULP distance of any weight, for different bits whose checkpoints were readable.
    pub max_ulp: Option<u64>,
}

/// Whether `a`'s mode promises `b` its bits (both of one mode), and why.
pub(crate) fn promise(a: &CellRecord, b: &CellRecord) -> (bool, String) {
    let mode = a.mode;
    if mode == Mode::Off {
        return (false, "mode off (plain Burn) promises no identity".into());
    }
    let origin = a.origin.or(b.origin);
    let check = EnvCheck::compare(&a.environment(), &b.environment(), mode, origin);
    if check.owed_by(mode) {
        let names: Vec<&str> = check.rows.iter().map(|r| r.factor.name()).collect();
        let why = if names.is_empty() {
            "no recorded difference: the same bits are owed".to_owned()
        } else {
            format!("{mode} promises the same bits across {}", names.join(", "))
        };
        return (true, why);
    }
    let why: Vec<String> = check
        .blocking(mode)
        .iter()
        .map(|r| {
            let p = if mode == Mode::Canonical {
                &r.canonical
            } else {
                &r.run_to_run
            };
            format!("{}: {}", r.factor.name(), p.why())
        })
        .collect();
    (false, format!("not promised across {}", why.join("; ")))
}

/// The verdict on two runs' bits under a promise.
pub(crate) fn verdict(identical: bool, promised: bool) -> Verdict {
    match (identical, promised) {
        (true, _) => Verdict::Identical,
        (false, true) => Verdict::Broken,
        (false, false) => Verdict::Expected,
    }
}
