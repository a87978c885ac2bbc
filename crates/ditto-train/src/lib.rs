//! # ditto-train: train your Burn model with the same bits every time
//!
//! Class: portable (each item's doc gives its own class).
//!
//! * [`Trainer`]: trains your model (any [`TrainModel`]) or a bundled one ([`Mlp`], [`Cnn`],
//!   [`Transformer`])
//!   with your loss ([`Objective`]; [`Classification`] and [`Regression`] provided) on
//!   `Autodiff<Ditto<B>>`, and gives the trained model back; resumes exactly from any
//!   checkpoint. [`load_params`] puts a checkpoint's weights into a new model for inference;
//!   [`load_params_from`] also reads plain safetensors weights in `f32`, `f16` or `bf16`
//!   ([`Weights`]), and [`export_weights`] writes a checkpoint's weights as such a file.
//! * [`TrainConfig`]: the typed config (TOML or Rust), every field with a default.
//! * [`Checkpoint`]: safetensors files (readable by Python's `safetensors`) whose
//!   `__metadata__` holds a versioned JSON document with the [`RunState`], a BLAKE3 hash per
//!   tensor, a BLAKE3 hash of the whole header and [`Provenance`]; written atomically
//!   ([`write_atomic_with`] takes a [`FaultHook`] for fault injection), verified on load
//!   (`FORMAT.md`).
//! * [`RunLock`]: one writer per run directory (`ditto.lock`), taken by the [`Trainer`].
//! * [`compare_runs`]: where two runs first differ (what `ditto verify` prints).
//! * [`RunSeeds`]: the seed tree of a run, derived from its root seed (and the config's
//!   per-source `[seeds]`, [`SeedsConfig`]) in one place.
//! * [`sweep`]: sensitivity analysis of your own runs: a grid over seeds (each source
//!   alone), hyperparameters and the environment, run through your factory, with means, 95%
//!   intervals, a variance decomposition and every environment difference judged against the
//!   mode's promise.
//! * [`Provenance`]: ditto, Burn and rustc versions, target, CPU features, OS, backend,
//!   threads, `Cargo.lock` hash, git commit.
//!
//! A run directory holds `config.toml`, `manifest.json` ([`Provenance`]), `trace.jsonl`
//! ([`TraceLine`]), `metrics.jsonl` ([`MetricsLine`]), `checkpoints/step-NNNNNNNN.safetensors`,
//! `final.safetensors` (or `last.safetensors` for a stopped run), `summary.json`
//! ([`RunSummary`]), `report.md`, `curves.svg`, while a process writes it, `ditto.lock`, and,
//! for a run asked to record ops ([`Trainer::trace_ops`]), `ops.jsonl` ([`OpLine`]) and
//! `ops.bin` (see [`OpTrace`]; [`compare_op_traces`] finds the first op that differs).

mod atomic;
mod attest;
mod checkpoint;
mod checkpoint_header;
mod checkpoint_read;
mod compare;
mod config;
mod data;
mod dtype;
mod env_check;
mod error;
mod export;
mod integrity;
mod load;
mod lock;
mod manifest;
mod model;
mod model_record;
mod monitor;
mod objective;
mod op_trace;
mod optim_state;
mod params;
mod precision;
mod predict;
mod predict_bundled;
mod progress;
mod provenance;
mod read_options;
mod records;
mod refusal;
mod report;
mod run_id;
mod schedule;
mod seeds;
mod state;
pub mod sweep;
mod task;
mod timing;
mod trainer;
mod verification;
mod weights;

pub use atomic::{FaultHook, NoFaults, WriteStage, write_atomic, write_atomic_with};
pub use attest::{
    ClaimCheck, ClaimDiff, DataClaims, FileClaim, Reproduce, STATEMENT_FORMAT, STATEMENT_VERSION,
    Statement,
};
pub use checkpoint::{Checkpoint, Dtype, FORMAT, METADATA_KEY, TensorEntry, VERSION};
pub use checkpoint_header::CheckpointHeader;
pub use compare::{
    Comparison, DiffKind, Divergence, TensorDiff, compare_checkpoints, compare_runs,
    compare_runs_with, ulp_distance,
};
pub use config::{
    AdamConfig, AugmentConfig, BackendKind, BundledData, ClipScope, CnnConfig, ConstantSchedule,
    CosineSchedule, CsvSource, CustomModelConfig, DataConfig, DataFile, DataSource, IdxSource,
    InitConfig, MlpConfig, Mode, ModelConfig, MonitorMode, OptimizerConfig, ParallelConfig,
    ScheduleConfig, SeedsConfig, SgdConfig, TraceConfig, TrainConfig, TransformerConfig,
    ValidationConfig,
};
pub use data::{Batch, BatchTargets, TaskData, TrainData};
pub use ditto_data::csv::LabelColumn;
pub use ditto_data::{FilePin, Sha256Digest};
pub use env_check::{EnvCheck, EnvFacts, EnvRow, Environment, Factor, Promise, RunFacts, Shown};
pub use error::{Error, ErrorKind};
pub use export::{ExportReport, ExportedTensor, export_bytes, export_weights};
pub use integrity::Integrity;
pub use load::{
    load_params, load_params_from, load_params_matching, load_weights, load_weights_matching,
};
pub use lock::{LOCK_FILE, RunLock};
pub use manifest::{Manifest, Program};
pub use model::{Cnn, Mlp, TrainModel, Transformer};
pub use model_record::{ModelOrigin, ModelRecord, ParamRow};
pub use monitor::{MonitorState, Scored};
pub use objective::{
    Classification, Evaluation, Objective, Regression, TargetKind, Targets, TensorBatch,
};
pub use op_trace::{
    BitsRef, OPS_BIN, OPS_FORMAT, OPS_JSONL, OPS_VERSION, OpComparison, OpLine, OpMisalignment,
    OpTrace, OpsHeader, StepRange, TensorLine, compare_op_traces,
};
pub use params::{ParamValues, fingerprint, read_params, write_params};
pub use precision::ConversionCounts;
pub use predict::{Outputs, predict, predict_rows};
pub use predict_bundled::BundledModel;
pub use provenance::{BURN_VERSION, BuildInfo, Project, Provenance};
pub use read_options::ReadOptions;
pub use records::{EvalLine, MetricsLine, RunSummary, Split, TraceLine, TrainLine, parse_lines};
pub use report::write_report;
pub use run_id::RunId;
pub use schedule::learning_rate;
pub use seeds::{RunSeeds, SeedLabel};
pub use state::RunState;
pub use task::Task;
pub use timing::LoopTimes;
pub use trainer::{
    RUN_FILES, TrainBackend, Trained, Trainer, locate_checkpoint, locate_checkpoint_with,
};
pub use verification::{
    Machine, VERIFICATIONS, Verification, VerificationKind, VerificationVerdict,
};
pub use weights::Weights;
