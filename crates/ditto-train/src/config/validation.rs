//! The `[validation]` table: the validation split, how often it is evaluated, and what is
//! decided from it (best checkpoints, early stopping).

use serde::{Deserialize, Serialize};

/// Class: portable (every decision is a function of the evaluations' bits). The validation
/// split and what the trainer does with it:
///
/// ```toml
/// [validation]
/// fraction = 0.1      # TrainData from a config: held out of the training split (seeded)
/// every = 0           # evaluate every N steps; 0: at the end of every epoch
/// metric = "loss"     # what "better" means: `loss` or a metric the task reports
/// mode = "min"        # or "max"
/// min_delta = 0.0     # an improvement must beat the best by more than this
/// patience = 5        # early stopping after 5 evaluations without improvement (0: never)
/// keep_best = 1       # keep the 1 best checkpoint(s) by the metric (0: none)
/// ```
///
/// The test split is evaluated once, when training ends (at its last step or when early
/// stopping ends it), never during training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationConfig {
    /// Fraction of the training split held out for validation, for data read from the
    /// config (`TrainData::from_config`); drawn from the seed (`root/valid`), stratified as
    /// `data.stratified`. 0: no validation split (a [`crate::TaskData`] brings its own).
    pub fraction: f64,
    /// Evaluate the validation split every this many steps; 0: at the end of every epoch.
    pub every: usize,
    /// The monitored value: `loss`, or the name of a metric the objective or task reports
    /// (e.g. `accuracy`).
    pub metric: String,
    /// Whether lower (`min`) or higher (`max`) values of the metric are better.
    pub mode: MonitorMode,
    /// An evaluation improves on the best only by more than this (in the metric's units).
    pub min_delta: f64,
    /// Stop training after this many evaluations in a row without improvement; 0: never.
    pub patience: usize,
    /// Keep this many best checkpoints by the metric (`checkpoints/best-NNNNNNNN.safetensors`,
    /// ties to the earlier step); 0: none.
    pub keep_best: usize,
}

/// Class: not applicable (a choice). Which way the monitored metric improves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MonitorMode {
    /// Lower is better (losses, errors).
    #[default]
    Min,
    /// Higher is better (accuracy).
    Max,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        Self {
            fraction: 0.0,
            every: 0,
            metric: "loss".to_owned(),
            mode: MonitorMode::Min,
            min_delta: 0.0,
            patience: 0,
            keep_best: 0,
        }
    }
}

impl ValidationConfig {
    /// Class: not applicable. Whether this is the default (nothing to write in a config).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Class: not applicable. Whether anything is decided from the validation split.
    pub fn decides(&self) -> bool {
        self.patience > 0 || self.keep_best > 0
    }

    /// Checks the table's ranges; the error text names the field.
    pub(crate) fn check(&self) -> Result<(), String> {
        if !(0.0..1.0).contains(&self.fraction) {
            return Err(format!(
                "validation.fraction: {} is not in [0, 1)",
                self.fraction
            ));
        }
        if !(self.min_delta >= 0.0 && self.min_delta.is_finite()) {
            return Err(format!(
                "validation.min_delta: {} must be 0 or more",
                self.min_delta
            ));
        }
        if self.metric.is_empty() {
            return Err("validation.metric: empty".to_owned());
        }
        Ok(())
    }
}
