//! The training configuration: a TOML file where every field has a default.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use ditto_kernels::Strict;

/// Class: portable (a run's bits are a function of its resolved config and seed). Everything
/// that decides a training run. Every field has a default; `ditto train --print-config` shows
/// the complete resolved config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// The run's root seed: every random draw derives from it.
    pub seed: u64,
    /// Kernel mode: `run-to-run` (ditto's decorator over the backend's kernels), `canonical`
    /// (ditto's canonical kernels where they exist) or `off` (the plain Burn backend without
    /// the decorator: the baseline, whose dropout comes from Burn's unsaveable global RNG, so
    /// its resume is not exact).
    pub mode: String,
    /// Backend: `ndarray` or `wgpu`.
    pub backend: String,
    /// Strict mode: what the decorator does with an op it cannot make reproducible.
    pub strict: Strict,
    /// The data set.
    pub data: DataConfig,
    /// The model.
    pub model: ModelConfig,
    /// The optimiser.
    pub optimizer: OptimizerConfig,
    /// The learning-rate schedule.
    pub schedule: ScheduleConfig,
    /// Number of epochs.
    pub epochs: usize,
    /// Stop after this many optimiser steps (across epochs), if set.
    pub max_steps: Option<usize>,
    /// Samples per batch.
    pub batch_size: usize,
    /// Clip the global gradient norm to this value, if set.
    pub grad_clip_norm: Option<f32>,
    /// Write a checkpoint every this many steps (0: only the final one).
    pub checkpoint_every: usize,
    /// Keep this many most recent step checkpoints (0: keep all).
    pub keep_checkpoints: usize,
    /// Data-loader worker threads (never changes results).
    pub workers: usize,
    /// Log a metrics line every this many steps.
    pub log_every: usize,
}

/// Class: portable. Which data set, and how it is split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// `digits` (bundled) or `fashion` (bundled Fashion-MNIST subset).
    pub name: String,
    /// Fraction of the data held out for testing (digits; Fashion has its own test split).
    pub test_fraction: f64,
    /// Hold out `test_fraction` of each class (`true`) or of the whole set.
    pub stratified: bool,
    /// Training-time augmentation, keyed by (seed, epoch, sample).
    pub augment: AugmentConfig,
}

/// Class: portable. Image augmentations applied to training samples, in this order: crop,
/// flip, noise (see `ditto_data::Augmenter`). All off by default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AugmentConfig {
    /// Random crop after zero-padding by this many pixels (0: off).
    pub crop_padding: usize,
    /// Random horizontal flip.
    pub flip: bool,
    /// Gaussian noise of this standard deviation, in raw pixel units (0: off).
    pub noise_std: f32,
}

/// Class: portable. The bundled model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// `mlp` ([`crate::Mlp`]), `cnn` ([`crate::Cnn`]) or `custom` (a model of your own,
    /// trained with [`crate::train_model`]; recorded only).
    pub kind: String,
    /// Hidden layer widths of the MLP.
    pub hidden: Vec<usize>,
    /// Output channels of the CNN's convolution blocks.
    pub channels: Vec<usize>,
    /// Width of the CNN's dense layer.
    pub dense: usize,
    /// Dropout probability after each hidden layer (and, in the CNN, after flattening).
    pub dropout: f64,
}

/// Class: portable. The optimiser (Burn's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OptimizerConfig {
    /// `adam`, `adamw` or `sgd`.
    pub kind: String,
    /// Peak learning rate.
    pub lr: f64,
    /// SGD momentum (0 for none).
    pub momentum: f64,
    /// Weight decay (AdamW's decoupled decay, or SGD's L2).
    pub weight_decay: f32,
}

/// Class: portable. The learning-rate schedule, a pure function of the step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleConfig {
    /// `constant` or `cosine` (from `lr` to `lr * final_fraction` over the run).
    pub kind: String,
    /// Linear warm-up steps.
    pub warmup_steps: usize,
    /// Cosine end point as a fraction of `lr`.
    pub final_fraction: f64,
}

/// Class: not applicable. The values of [`TrainConfig::mode`].
pub const MODES: [&str; 3] = ["run-to-run", "canonical", "off"];

/// Class: not applicable. The values of [`TrainConfig::backend`].
pub const BACKENDS: [&str; 2] = ["ndarray", "wgpu"];

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            mode: "run-to-run".into(),
            backend: "ndarray".into(),
            strict: Strict::Error,
            data: DataConfig::default(),
            model: ModelConfig::default(),
            optimizer: OptimizerConfig::default(),
            schedule: ScheduleConfig::default(),
            epochs: 20,
            max_steps: None,
            batch_size: 32,
            grad_clip_norm: None,
            checkpoint_every: 100,
            keep_checkpoints: 3,
            workers: 0,
            log_every: 10,
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            name: "digits".into(),
            test_fraction: 0.2,
            stratified: true,
            augment: AugmentConfig::default(),
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            kind: "mlp".into(),
            hidden: vec![128],
            channels: vec![8, 16],
            dense: 64,
            dropout: 0.1,
        }
    }
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            kind: "adam".into(),
            lr: 1e-3,
            momentum: 0.9,
            weight_decay: 0.0,
        }
    }
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            kind: "constant".into(),
            warmup_steps: 0,
            final_fraction: 0.0,
        }
    }
}

impl TrainConfig {
    /// Class: portable. Parses TOML (missing fields take their defaults) and validates.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let c: Self = toml::from_str(text)
            .map_err(|e| Error::new(ErrorKind::Invalid, None, format!("config: {e}")))?;
        c.validate()?;
        Ok(c)
    }

    /// Class: portable. The complete config as TOML (every field written).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Class: portable. Checks every field's range; the error names the field.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |field: &str, why: String| {
            Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("config `{field}`: {why}"),
            ))
        };
        if !MODES.contains(&self.mode.as_str()) {
            return bad(
                "mode",
                format!("{:?} is not one of {}", self.mode, MODES.join(", ")),
            );
        }
        if !BACKENDS.contains(&self.backend.as_str()) {
            return bad(
                "backend",
                format!("{:?} is not one of {}", self.backend, BACKENDS.join(", ")),
            );
        }
        if !["mlp", "cnn", "custom"].contains(&self.model.kind.as_str()) {
            return bad(
                "model.kind",
                format!("{:?} is not `mlp`, `cnn` or `custom`", self.model.kind),
            );
        }
        if self.model.kind == "cnn" && (self.model.channels.contains(&0) || self.model.dense == 0) {
            return bad("model", "a CNN layer of width 0".into());
        }
        if !(self.data.augment.noise_std >= 0.0 && self.data.augment.noise_std.is_finite()) {
            return bad(
                "data.augment.noise_std",
                format!("{} is not a finite value >= 0", self.data.augment.noise_std),
            );
        }
        if !["digits", "fashion"].contains(&self.data.name.as_str()) {
            return bad(
                "data.name",
                format!("{:?} is not `digits` or `fashion`", self.data.name),
            );
        }
        if !(0.0 < self.data.test_fraction && self.data.test_fraction < 1.0) {
            return bad(
                "data.test_fraction",
                format!("{} is not in (0, 1)", self.data.test_fraction),
            );
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1".into());
        }
        if self.epochs == 0 && self.max_steps.is_none() {
            return bad("epochs", "must be at least 1 (or set max_steps)".into());
        }
        if self.model.hidden.contains(&0) {
            return bad("model.hidden", "a layer of width 0".into());
        }
        if !(0.0..1.0).contains(&self.model.dropout) {
            return bad(
                "model.dropout",
                format!("{} is not in [0, 1)", self.model.dropout),
            );
        }
        if !["adam", "adamw", "sgd"].contains(&self.optimizer.kind.as_str()) {
            return bad(
                "optimizer.kind",
                format!("{:?} is not adam, adamw or sgd", self.optimizer.kind),
            );
        }
        if !(self.optimizer.lr > 0.0 && self.optimizer.lr.is_finite()) {
            return bad(
                "optimizer.lr",
                format!("{} must be positive", self.optimizer.lr),
            );
        }
        if !["constant", "cosine"].contains(&self.schedule.kind.as_str()) {
            return bad(
                "schedule.kind",
                format!("{:?} is not constant or cosine", self.schedule.kind),
            );
        }
        if let Some(c) = self.grad_clip_norm
            && !(c > 0.0 && c.is_finite())
        {
            return bad("grad_clip_norm", format!("{c} must be positive"));
        }
        if self.log_every == 0 {
            return bad("log_every", "must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_partial_files() {
        let c = TrainConfig::default();
        assert_eq!(TrainConfig::from_toml(&c.to_toml()).unwrap(), c);
        let p = TrainConfig::from_toml("seed = 5\n[optimizer]\nlr = 0.01\n").unwrap();
        assert_eq!(p.seed, 5);
        assert_eq!(p.optimizer.lr, 0.01);
        assert_eq!(p.optimizer.kind, "adam");
    }

    #[test]
    fn errors_name_the_field() {
        for (text, field) in [
            ("batch_size = 0", "batch_size"),
            ("[data]\nname = \"cifar\"", "data.name"),
            ("[optimizer]\nkind = \"lion\"", "optimizer.kind"),
            ("[model]\ndropout = 1.5", "model.dropout"),
            ("sed = 1", "sed"),
            ("mode = \"fast\"", "mode"),
            ("backend = \"cuda\"", "backend"),
            ("[model]\nkind = \"rnn\"", "model.kind"),
            ("[data.augment]\nnoise_std = -1.0", "noise_std"),
        ] {
            let e = TrainConfig::from_toml(text).unwrap_err();
            assert!(e.to_string().contains(field), "{text}: {e}");
        }
    }
}
