//! The `[optimizer]` and `[schedule]` tables, each kind with its own fields.

use serde::{Deserialize, Serialize};

/// Class: portable. The optimiser (Burn's), each kind with its own fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OptimizerConfig {
    /// Adam (weight decay as L2 added to the gradient).
    Adam(AdamConfig),
    /// AdamW (decoupled weight decay).
    Adamw(AdamConfig),
    /// SGD, with optional momentum.
    Sgd(SgdConfig),
}

/// Class: portable. Adam's and AdamW's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamConfig {
    /// Peak learning rate.
    pub lr: f64,
    /// Weight decay (0: none).
    pub weight_decay: f32,
}

/// Class: portable. SGD's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SgdConfig {
    /// Peak learning rate.
    pub lr: f64,
    /// Momentum (0: none).
    pub momentum: f64,
    /// L2 weight decay (0: none).
    pub weight_decay: f32,
}

/// Class: portable. The learning-rate schedule, a pure function of the step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ScheduleConfig {
    /// The peak rate after an optional linear warm-up.
    Constant(ConstantSchedule),
    /// Linear warm-up, then cosine from the peak to `peak * final_fraction` over the run.
    Cosine(CosineSchedule),
}

/// Class: portable. A constant schedule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConstantSchedule {
    /// Linear warm-up steps.
    pub warmup_steps: usize,
}

/// Class: portable. A cosine schedule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CosineSchedule {
    /// Linear warm-up steps.
    pub warmup_steps: usize,
    /// End point as a fraction of the peak rate.
    pub final_fraction: f64,
}

impl OptimizerConfig {
    /// Class: not applicable. The kind's name (`adam`, `adamw`, `sgd`).
    pub fn kind(&self) -> &'static str {
        match self {
            OptimizerConfig::Adam(_) => "adam",
            OptimizerConfig::Adamw(_) => "adamw",
            OptimizerConfig::Sgd(_) => "sgd",
        }
    }

    /// Class: portable. The peak learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            OptimizerConfig::Adam(c) | OptimizerConfig::Adamw(c) => c.lr,
            OptimizerConfig::Sgd(c) => c.lr,
        }
    }
}

impl ScheduleConfig {
    /// Class: portable. Linear warm-up steps.
    pub fn warmup_steps(&self) -> usize {
        match self {
            ScheduleConfig::Constant(c) => c.warmup_steps,
            ScheduleConfig::Cosine(c) => c.warmup_steps,
        }
    }
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig::Adam(AdamConfig::default())
    }
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            weight_decay: 0.0,
        }
    }
}

impl Default for SgdConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            momentum: 0.9,
            weight_decay: 0.0,
        }
    }
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig::Constant(ConstantSchedule::default())
    }
}
