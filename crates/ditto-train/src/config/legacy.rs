//! The config layout of ditto 0.1.0's first releases (string kinds, every field of every kind),
//! read so that older run directories and checkpoints still replay and resume.

use serde::Deserialize;

use super::{
    AdamConfig, ClipScope, CnnConfig, ConstantSchedule, CosineSchedule, CustomModelConfig,
    DataConfig, MlpConfig, ModelConfig, OptimizerConfig, ScheduleConfig, SgdConfig, TrainConfig,
};
use crate::error::{Error, ErrorKind};
use ditto_kernels::Strict;

/// The old `TrainConfig`: every key that file could hold (missing keys took defaults then as
/// now; the defaults below are the old ones).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LegacyConfig {
    seed: Option<u64>,
    mode: Option<String>,
    backend: Option<String>,
    strict: Option<Strict>,
    data: Option<DataConfig>,
    model: Option<LegacyModel>,
    optimizer: Option<LegacyOptimizer>,
    schedule: Option<LegacySchedule>,
    epochs: Option<usize>,
    max_steps: Option<usize>,
    batch_size: Option<usize>,
    grad_clip_norm: Option<f32>,
    checkpoint_every: Option<usize>,
    keep_checkpoints: Option<usize>,
    workers: Option<usize>,
    log_every: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyModel {
    kind: Option<String>,
    hidden: Option<Vec<usize>>,
    channels: Option<Vec<usize>>,
    dense: Option<usize>,
    dropout: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyOptimizer {
    kind: Option<String>,
    lr: Option<f64>,
    momentum: Option<f64>,
    weight_decay: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacySchedule {
    kind: Option<String>,
    warmup_steps: Option<usize>,
    final_fraction: Option<f64>,
}

impl LegacyConfig {
    /// The same run in today's types. Fields of kinds the run did not use are dropped.
    pub(super) fn migrate(self) -> Result<TrainConfig, Error> {
        let bad = |field: &str, v: &str, allowed: &str| {
            Error::new(
                ErrorKind::Invalid,
                None,
                format!("config `{field}`: unknown value {v:?}, expected one of {allowed}"),
            )
        };
        let d = TrainConfig::default();
        let mode = match self.mode {
            Some(m) => m
                .parse()
                .map_err(|_| bad("mode", &m, "run-to-run, canonical, off"))?,
            None => d.mode,
        };
        let backend = match self.backend {
            Some(b) => b.parse().map_err(|_| bad("backend", &b, "ndarray, wgpu"))?,
            None => d.backend,
        };
        let model = match self.model {
            None => d.model,
            Some(m) => {
                let dropout = m.dropout.unwrap_or(0.1);
                match m.kind.as_deref().unwrap_or("mlp") {
                    "mlp" => ModelConfig::Mlp(MlpConfig {
                        hidden: m.hidden.unwrap_or_else(|| vec![128]),
                        dropout,
                    }),
                    "cnn" => ModelConfig::Cnn(CnnConfig {
                        channels: m.channels.unwrap_or_else(|| vec![8, 16]),
                        dense: m.dense.unwrap_or(64),
                        dropout,
                    }),
                    "custom" => ModelConfig::Custom(CustomModelConfig::default()),
                    other => return Err(bad("model.kind", other, "mlp, cnn, custom")),
                }
            }
        };
        let optimizer = match self.optimizer {
            None => d.optimizer,
            Some(o) => {
                let lr = o.lr.unwrap_or(1e-3);
                let weight_decay = o.weight_decay.unwrap_or(0.0);
                match o.kind.as_deref().unwrap_or("adam") {
                    "adam" => OptimizerConfig::Adam(AdamConfig { lr, weight_decay }),
                    "adamw" => OptimizerConfig::Adamw(AdamConfig { lr, weight_decay }),
                    "sgd" => OptimizerConfig::Sgd(SgdConfig {
                        lr,
                        momentum: o.momentum.unwrap_or(0.9),
                        weight_decay,
                    }),
                    other => return Err(bad("optimizer.kind", other, "adam, adamw, sgd")),
                }
            }
        };
        let schedule = match self.schedule {
            None => d.schedule,
            Some(s) => {
                let warmup_steps = s.warmup_steps.unwrap_or(0);
                match s.kind.as_deref().unwrap_or("constant") {
                    "constant" => ScheduleConfig::Constant(ConstantSchedule { warmup_steps }),
                    "cosine" => ScheduleConfig::Cosine(CosineSchedule {
                        warmup_steps,
                        final_fraction: s.final_fraction.unwrap_or(0.0),
                    }),
                    other => return Err(bad("schedule.kind", other, "constant, cosine")),
                }
            }
        };
        Ok(TrainConfig {
            seed: self.seed.unwrap_or(d.seed),
            seeds: Default::default(),
            mode,
            backend,
            strict: self.strict.unwrap_or(d.strict),
            data: self.data.unwrap_or(d.data),
            model,
            optimizer,
            schedule,
            trace: d.trace,
            epochs: self.epochs.unwrap_or(d.epochs),
            max_steps: self.max_steps,
            batch_size: self.batch_size.unwrap_or(d.batch_size),
            grad_clip_norm: self.grad_clip_norm,
            // This layout predates global clipping: its norm was Burn's, per tensor.
            grad_clip_scope: self.grad_clip_norm.map(|_| ClipScope::PerTensor),
            checkpoint_every: self.checkpoint_every.unwrap_or(d.checkpoint_every),
            keep_checkpoints: self.keep_checkpoints.unwrap_or(d.keep_checkpoints),
            workers: self.workers.unwrap_or(d.workers),
            log_every: self.log_every.unwrap_or(d.log_every),
            parallel: d.parallel,
            validation: Default::default(),
            init: Default::default(),
        })
    }
}
