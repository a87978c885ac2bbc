//! The training configuration: typed, with a default for every field, read from TOML (or built
//! in Rust with the same types).
//!
//! Longer than ~400 lines for now: `TrainConfig`'s fields, defaults and cross-field checks
//! (`validate`) are one unit; each section's own type lives in `config/` (`[parallel]` moved
//! there). `Mode` and `BackendKind` are the next to move.

mod data;
mod init;
mod legacy;
mod model;
mod optim;
mod parallel;
mod seeds;
mod source;
mod validation;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
pub use data::{AugmentConfig, BundledData, DataConfig, DataSource};
use ditto_kernels::Strict;
pub use init::InitConfig;
pub use model::{CnnConfig, CustomModelConfig, MlpConfig, ModelConfig, TransformerConfig};
pub use optim::{
    AdamConfig, ConstantSchedule, CosineSchedule, OptimizerConfig, ScheduleConfig, SgdConfig,
};
pub use parallel::ParallelConfig;
pub use seeds::SeedsConfig;
pub use source::{CsvSource, DataFile, IdxSource};
pub use validation::{MonitorMode, ValidationConfig};

/// Class: portable (a run's bits are a function of its resolved config and seed). Everything
/// that decides a training run. Every field has a default; `ditto train --print-config` shows
/// the complete resolved config.
///
/// Unknown keys and unknown values are refused, with the list of allowed values. Files written
/// by ditto 0.1 before the config was typed (string `kind`s with every field of every kind)
/// are still read: see [`TrainConfig::from_toml`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// The run's root seed: every random draw derives from it (see [`crate::RunSeeds`]).
    pub seed: u64,
    /// Per-source seed overrides (`[seeds]`: `init`, `data_order`, `dropout`, `augment`,
    /// `split`); unset sources derive from `seed`. Written only when a source is set.
    #[serde(skip_serializing_if = "SeedsConfig::is_default")]
    pub seeds: SeedsConfig,
    /// Kernel mode.
    pub mode: Mode,
    /// Backend the run is recorded with (and that `ditto train` runs on).
    pub backend: BackendKind,
    /// Strict mode: what the decorator does with an op it cannot make reproducible.
    pub strict: Strict,
    /// The data set.
    pub data: DataConfig,
    /// The model (bundled models; `custom` for a model of your own).
    pub model: ModelConfig,
    /// The optimiser.
    pub optimizer: OptimizerConfig,
    /// The learning-rate schedule.
    pub schedule: ScheduleConfig,
    /// What `trace.jsonl` records.
    pub trace: TraceConfig,
    /// Number of epochs.
    pub epochs: usize,
    /// Stop after this many optimiser steps (across epochs), if set.
    pub max_steps: Option<usize>,
    /// Samples per batch.
    pub batch_size: usize,
    /// Clip the gradients' norm to this value, if set: the global L2 norm over all
    /// parameters (`grad_clip_scope`, default `global`), as PyTorch's `clip_grad_norm_`.
    pub grad_clip_norm: Option<f32>,
    /// What `grad_clip_norm` bounds: `global` (the norm over every parameter's gradient
    /// together, in a fixed order; see [`ClipScope`]) or `per-tensor` (each gradient's own
    /// norm, Burn's `GradientClipping::Norm`). Unset means `global`, except in a config
    /// stored by a checkpoint written before this setting existed, which clipped per tensor
    /// and still does when resumed or replayed. Runs record it explicitly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grad_clip_scope: Option<ClipScope>,
    /// Write a checkpoint every this many steps (0: only the final one).
    pub checkpoint_every: usize,
    /// Keep this many most recent step checkpoints (0: keep all).
    pub keep_checkpoints: usize,
    /// Data-loader worker threads (never changes results).
    pub workers: usize,
    /// Data-parallel peers and micro-batches per step (in canonical mode never changes
    /// results). Written only when not `1 x 1`.
    #[serde(skip_serializing_if = "ParallelConfig::is_single")]
    pub parallel: ParallelConfig,
    /// Log a metrics line every this many steps.
    pub log_every: usize,
    /// The validation split, how often it is evaluated, best checkpoints and early stopping.
    /// Written only when not the default.
    #[serde(skip_serializing_if = "ValidationConfig::is_default")]
    pub validation: ValidationConfig,
    /// The init policy: parameters kept as the caller built them, parameters never updated.
    /// Written only when not the default.
    #[serde(skip_serializing_if = "InitConfig::is_default")]
    pub init: InitConfig,
}

/// Class: not applicable (a choice). The kernel mode: which guarantee a run gets.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// ditto's decorator over the backend's kernels: the same bits on every run, thread count
    /// and resume, on the same backend and CPU family.
    #[default]
    RunToRun,
    /// ditto's canonical kernels: additionally the same bits on any instruction set.
    Canonical,
    /// The plain Burn backend without the decorator: the baseline. Its dropout comes from
    /// Burn's global RNG, which cannot be saved, so its resume is not exact.
    Off,
}

/// Class: not applicable (a choice). The backend a run uses.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Burn's NdArray CPU backend.
    #[default]
    Ndarray,
    /// Burn's Wgpu backend (Vulkan, Metal, DX12; lavapipe in CI).
    Wgpu,
}

/// Class: not applicable (what is recorded never changes the weights). How often a line goes
/// into `trace.jsonl` (loss bits and parameter fingerprint). The fingerprint reads every
/// parameter back to the host, which is cheap on a CPU and costs a device round trip on a GPU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TraceConfig {
    /// A trace line every this many steps; 0: only at checkpoints and the last step. `ditto
    /// verify` and `ditto replay` compare the steps that both runs recorded.
    pub every: usize,
}

impl Default for TraceConfig {
    fn default() -> Self {
        Self { every: 1 }
    }
}

impl Mode {
    /// Class: not applicable. Every mode, in the order `ditto sweep` reports them.
    pub const ALL: [Mode; 3] = [Mode::RunToRun, Mode::Canonical, Mode::Off];

    /// Class: not applicable. The name used in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mode::RunToRun => "run-to-run",
            Mode::Canonical => "canonical",
            Mode::Off => "off",
        }
    }
}

impl BackendKind {
    /// Class: not applicable. Every backend ditto knows.
    pub const ALL: [BackendKind; 2] = [BackendKind::Ndarray, BackendKind::Wgpu];

    /// Class: not applicable. The name used in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
        }
    }
}

macro_rules! parse_by_name {
    ($t:ty, $what:literal) => {
        impl std::str::FromStr for $t {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.name() == s)
                    .ok_or_else(|| {
                        let all: Vec<&str> = Self::ALL.iter().map(|v| v.name()).collect();
                        Error::new(
                            ErrorKind::Invalid,
                            None,
                            format!(concat!($what, " {:?} is not one of: {}"), s, all.join(", ")),
                        )
                    })
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}
parse_by_name!(Mode, "mode");
parse_by_name!(BackendKind, "backend");

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            seeds: SeedsConfig::default(),
            mode: Mode::RunToRun,
            backend: BackendKind::Ndarray,
            strict: Strict::Error,
            data: DataConfig::default(),
            model: ModelConfig::default(),
            optimizer: OptimizerConfig::default(),
            schedule: ScheduleConfig::default(),
            trace: TraceConfig::default(),
            epochs: 20,
            max_steps: None,
            batch_size: 32,
            grad_clip_norm: None,
            grad_clip_scope: None,
            checkpoint_every: 100,
            keep_checkpoints: 3,
            workers: 0,
            log_every: 10,
            parallel: ParallelConfig::default(),
            validation: ValidationConfig::default(),
            init: InitConfig::default(),
        }
    }
}

/// Class: portable in canonical mode (the norm's order is fixed: see
/// `crates/ditto-kernels/CANONICAL.md`, "Gradient clipping"). What `grad_clip_norm` bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClipScope {
    /// The L2 norm of all gradients together: `sqrt(sum over parameters, in path order, of
    /// each gradient's sum of squares)`; every gradient is scaled by the same factor.
    Global,
    /// Each gradient's own L2 norm, clipped separately (Burn's `GradientClipping::Norm`).
    PerTensor,
}

impl TrainConfig {
    /// Class: portable. Reads a config that a run recorded (a run directory's `config.toml`),
    /// as [`TrainConfig::from_toml`] does, keeping what its settings meant when it was
    /// written: a clip norm recorded without `grad_clip_scope` was clipped per tensor.
    pub fn from_recorded_toml(text: &str) -> Result<Self, Error> {
        let mut c = Self::from_toml(text)?;
        c.recorded_meaning();
        Ok(c)
    }

    /// A recorded config's settings as they were meant when it was written (see
    /// [`TrainConfig::from_recorded_toml`]).
    pub(crate) fn recorded_meaning(&mut self) {
        if self.grad_clip_norm.is_some() && self.grad_clip_scope.is_none() {
            self.grad_clip_scope = Some(ClipScope::PerTensor);
        }
    }

    /// Class: not applicable. The clipping a run does: the bound and what it bounds, `None`
    /// without `grad_clip_norm`.
    pub fn grad_clip(&self) -> Option<(f32, ClipScope)> {
        self.grad_clip_norm
            .map(|n| (n, self.grad_clip_scope.unwrap_or(ClipScope::Global)))
    }
}

impl TrainConfig {
    /// Class: portable. Parses TOML (missing fields take their defaults) and validates.
    ///
    /// A file in the layout written by ditto 0.1.0's first releases (every field of every
    /// model, optimiser and schedule kind, string kinds) is migrated: its choices are kept and
    /// the fields that do not belong to the chosen kinds are dropped.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let c: Self = match toml::from_str(text) {
            Ok(c) => c,
            Err(e) => match toml::from_str::<legacy::LegacyConfig>(text) {
                Ok(old) => old.migrate()?,
                Err(_) => {
                    return Err(Error::new(ErrorKind::Invalid, None, format!("config: {e}")));
                }
            },
        };
        c.validate()?;
        Ok(c)
    }

    /// Class: portable. Reads a config file as [`TrainConfig::from_toml`] does, then makes the
    /// data files' relative paths relative to the file's directory (made absolute), so that
    /// the run's recorded config names them from anywhere.
    ///
    /// Errors: [`ErrorKind::Io`] when the file cannot be read; those of `from_toml`, with the
    /// file's path.
    pub fn from_file(path: &std::path::Path) -> Result<Self, Error> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path, "reading the config", e))?;
        let mut c = Self::from_toml(&text)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, Some(path), "config", e))?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let base = match dir {
            Some(d) => {
                std::fs::canonicalize(d).map_err(|e| Error::io(d, "reading the config", e))?
            }
            None => {
                std::env::current_dir().map_err(|e| Error::io(path, "reading the config", e))?
            }
        };
        c.data.source.resolve_relative(&base);
        Ok(c)
    }

    /// Class: portable. Reads a config stored as JSON (a checkpoint's state), migrating the
    /// older layout as [`TrainConfig::from_toml`] does.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, Error> {
        match serde_json::from_value::<Self>(value.clone()) {
            Ok(c) => Ok(c),
            Err(e) => match serde_json::from_value::<legacy::LegacyConfig>(value.clone()) {
                Ok(old) => old.migrate(),
                Err(_) => Err(Error::with_source(
                    ErrorKind::Invalid,
                    None,
                    "stored config",
                    e,
                )),
            },
        }
    }

    /// Class: portable. The complete config as TOML (every field written).
    pub fn to_toml(&self) -> Result<String, Error> {
        toml::to_string_pretty(self)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "writing config", e))
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
        match &self.model {
            ModelConfig::Mlp(m) => {
                if m.hidden.contains(&0) {
                    return bad("model.hidden", "a layer of width 0".into());
                }
                if !(0.0..1.0).contains(&m.dropout) {
                    return bad("model.dropout", format!("{} is not in [0, 1)", m.dropout));
                }
            }
            ModelConfig::Cnn(m) => {
                if m.channels.is_empty() || m.channels.contains(&0) || m.dense == 0 {
                    return bad(
                        "model",
                        "a CNN needs channels and layers of width > 0".into(),
                    );
                }
                if !(0.0..1.0).contains(&m.dropout) {
                    return bad("model.dropout", format!("{} is not in [0, 1)", m.dropout));
                }
            }
            ModelConfig::Transformer(m) => {
                if m.d_model == 0 || m.heads == 0 || m.layers == 0 || m.d_ff == 0 {
                    return bad(
                        "model",
                        "a transformer needs d_model, heads, layers and d_ff > 0".into(),
                    );
                }
                if m.d_model % m.heads != 0 {
                    return bad(
                        "model.heads",
                        format!("{} heads do not divide d_model = {}", m.heads, m.d_model),
                    );
                }
                if !(0.0..1.0).contains(&m.dropout) {
                    return bad("model.dropout", format!("{} is not in [0, 1)", m.dropout));
                }
            }
            ModelConfig::Custom(_) => {}
        }
        self.data.validate()?;
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1".into());
        }
        let par = self.parallel;
        if par.peers == 0 || par.accumulate == 0 || par.peers > 64 || par.accumulate > 1024 {
            return bad(
                "parallel",
                format!(
                    "peers must be in 1..=64 and accumulate in 1..=1024, got {} and {}",
                    par.peers, par.accumulate
                ),
            );
        }
        if !par.is_single() {
            if self.mode == Mode::Off {
                return bad(
                    "parallel",
                    "peers or accumulate above 1 need ditto's decorator (mode `canonical` or \
                     `run-to-run`), not `off`"
                        .into(),
                );
            }
            if self.batch_size < 2 * par.micro_batches() {
                return bad(
                    "parallel",
                    format!(
                        "{} micro-batches need a batch_size of at least {} (two samples each), \
                         got {}",
                        par.micro_batches(),
                        2 * par.micro_batches(),
                        self.batch_size
                    ),
                );
            }
        }
        if self.epochs == 0 && self.max_steps.is_none() {
            return bad("epochs", "must be at least 1 (or set max_steps)".into());
        }
        let lr = self.optimizer.lr();
        if !(lr > 0.0 && lr.is_finite()) {
            return bad("optimizer.lr", format!("{lr} must be positive"));
        }
        if let OptimizerConfig::Sgd(s) = &self.optimizer
            && !(0.0..1.0).contains(&s.momentum)
        {
            return bad(
                "optimizer.momentum",
                format!("{} is not in [0, 1)", s.momentum),
            );
        }
        if let ScheduleConfig::Cosine(c) = &self.schedule
            && !(0.0..=1.0).contains(&c.final_fraction)
        {
            return bad(
                "schedule.final_fraction",
                format!("{} is not in [0, 1]", c.final_fraction),
            );
        }
        if let Some(c) = self.grad_clip_norm
            && !(c > 0.0 && c.is_finite())
        {
            return bad("grad_clip_norm", format!("{c} must be positive"));
        }
        if self.grad_clip_scope.is_some() && self.grad_clip_norm.is_none() {
            return bad(
                "grad_clip_scope",
                "is set, but grad_clip_norm (the bound) is not".into(),
            );
        }
        if self.log_every == 0 {
            return bad("log_every", "must be at least 1".into());
        }
        if let Err(why) = self.validation.check() {
            let field = why.split(':').next().unwrap_or("validation").to_owned();
            return bad(&field, why);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
