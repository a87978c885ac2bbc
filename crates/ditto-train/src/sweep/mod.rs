//! Sensitivity analysis of your own runs: a grid of axes (each source of randomness,
//! hyperparameters, threads, workers, peers, modes, SIMD levels, backends) over a run factory
//! (your model, data and objective), the results of every cell, and their analysis: each
//! metric's mean, spread and 95% interval over the seeds, how much of the spread each axis
//! explains, and every environment difference judged against the mode's promise.
//!
//! The work is split by phase: `axis` (what an axis varies), `cell` (the grid), `runner`
//! (running the cells), `results` (`results.json`), `stats` and `anova` (the statistics),
//! `verdict` (the promise judged), `judge` (every pair of cells judged, drift tables),
//! `spread` (intervals, variance split, step times), `grid` (helpers over cells), `report`
//! and `markdown` (the analysis and its text),
//! `merge` (sweeps of several machines into one).

mod anova;
mod axis;
mod cell;
mod grid;
mod judge;
mod markdown;
mod merge;
mod report;
mod results;
mod runner;
mod spread;
mod stats;
mod verdict;

use std::path::PathBuf;

use crate::config::TrainConfig;

pub use anova::{ANOVA_METHOD, Decomposition, Effect};
pub use axis::{Axis, AxisInfo, AxisKind, ConfigEdit, Role, SIMD_LEVELS};
pub use cell::CellRun;
pub use merge::merge;
pub use report::{
    DriftCell, DriftRow, MetricDecomposition, ModeVerdict, Overhead, REPORT_FORMAT, SettingStats,
    SweepReport,
};
pub use results::{
    CellRecord, FailedCell, MachineInfo, RESULTS_FILE, RESULTS_FORMAT, RESULTS_VERSION,
    SweepResults,
};
pub use runner::{FactoryResult, Outcome};
pub use stats::{CI_METHOD, Summary, t_quantile_975};
pub use verdict::{Pair, Verdict};

/// Class: not applicable (a grid definition; each cell's run has its mode's class). A sweep:
/// a base config, the axes of a grid over it, and the directory its cells, `results.json`,
/// `report.json` and `report.md` go to.
///
/// ```no_run
/// use burn::backend::NdArray;
/// use ditto_train::sweep::{Axis, CellRun, Sweep};
/// use ditto_train::{TrainConfig, TrainData, Trainer};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let base = TrainConfig { max_steps: Some(100), ..TrainConfig::default() };
/// let outcome = Sweep::new(base, "runs/sweep")
///     .axis(Axis::InitSeed(vec![0, 1, 2]))
///     .axis(Axis::DataOrderSeed(vec![0, 1, 2]))
///     .axis(Axis::field("optimizer.lr", [0.001, 0.003]))
///     .run(|cell: &CellRun<'_>| {
///         let data = TrainData::bundled(cell.config)?;
///         let summary = Trainer::new(cell.config.clone())?
///             .out(cell.dir)
///             .fit_bundled::<NdArray>(&data, &Default::default())?;
///         Ok(summary)
///     })?;
/// println!("{}", outcome.report.markdown());
/// # Ok(()) }
/// ```
///
/// A rerun reuses every cell whose final checkpoint verifies and whose config and process
/// settings are unchanged. [`Axis::Threads`] and [`Axis::Simd`] are process settings: a
/// factory must start a process per cell to honour them (`ditto sweep` does; an in-process
/// factory is refused on the first cell whose run records another thread count).
#[derive(Clone, Debug)]
pub struct Sweep {
    base: TrainConfig,
    axes: Vec<Axis>,
    out: PathBuf,
    jobs: usize,
    title: String,
    verbose: bool,
}

impl Sweep {
    /// Class: not applicable. A sweep of `base` (one cell until axes are added) into `out`.
    pub fn new(base: TrainConfig, out: impl Into<PathBuf>) -> Self {
        let title = format!("{} / {}", base.data.source.describe(), base.model.kind());
        Self {
            base,
            axes: Vec::new(),
            out: out.into(),
            jobs: 1,
            title,
            verbose: false,
        }
    }

    /// Class: not applicable. Adds an axis (the last added varies fastest).
    pub fn axis(mut self, axis: Axis) -> Self {
        self.axes.push(axis);
        self
    }

    /// Class: not applicable. Runs up to `n` cells at once, on `n` threads calling the factory
    /// (default 1). Results never depend on it; step times do.
    pub fn jobs(mut self, n: usize) -> Self {
        self.jobs = n;
        self
    }

    /// Class: not applicable. The reports' title (default: the data source and model kind).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Class: not applicable. Prints a line per cell to stderr (what `ditto sweep` shows).
    pub fn verbose(mut self, on: bool) -> Self {
        self.verbose = on;
        self
    }

    /// Class: not applicable. The axes.
    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    /// Class: not applicable. The sweep's directory.
    pub fn out(&self) -> &std::path::Path {
        &self.out
    }
}

#[cfg(test)]
mod tests;
