//! The analysis of a sweep's results: per setting, each metric's mean, spread and 95%
//! interval over the seeds; per mode, the variance decomposition of a full grid; and every
//! environment difference judged against the mode's promise.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::sweep::anova::{ANOVA_METHOD, Decomposition};
use crate::sweep::axis::{AxisInfo, Role};
use crate::sweep::grid::{first_seen, names_with};
use crate::sweep::judge::{Judgement, judge};
use crate::sweep::results::{FailedCell, MachineInfo, SweepResults};
use crate::sweep::spread;
use crate::sweep::stats::{CI_METHOD, Summary};
use crate::sweep::verdict::{Pair, Verdict};

/// The `format` of `report.json`.
pub const REPORT_FORMAT: &str = "ditto-sweep/2";

/// Class: not applicable (statistics and judgements of recorded results). What `report.json`
/// holds and `report.md` shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// [`REPORT_FORMAT`].
    pub format: String,
    /// What was swept.
    pub title: String,
    /// The axes, in the grid's order.
    pub axes: Vec<AxisInfo>,
    /// The machines.
    pub machines: Vec<MachineInfo>,
    /// Finished cells.
    pub cells: usize,
    /// Failed cells.
    pub failed: Vec<FailedCell>,
    /// How [`SweepReport::stats`]' intervals are computed.
    pub stats_method: String,
    /// Per setting (mode, hyperparameters, environment), each metric over the seeds.
    pub stats: Vec<SettingStats>,
    /// How [`SweepReport::decompositions`] are computed.
    pub anova_method: String,
    /// Per mode and metric: how much of the spread each axis explains, over all of the
    /// mode's runs and, where hyperparameters vary, within each of their settings.
    pub decompositions: Vec<MetricDecomposition>,
    /// Per mode: how the pairs of cells that differ only in their environment compare.
    pub verdicts: BTreeMap<String, ModeVerdict>,
    /// Every such pair whose bits differ, with its verdict.
    pub differences: Vec<Pair>,
    /// Per mode, per environment axis with two values or more: each group's reference cell
    /// (every environment axis at its first value) against the cells that change this axis
    /// only.
    pub drift: BTreeMap<String, BTreeMap<String, Vec<DriftRow>>>,
    /// Per mode: median step time and its ratio to mode `off` (when swept).
    pub overhead: BTreeMap<String, Overhead>,
}

/// Class: not applicable. One setting's metrics over its seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingStats {
    /// The mode and every axis that is not a seed, by name.
    pub setting: BTreeMap<String, String>,
    /// Each metric's summary over the setting's runs.
    pub metrics: BTreeMap<String, Summary>,
}

/// Class: not applicable. One mode's and metric's variance decomposition, or why there is
/// none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricDecomposition {
    /// The mode.
    pub mode: String,
    /// The hyperparameter setting the runs share (empty: every run of the mode).
    #[serde(default)]
    pub within: BTreeMap<String, String>,
    /// The metric.
    pub metric: String,
    /// The decomposition, for a full grid.
    pub result: Option<Decomposition>,
    /// Why there is none (an incomplete grid, one cell, ...).
    pub note: Option<String>,
}

/// Class: not applicable. One mode's pairs of cells that differ in their environment only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeVerdict {
    /// Pairs compared.
    pub pairs: usize,
    /// Bitwise identical.
    pub identical: usize,
    /// Different where the mode promised nothing.
    pub expected: usize,
    /// Different where the mode promised the same bits.
    pub broken: usize,
}

/// Class: not applicable. One group's row of a drift table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftRow {
    /// The group: its seeds and hyperparameters (`seed 0`, `init_seed 1, optimizer.lr 0.01`).
    pub group: String,
    /// The axis's reference value.
    pub reference: String,
    /// Every other value.
    pub values: Vec<DriftCell>,
}

/// Class: not applicable. One value of an environment axis against the reference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftCell {
    /// The value.
    pub value: String,
    /// Bitwise identical final weights.
    pub identical: bool,
    /// Max ULP distance of any weight (0 when identical; `None` when unreadable).
    pub max_ulp: Option<u64>,
    /// Each metric's change from the reference.
    pub deltas: BTreeMap<String, f64>,
    /// Whether the mode promised the reference's bits.
    pub promised: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// Why.
    pub why: String,
}

/// Class: not applicable (timings). Median step time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// Median over the mode's cells of their median milliseconds per step.
    pub median_step_ms: Option<f64>,
    /// Its ratio to mode `off`'s.
    pub ratio_to_off: Option<f64>,
}

impl ModeVerdict {
    /// Class: not applicable. The verdict in words.
    pub fn word(&self) -> &'static str {
        if self.broken > 0 {
            "BROKEN PROMISE"
        } else if self.expected > 0 {
            "differences only where none was promised (expected)"
        } else if self.pairs == 0 {
            "no environment factor varied"
        } else {
            "zero drift"
        }
    }
}

impl SweepReport {
    /// Class: not applicable. Pairs whose bits differ where their mode promised them, over
    /// every mode: what `ditto sweep` exits 1 for.
    pub fn broken_promises(&self) -> usize {
        self.verdicts.values().map(|v| v.broken).sum()
    }

    /// Class: not applicable (reads checkpoints for ULP distances). The analysis of
    /// `results`, whose relative cell directories are under `base`.
    pub fn of(results: &SweepResults, base: &Path) -> Self {
        let cells = &results.cells;
        let group_axes = names_with(&results.axes, &[Role::Randomness, Role::Hyperparameter]);
        let setting_axes = names_with(&results.axes, &[Role::Hyperparameter, Role::Environment]);
        let modes: Vec<String> = first_seen(cells.iter().map(|c| c.mode.to_string()));
        let metric_names: Vec<String> =
            first_seen(cells.iter().flat_map(|c| c.metrics.keys().cloned()));
        let Judgement {
            verdicts,
            differences,
            drift,
        } = judge(results, base, &modes, &group_axes, &metric_names);
        Self {
            format: REPORT_FORMAT.into(),
            title: results.title.clone(),
            axes: results.axes.clone(),
            machines: results.machines.clone(),
            cells: cells.len(),
            failed: results.failed.clone(),
            stats_method: CI_METHOD.into(),
            stats: spread::setting_stats(cells, &setting_axes, &metric_names),
            anova_method: ANOVA_METHOD.into(),
            decompositions: spread::decompositions(results, &modes, &metric_names),
            verdicts,
            differences,
            drift,
            overhead: spread::overhead(cells, &modes),
        }
    }

    /// Class: not applicable (I/O). Writes `report.json` and `report.md` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "the report", e))?;
        crate::atomic::write_atomic(&dir.join("report.json"), json.as_bytes())?;
        crate::atomic::write_atomic(&dir.join("report.md"), self.markdown().as_bytes())
    }
}
