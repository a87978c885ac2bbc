//! The element types of stored tensors, and their safetensors names.

use safetensors::tensor::Dtype as StDtype;
use serde::{Deserialize, Serialize};

/// Class: portable. The element type of a stored tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dtype {
    /// IEEE 754 binary32, little-endian.
    F32,
    /// IEEE 754 binary16, little-endian: read (upcast exactly to `f32`), never written by
    /// the trainer; `ditto export --dtype f16` writes it.
    F16,
    /// bfloat16 (the top half of a binary32), little-endian: read (upcast exactly to
    /// `f32`), never written by the trainer; `ditto export --dtype bf16` writes it.
    BF16,
    /// Bytes (opaque blobs such as an optimiser record).
    U8,
    /// Two's-complement 64-bit integers, little-endian.
    I64,
}

impl Dtype {
    /// Class: not applicable (a name). The lower-case name: `f32`, `f16`, `bf16`, `u8`,
    /// `i64`.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "f32",
            Dtype::F16 => "f16",
            Dtype::BF16 => "bf16",
            Dtype::U8 => "u8",
            Dtype::I64 => "i64",
        }
    }

    pub(crate) fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F16 | Dtype::BF16 => 2,
            Dtype::U8 => 1,
            Dtype::I64 => 8,
        }
    }

    pub(crate) fn to_st(self) -> StDtype {
        match self {
            Dtype::F32 => StDtype::F32,
            Dtype::F16 => StDtype::F16,
            Dtype::BF16 => StDtype::BF16,
            Dtype::U8 => StDtype::U8,
            Dtype::I64 => StDtype::I64,
        }
    }

    /// The dtype of a safetensors dtype that ditto reads.
    pub(crate) fn of_st(st: StDtype) -> Option<Self> {
        Some(match st {
            StDtype::F32 => Dtype::F32,
            StDtype::F16 => Dtype::F16,
            StDtype::BF16 => Dtype::BF16,
            StDtype::U8 => Dtype::U8,
            StDtype::I64 => Dtype::I64,
            _ => return None,
        })
    }
}
