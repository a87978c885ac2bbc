//! # ditto-train: checkpoints, provenance and traces
//!
//! Class: portable (each item's doc gives its own class).
//!
//! * [`Checkpoint`]: safetensors files (readable by Python's `safetensors`) whose
//!   `__metadata__` holds a versioned JSON document with the trainer's state, a BLAKE3 hash per
//!   tensor, a BLAKE3 hash of the whole header and [`Provenance`]; written atomically
//!   ([`write_atomic_with`] takes a [`FaultHook`] for fault injection), verified on load. The
//!   format is documented in `FORMAT.md`.
//! * [`RunLock`]: one writer per run directory (`ditto.lock`).
//! * [`Provenance`]: ditto, Burn and rustc versions, target, CPU features, OS, backend,
//!   threads, `Cargo.lock` hash, git commit.

mod atomic;
mod checkpoint;
mod config;
mod data;
mod error;
mod integrity;
mod lock;
mod model;
mod optim_state;
mod params;
mod progress;
mod provenance;
mod report;
mod schedule;
mod trainer;

pub use atomic::{FaultHook, NoFaults, WriteStage, write_atomic, write_atomic_with};
pub use checkpoint::{Checkpoint, Dtype, FORMAT, METADATA_KEY, TensorEntry, VERSION};
pub use config::{
    AugmentConfig, BACKENDS, DataConfig, MODES, ModelConfig, OptimizerConfig, ScheduleConfig,
    TrainConfig,
};
pub use data::{Batch, TrainData};
pub use error::{Error, ErrorKind};
pub use integrity::Integrity;
pub use lock::{LOCK_FILE, RunLock};
pub use model::{Cnn, Mlp, TrainModel};
pub use params::{ParamValues, fingerprint, read_params, write_params};
pub use provenance::{BURN_VERSION, Provenance};
pub use report::write_report;
pub use schedule::learning_rate;
pub use trainer::{RunOptions, RunState, RunSummary, TrainBackend, train, train_model};
