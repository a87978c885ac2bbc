//! A sweep's machine-readable results (`results.json`): the grid, the machine, and per cell
//! its coordinates, its result and the environment its run recorded, everything the
//! analysis and `ditto sweep merge` need without the run directories.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{BackendKind, Mode, ParallelConfig};
use crate::env_check::{EnvFacts, Environment};
use crate::error::{Error, ErrorKind};
use crate::model_record::ModelOrigin;
use crate::sweep::axis::AxisInfo;

/// The `format` of a results file.
pub const RESULTS_FORMAT: &str = "ditto-sweep-results";
/// The version of the results format this ditto writes and reads.
pub const RESULTS_VERSION: u32 = 1;
/// The results file in a sweep directory.
pub const RESULTS_FILE: &str = "results.json";

/// Class: not applicable (a record). A sweep's results: what `results.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResults {
    /// [`RESULTS_FORMAT`].
    pub format: String,
    /// [`RESULTS_VERSION`].
    pub version: u32,
    /// What was swept (the reports' title).
    pub title: String,
    /// The axes in the grid's order (a merge adds `machine`).
    pub axes: Vec<AxisInfo>,
    /// The machines the cells ran on (one for a sweep, one per input for a merge).
    pub machines: Vec<MachineInfo>,
    /// Every finished cell.
    pub cells: Vec<CellRecord>,
    /// Cells that failed, with the error.
    pub failed: Vec<FailedCell>,
}

/// Class: not applicable (a record). A machine of a sweep: its label and what its runs
/// recorded of it (CPU, instruction sets, target, build).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    /// The label cells name it by (a sweep's directory name; made unique by a merge).
    pub label: String,
    /// A one-line description: CPU vendor and model, the instruction sets of ditto's kernels
    /// and of matrixmultiply, the target.
    pub description: String,
    /// Where its sweep directory was when its results were written or merged.
    pub dir: String,
}

/// Class: not applicable (a record). One finished cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellRecord {
    /// The cell's name (a merge prefixes its machine's label: `label/name`).
    pub id: String,
    /// The cell's value of every axis, by axis name.
    pub key: BTreeMap<String, String>,
    /// The label of the machine it ran on.
    pub machine: String,
    /// The run's directory: relative to the sweep directory, or absolute after a merge.
    pub dir: PathBuf,
    /// The run's kernel mode (the promise it makes).
    pub mode: Mode,
    /// Where its model came from (`None`: not recorded).
    pub origin: Option<ModelOrigin>,
    /// Optimiser steps done.
    pub steps: usize,
    /// The final weights' fingerprint: equal exactly when every weight is bitwise equal.
    pub fingerprint: String,
    /// Test metrics: `loss` and the objective's metrics (`accuracy`, `mae`, ...).
    pub metrics: BTreeMap<String, f64>,
    /// Median milliseconds per step over the run's logging intervals, where it logged two.
    pub step_ms: Option<f64>,
    /// The environment the run recorded (`manifest.json`).
    pub env: EnvFacts,
    /// The backend it trained on.
    pub backend: BackendKind,
    /// Its data-loader workers.
    pub workers: usize,
    /// Its peers and micro-batches.
    pub parallel: ParallelConfig,
}

/// Class: not applicable (a record). A cell that failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedCell {
    /// The cell's name.
    pub id: String,
    /// The error.
    pub error: String,
}

impl CellRecord {
    /// Class: not applicable. The environment its run recorded, for an environment check.
    pub fn environment(&self) -> Environment {
        Environment {
            facts: self.env.clone(),
            backend: self.backend,
            workers: self.workers,
            parallel: self.parallel,
        }
    }
}

impl MachineInfo {
    /// Class: not applicable. The machine a run's environment `env` describes, labelled
    /// `label`, for the sweep in `dir`.
    pub fn of(label: &str, env: &EnvFacts, dir: &Path) -> Self {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
        let isa = |v: &Option<crate::env_check::Shown>| {
            v.as_ref().map_or_else(|| "?".to_owned(), |s| s.0.clone())
        };
        Self {
            label: label.to_owned(),
            description: format!(
                "{} {}, kernels {}, matmul {}, {}",
                show(&env.cpu_vendor),
                show(&env.cpu_model),
                isa(&env.kernel_isa),
                isa(&env.matmul_isa),
                show(&env.target)
            ),
            dir: dir.display().to_string(),
        }
    }
}

impl SweepResults {
    /// Class: not applicable (I/O). Reads `dir/results.json`.
    ///
    /// Errors: [`ErrorKind::Io`] when it cannot be read (not a sweep directory),
    /// [`ErrorKind::Invalid`] when it does not parse, [`ErrorKind::Version`] for another
    /// format or a newer version.
    pub fn read(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(RESULTS_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::io(&path, "reading (not a sweep directory?)", e))?;
        let head: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, Some(&path), "parsing", e))?;
        if head["format"] != RESULTS_FORMAT {
            return Err(Error::new(
                ErrorKind::Version,
                Some(&path),
                format!(
                    "format {} is not {RESULTS_FORMAT:?} (a report of an older `ditto sweep`? \
                     run the sweep again with this ditto: finished cells are reused)",
                    head["format"]
                ),
            ));
        }
        match head["version"].as_u64() {
            Some(v) if v <= u64::from(RESULTS_VERSION) => {}
            other => {
                return Err(Error::new(
                    ErrorKind::Version,
                    Some(&path),
                    format!(
                        "version {other:?}: this ditto reads version {RESULTS_VERSION} and \
                         older"
                    ),
                ));
            }
        }
        serde_json::from_value(head)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, Some(&path), "parsing", e))
    }

    /// Class: not applicable (I/O). Writes `dir/results.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "the results", e))?;
        crate::atomic::write_atomic(&dir.join(RESULTS_FILE), text.as_bytes())
    }

    /// Class: not applicable. The axis named `name`.
    pub fn axis(&self, name: &str) -> Option<&AxisInfo> {
        self.axes.iter().find(|a| a.name == name)
    }
}
