//! The run state stored in every checkpoint, and the checkpoint's typed view of it.

use std::collections::BTreeMap;

use ditto_kernels::RngState;
use serde::{Deserialize, Deserializer, Serialize};

use crate::checkpoint::Checkpoint;
use crate::config::TrainConfig;
use crate::error::{Error, ErrorKind};
use crate::monitor::MonitorState;
use crate::run_id::RunId;

/// Class: portable. Where a run stands: the state document stored in every checkpoint
/// (`FORMAT.md`, "The trainer's state"). Everything a step depends on is here or derivable from
/// the config, so resuming at any step is exact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// The complete resolved config (older layouts are migrated on read).
    #[serde(deserialize_with = "config_any_layout")]
    pub config: TrainConfig,
    /// Optimiser steps done.
    pub step: usize,
    /// The epoch of the next batch.
    pub epoch: u64,
    /// The index of the next batch within `epoch`.
    pub batch: usize,
    /// The decorator's random state (dropout), to restore before the next step.
    pub backend_rng: RngState,
    /// The fingerprint of all parameters at `step`.
    pub fingerprint: String,
    /// Per parameter path: the optimiser state's skeleton (counters; its tensors are the
    /// checkpoint's `optimizer.<path>.*` tensors). Empty in checkpoints that hold the state
    /// as one Burn record blob per parameter (`optimizer.<path>`, read as well).
    #[serde(default)]
    pub optimizer: BTreeMap<String, serde_json::Value>,
    /// The run this checkpoint belongs to ([`crate::RunId`]); `None` in checkpoints written
    /// before runs had an identity (they still resume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<RunId>,
    /// The validation monitor (best evaluation, patience, kept best checkpoints, early
    /// stop); absent when the run has no validation split (or was written before it existed).
    #[serde(default, skip_serializing_if = "MonitorState::is_empty")]
    pub monitor: MonitorState,
    /// The fingerprint of the parameters the run started from (after `[init]`: drawn, or
    /// kept as the caller built them); a resume from other starting weights is refused.
    /// `None` in checkpoints written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_fingerprint: Option<String>,
}

/// A stored config in any layout. A clip norm recorded without its scope was written before
/// global clipping existed, when it was Burn's per-tensor clipping: it keeps that meaning.
fn config_any_layout<'de, D: Deserializer<'de>>(d: D) -> Result<TrainConfig, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let mut c = TrainConfig::from_json(&v).map_err(serde::de::Error::custom)?;
    c.recorded_meaning();
    Ok(c)
}

impl RunState {
    /// Class: portable. The state as the JSON stored in a checkpoint.
    pub fn to_json(&self) -> Result<serde_json::Value, Error> {
        serde_json::to_value(self)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "writing run state", e))
    }

    /// Class: portable. The state from a checkpoint's JSON (mirror of [`RunState::to_json`]).
    pub fn from_json(v: &serde_json::Value) -> Result<Self, Error> {
        serde_json::from_value(v.clone()).map_err(|e| {
            Error::with_source(
                ErrorKind::Invalid,
                None,
                "not a ditto trainer checkpoint (run state)",
                e,
            )
        })
    }
}

/// The most random ops a restored decorator state may already have served. A run draws a
/// handful per step; from this bound, counting on to `u64::MAX` would take 2^63 more ops
/// (about 290 years at one op per nanosecond), so the counter cannot overflow.
pub(crate) const MAX_RESTORED_RNG_CALLS: u64 = 1 << 63;

impl RunState {
    /// Class: portable. Checks that a state being resumed is a position a run with
    /// `per_epoch` batches per epoch can be at, so that no arithmetic on it can overflow:
    /// `batch <= per_epoch`, `step == epoch * per_epoch + batch` (every step takes one batch),
    /// `epoch <= step`, and at most 2^63 random ops served (from there the counter cannot
    /// reach `u64::MAX`).
    ///
    /// Errors: [`ErrorKind::Invalid`], naming the field and the range. A header-verified
    /// checkpoint written by ditto always passes; one that fails was written by other code,
    /// or is resumed with data of another size or another batch size.
    pub fn check_position(&self, per_epoch: usize) -> Result<(), Error> {
        let bad = |what: String| {
            Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("the checkpoint's run state is out of range: {what}"),
            ))
        };
        if self.batch > per_epoch {
            return bad(format!(
                "batch {} is past the epoch's end ({per_epoch} batches per epoch)",
                self.batch
            ));
        }
        // In 128 bits: a product of a u64 and a usize, plus a usize, cannot overflow.
        let at = u128::from(self.epoch) * per_epoch as u128 + self.batch as u128;
        // `epoch <= step` holds too (every epoch before the current one took a batch); it
        // matters only without batches (`per_epoch == 0`), where the product says nothing.
        if at != self.step as u128 || u128::from(self.epoch) > self.step as u128 {
            return bad(format!(
                "step {} is not where epoch {} batch {} lies ({at}, at {per_epoch} batches per \
                 epoch): the state was changed, or the data or batch size differ from the run's",
                self.step, self.epoch, self.batch
            ));
        }
        if self.backend_rng.calls > MAX_RESTORED_RNG_CALLS {
            return bad(format!(
                "backend_rng.calls {} is above {MAX_RESTORED_RNG_CALLS}",
                self.backend_rng.calls
            ));
        }
        Ok(())
    }
}

impl Checkpoint {
    /// Class: portable. The trainer's state stored in this checkpoint, typed.
    ///
    /// Errors: [`ErrorKind::Invalid`] when the state is not a trainer's (a checkpoint written
    /// by other code with [`Checkpoint::write`]).
    pub fn run_state(&self) -> Result<RunState, Error> {
        RunState::from_json(&self.state)
    }
}
