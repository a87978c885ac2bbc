//! # ditto-train: checkpoints, provenance and traces
//!
//! Class: portable (each item's doc gives its own class).
//!
//! * [`Checkpoint`]: safetensors files (readable by Python's `safetensors`) whose
//!   `__metadata__` holds a versioned JSON document with the trainer's state, a BLAKE3 hash per
//!   tensor and [`Provenance`]; written atomically, verified on load. The format is
//!   documented in `FORMAT.md`.
//! * [`Provenance`]: ditto, Burn and rustc versions, target, CPU features, OS, backend,
//!   threads, `Cargo.lock` hash, git commit.

mod checkpoint;
mod config;
mod data;
mod error;
mod model;
mod optim_state;
mod params;
mod progress;
mod provenance;
mod report;
mod schedule;
mod trainer;

pub use checkpoint::{Checkpoint, Dtype, FORMAT, METADATA_KEY, TensorEntry, VERSION, write_atomic};
pub use config::{
    AugmentConfig, BACKENDS, DataConfig, MODES, ModelConfig, OptimizerConfig, ScheduleConfig,
    TrainConfig,
};
pub use data::{Batch, TrainData};
pub use error::{Error, ErrorKind};
pub use model::{Cnn, Mlp, TrainModel};
pub use params::{ParamValues, fingerprint, read_params, write_params};
pub use provenance::{BURN_VERSION, Provenance};
pub use report::write_report;
pub use schedule::learning_rate;
pub use trainer::{RunOptions, RunState, RunSummary, TrainBackend, train, train_model};
