//! The op trace of a run directory: which steps to record ([`StepRange`]), the files'
//! schema (`ops.jsonl`: a header line, then one [`OpLine`] per backend op; `ops.bin`: the
//! output f32 bit patterns), writing them, reading them back validated ([`OpTrace::read`]) and
//! comparing two runs' traces ([`compare_op_traces`], what `ditto verify --ops` prints).
//!
//! Format `ditto-ops` version 1. `ops.jsonl` starts with an [`OpsHeader`] line; every other
//! line is an [`OpLine`] in recording order (steps ascending, `index` from 0 in each step).
//! `ops.bin` is the concatenation of the outputs' f32 bit patterns as little-endian u32, at the
//! byte offsets the lines name (a [`BitsRef`]); it holds nothing else. A reader refuses a
//! newer version; fields may be added to the lines without a version change.

mod compare;
mod io;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

pub use compare::{OpComparison, OpMisalignment, compare_op_traces};
pub use io::OpTrace;
pub(crate) use io::OpTraceWriter;

/// Class: not applicable (a name). The header line's `format`.
pub const OPS_FORMAT: &str = "ditto-ops";
/// Class: not applicable (a number). The version this ditto writes and the newest it reads.
pub const OPS_VERSION: u32 = 1;
/// Class: not applicable (a name). The op trace's line file in a run directory.
pub const OPS_JSONL: &str = "ops.jsonl";
/// Class: not applicable (a name). The op trace's bits sidecar in a run directory.
pub const OPS_BIN: &str = "ops.bin";

/// Class: portable. The training steps to record ops for: `first..=last`, 1-based as in
/// `trace.jsonl` (step 1 is the first optimiser step). Parses from `A..B` (both included) or
/// a single step `N`; step 0, an empty (reversed) range and anything else are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRange {
    first: usize,
    last: usize,
}

impl StepRange {
    /// Class: portable. Steps `first..=last`. Errors: `first` is 0 or `last < first`.
    pub fn new(first: usize, last: usize) -> Result<Self, Error> {
        if first == 0 {
            return Err(invalid(format!(
                "op trace steps {first}..{last}: steps are numbered from 1"
            )));
        }
        if last < first {
            return Err(invalid(format!(
                "op trace steps {first}..{last}: the range is reversed (empty)"
            )));
        }
        Ok(Self { first, last })
    }

    /// Class: portable. The first step recorded.
    pub fn first(&self) -> usize {
        self.first
    }

    /// Class: portable. The last step recorded (included).
    pub fn last(&self) -> usize {
        self.last
    }

    /// Class: portable. Whether step `step` (1-based) is recorded.
    pub fn contains(&self, step: usize) -> bool {
        (self.first..=self.last).contains(&step)
    }
}

impl FromStr for StepRange {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let num = |t: &str| {
            t.trim().parse::<usize>().map_err(|e| {
                invalid(format!(
                    "op trace steps {s:?}: {t:?} is not a step number ({e}); give `A..B` \
                     (both included) or `N`"
                ))
            })
        };
        match s.split_once("..") {
            Some((a, b)) => Self::new(num(a)?, num(b.strip_prefix('=').unwrap_or(b))?),
            None => {
                let n = num(s)?;
                Self::new(n, n)
            }
        }
    }
}

impl fmt::Display for StepRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.first, self.last)
    }
}

/// Class: not applicable (schema). The first line of `ops.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpsHeader {
    /// Always [`OPS_FORMAT`].
    pub format: String,
    /// [`OPS_VERSION`] when written.
    pub version: u32,
    /// The steps the run was asked to record.
    pub steps: StepRange,
    /// The backend (`Ditto<...>` name) the ops ran on.
    pub backend: String,
}

/// Class: portable (for a given run, backend and kernel mode). One backend op of `ops.jsonl`:
/// a top-level op of `Ditto<B>` run during a recorded step (batch upload, forward, backward,
/// optimiser update).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpLine {
    /// The training step (1-based) the op ran in.
    pub step: usize,
    /// Position of the op in its step (0-based).
    pub index: usize,
    /// The Burn backend op (`float_matmul`, `linear`, ...).
    pub op: String,
    /// Its tensor arguments, in parameter order.
    pub inputs: Vec<TensorLine>,
    /// Its tensor results.
    pub outputs: Vec<TensorLine>,
}

/// Class: portable (data). One tensor of an [`OpLine`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorLine {
    /// Element type (`F32`, `I64`, `Bool`, ...).
    pub dtype: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// [`ditto_kernels::tensor_hash`] of the tensor, as `0x` and sixteen hex digits (0 when the
    /// backend could not read it back).
    #[serde(with = "hex_u64")]
    pub hash: u64,
    /// Where its f32 bit patterns are in `ops.bin` (float outputs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<BitsRef>,
}

/// Class: not applicable (a file position). A run of little-endian u32 in `ops.bin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BitsRef {
    /// Byte offset in `ops.bin`.
    pub offset: u64,
    /// Number of u32 elements.
    pub len: u64,
}

fn invalid(detail: String) -> Error {
    Error::new(ErrorKind::Invalid, None, detail)
}

mod hex_u64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:#018x}"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        let hex = text
            .strip_prefix("0x")
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} does not start with 0x")))?;
        u64::from_str_radix(hex, 16).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
