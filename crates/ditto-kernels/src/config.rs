//! `DittoConfig`: what the decorator does when an op cannot keep its promise.

use serde::{Deserialize, Serialize};

/// Class: not applicable (configuration). The analogue of PyTorch's
/// `use_deterministic_algorithms`: what happens when an op classed `non-deterministic` for
/// the current backend (see `DETERMINISM.md`) is called.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strict {
    /// Refuse the op: panic with a message naming the op, the backend and the way out, or
    /// record the refusal ([`OnRefusal`]). The default: a run that cannot be reproduced
    /// should not start.
    #[default]
    Error,
    /// Log a `tracing` warning once per op and device, then run the op.
    Warn,
    /// Run the op silently.
    Off,
}

/// Class: not applicable (configuration). Which kernels the decorator's float ops run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KernelMode {
    /// The backend's own kernels (each op keeps its class in `DETERMINISM.md`): the same bits
    /// on every run with the same backend, machine type and thread count... or any thread
    /// count where the audit says so.
    #[default]
    RunToRun,
    /// ditto's canonical kernels (`CANONICAL.md`) for matmul, sums and means, exp, log, tanh,
    /// erf, sigmoid, gelu, powf, conv2d, conv_transpose2d and average pooling with their
    /// backward ops: one specified IEEE operation order per output, so the bits do not depend
    /// on the thread count, the instruction set or the backend. Computed on the host.
    Canonical,
}

impl KernelMode {
    /// Class: not applicable. The mode's name: `run-to-run` or `canonical`.
    pub fn name(self) -> &'static str {
        match self {
            Self::RunToRun => "run-to-run",
            Self::Canonical => "canonical",
        }
    }
}

impl core::fmt::Display for KernelMode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for KernelMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "run-to-run" => Ok(Self::RunToRun),
            "canonical" => Ok(Self::Canonical),
            other => Err(format!(
                "{other:?} is not a kernel mode (run-to-run, canonical)"
            )),
        }
    }
}

/// Class: not applicable (configuration). What an op refused by [`Strict::Error`] does. A
/// Burn backend op cannot return an error, so the refusal either panics or is recorded for
/// the caller to turn into one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnRefusal {
    /// Panic with a message naming the op, the backend and the way out (the default: code
    /// that calls Burn ops directly has no other way to stop).
    #[default]
    Panic,
    /// Record the first refusal on this thread ([`crate::Ditto::take_refusal`]) and run the
    /// op as [`Strict::Off`] would: its result is not to be used. The trainer does this and
    /// returns the refusal as an error at the end of the step's ops, before the optimiser
    /// update keeps or a checkpoint writes anything of the step.
    Record,
}

/// Class: not applicable (configuration). The decorator's settings for one device.
///
/// Set with [`crate::Ditto::configure`]; read back with [`crate::Ditto::config`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DittoConfig {
    /// Strict mode.
    pub strict: Strict,
    /// Kernel mode.
    pub kernels: KernelMode,
    /// What a refusal of [`Strict::Error`] does.
    #[serde(default)]
    pub on_refusal: OnRefusal,
}
