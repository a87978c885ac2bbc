//! `ditto sweep`: run a grid of seeds x threads x workers x SIMD levels x backends x modes,
//! then report the legitimate variation (across seeds) next to the variation that must be zero
//! (same seed, other threads, workers, SIMD level or backend).
//!
//! The work is split by phase: `runner` (cells as child processes), `analysis` (spread and
//! drift), `markdown` and `plot` (the report's text and figure).

mod analysis;
mod markdown;
mod plot;
mod runner;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ditto_train::TrainConfig;
use serde::{Deserialize, Serialize};

pub(crate) type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The grid and where it goes.
pub struct Sweep {
    pub config: TrainConfig,
    pub seeds: Vec<u64>,
    pub threads: Vec<usize>,
    pub workers: Vec<usize>,
    /// `DITTO_SIMD` levels ([`SIMD_LEVELS`]), set in each cell's environment.
    pub simd: Vec<String>,
    pub backends: Vec<String>,
    pub modes: Vec<String>,
    /// Data-parallel peer counts (`[parallel] peers`).
    pub peers: Vec<usize>,
    /// Micro-batches per peer (`[parallel] accumulate`).
    pub accumulate: Vec<usize>,
    pub max_steps: Option<usize>,
    pub out: PathBuf,
    pub jobs: usize,
}

/// One cell of the grid.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cell {
    pub mode: String,
    pub backend: String,
    pub threads: usize,
    pub workers: usize,
    /// The cell's `DITTO_SIMD` level (`auto`: the variable unset).
    #[serde(default = "auto")]
    pub simd: String,
    /// Data-parallel peers.
    #[serde(default = "one")]
    pub peers: usize,
    /// Micro-batches per peer.
    #[serde(default = "one")]
    pub accumulate: usize,
    pub seed: u64,
}

impl Cell {
    /// The cell's directory name (a non-`auto` SIMD level adds `-simd<level>`, so that the
    /// cells of earlier sweeps keep their names).
    fn id(&self) -> String {
        let simd = if self.simd == "auto" {
            String::new()
        } else {
            format!("-simd{}", self.simd)
        };
        let parallel = if (self.peers, self.accumulate) == (1, 1) {
            String::new()
        } else {
            format!("-p{}-k{}", self.peers, self.accumulate)
        };
        format!(
            "{}-{}-t{}-w{}{simd}{parallel}-s{}",
            self.mode, self.backend, self.threads, self.workers, self.seed
        )
    }
}

/// The `DITTO_SIMD` values `ditto sweep --simd` takes, as `ditto_kernels::canonical::simd`'s
/// `Isa::active` reads them: `auto` (unset: the best this CPU runs), `avx2` (at most AVX2+FMA),
/// `off` or `scalar` (the scalar kernels).
pub const SIMD_LEVELS: &[&str] = &["auto", "avx2", "off", "scalar"];

fn auto() -> String {
    "auto".into()
}

fn one() -> usize {
    1
}

fn ones() -> Vec<usize> {
    vec![1]
}

/// A finished cell's results.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CellResult {
    #[serde(flatten)]
    pub cell: Cell,
    pub steps: usize,
    pub test_accuracy: f32,
    pub test_loss: f32,
    pub fingerprint: String,
    /// Median over the run's logging intervals of seconds per step, in milliseconds.
    pub step_ms: Option<f64>,
    /// Whether the final weights equal the reference cell's (same mode and seed; first
    /// threads, workers and backend), bit for bit.
    pub identical_to_reference: bool,
    /// Max ULP distance of any weight to the reference cell's (0 when identical).
    pub max_ulp_to_reference: u64,
}

/// The report's JSON document (`report.json`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    pub example: String,
    pub grid: Grid,
    /// Per mode: the spread across seeds of the reference cells.
    pub seeds: BTreeMap<String, SeedStats>,
    /// Per mode, per non-seed factor that has more than one value: one row per seed.
    pub drift: BTreeMap<String, BTreeMap<String, Vec<DriftRow>>>,
    /// Per mode: median step time and its ratio to mode `off` (when swept).
    pub overhead: BTreeMap<String, Overhead>,
    /// Whether every non-seed factor left the weights bitwise identical, per mode.
    pub zero_drift: BTreeMap<String, bool>,
    pub cells: Vec<CellResult>,
    pub failed: Vec<String>,
}

/// The swept values.
#[derive(Debug, Serialize, Deserialize)]
pub struct Grid {
    pub seeds: Vec<u64>,
    pub threads: Vec<usize>,
    pub workers: Vec<usize>,
    #[serde(default)]
    pub simd: Vec<String>,
    pub backends: Vec<String>,
    pub modes: Vec<String>,
    #[serde(default = "ones")]
    pub peers: Vec<usize>,
    #[serde(default = "ones")]
    pub accumulate: Vec<usize>,
    pub max_steps: Option<usize>,
}

/// Accuracy and loss across seeds.
#[derive(Debug, Serialize, Deserialize)]
pub struct SeedStats {
    pub per_seed: Vec<(u64, f32, f32)>,
    pub accuracy: Stats,
    pub loss: Stats,
}

/// Mean, sample standard deviation, min, max.
#[derive(Debug, Serialize, Deserialize)]
pub struct Stats {
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
}

/// One seed's comparison of a factor's values with the reference value.
#[derive(Debug, Serialize, Deserialize)]
pub struct DriftRow {
    pub seed: u64,
    pub reference: String,
    pub values: Vec<DriftCell>,
}

/// One value of a factor against the reference.
#[derive(Debug, Serialize, Deserialize)]
pub struct DriftCell {
    pub value: String,
    pub identical: bool,
    pub max_ulp: u64,
    pub accuracy_delta: f32,
}

/// Median step time.
#[derive(Debug, Serialize, Deserialize)]
pub struct Overhead {
    pub median_step_ms: Option<f64>,
    pub ratio_to_off: Option<f64>,
}

/// Parses `a..b` (b exclusive) or a comma list of seeds.
pub fn parse_seeds(s: &str) -> Result<Vec<u64>, String> {
    if let Some((a, b)) = s.split_once("..") {
        let a: u64 = a
            .trim()
            .parse()
            .map_err(|e| format!("--seeds {s:?}: {e}"))?;
        let b: u64 = b
            .trim()
            .parse()
            .map_err(|e| format!("--seeds {s:?}: {e}"))?;
        if b <= a {
            return Err(format!("--seeds {s:?}: empty range"));
        }
        if b - a > 10_000 {
            return Err(format!("--seeds {s:?}: more than 10000 seeds"));
        }
        return Ok((a..b).collect());
    }
    parse_list(s, "--seeds")
}

/// Parses a comma list, refusing empty lists and duplicates.
pub fn parse_list<T: std::str::FromStr + PartialEq>(s: &str, flag: &str) -> Result<Vec<T>, String>
where
    T::Err: std::fmt::Display,
{
    let mut v = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let x: T = part
            .parse()
            .map_err(|e| format!("{flag} {s:?}: {part:?}: {e}"))?;
        if v.contains(&x) {
            return Err(format!("{flag} {s:?}: {part:?} given twice"));
        }
        v.push(x);
    }
    if v.is_empty() {
        return Err(format!("{flag} {s:?}: no values"));
    }
    Ok(v)
}
