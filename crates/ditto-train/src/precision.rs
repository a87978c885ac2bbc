//! Half precision to and from `f32`: IEEE 754 binary16 (`f16`) and bfloat16 (`bf16`), by the
//! rules of CANONICAL.md's "Half-precision conversion". Upcasts are exact (every half value,
//! NaN payloads included, is an `f32`); downcasts round to nearest, ties to even (`half`'s
//! `from_f32`), NaN becoming a quiet NaN of the same sign with the payload's top bits.
//!
//! NaNs are converted here, bit by bit, rather than by `half`: its `to_f32` sets the quiet bit
//! of a signalling NaN (so would the F16C instruction it may use), which would not be exact;
//! and defining the NaN bits here keeps them the same whichever path `half` takes on a CPU.
//! Every other value has one correct result, which `half`'s software and hardware paths agree
//! on.

use half::{bf16, f16};

use crate::checkpoint::Dtype;

/// Class: portable. How many values of a tensor a conversion to a narrower type changed, and
/// how (see [`crate::ExportReport`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConversionCounts {
    /// Values converted.
    pub values: u64,
    /// Values (other than NaN) that the target type does not hold exactly: rounded to a
    /// neighbour, including those counted as overflowed or flushed.
    pub rounded: u64,
    /// Finite values that became an infinity (too large for the target type).
    pub overflowed: u64,
    /// Non-zero values that became a zero (of the same sign): too small for the target type.
    pub flushed: u64,
    /// Values whose result is a non-zero subnormal of the target type (fewer significant
    /// bits than its normal numbers).
    pub subnormal: u64,
    /// NaN values (each became a quiet NaN of the same sign).
    pub nan: u64,
}

/// Class: portable. The sum of two counts (totals over tensors).
impl std::ops::Add for ConversionCounts {
    type Output = Self;

    fn add(self, o: Self) -> Self {
        Self {
            values: self.values + o.values,
            rounded: self.rounded + o.rounded,
            overflowed: self.overflowed + o.overflowed,
            flushed: self.flushed + o.flushed,
            subnormal: self.subnormal + o.subnormal,
            nan: self.nan + o.nan,
        }
    }
}

/// The `f32` holding the `f16` with bits `h`, exactly (NaN: same sign, payload shifted up,
/// a signalling NaN stays signalling).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    if f16::from_bits(h).is_nan() {
        let (h, sign) = (u32::from(h), u32::from(h & 0x8000) << 16);
        f32::from_bits(sign | 0x7F80_0000 | ((h & 0x03FF) << 13))
    } else {
        f16::from_bits(h).to_f32()
    }
}

/// The `f32` holding the `bf16` with bits `h`, exactly (the upper half of its bits).
pub(crate) fn bf16_to_f32(h: u16) -> f32 {
    if bf16::from_bits(h).is_nan() {
        f32::from_bits(u32::from(h) << 16)
    } else {
        bf16::from_bits(h).to_f32()
    }
}

/// The `f16` nearest `x` (ties to even), as bits; NaN: a quiet NaN, same sign, the top ten
/// payload bits.
pub(crate) fn f32_to_f16(x: f32) -> u16 {
    if x.is_nan() {
        let b = x.to_bits();
        (((b >> 16) & 0x8000) | 0x7E00 | ((b >> 13) & 0x03FF)) as u16
    } else {
        f16::from_f32(x).to_bits()
    }
}

/// The `bf16` nearest `x` (ties to even), as bits; NaN: a quiet NaN, same sign, the top seven
/// payload bits.
pub(crate) fn f32_to_bf16(x: f32) -> u16 {
    if x.is_nan() {
        ((x.to_bits() >> 16) | 0x0040) as u16
    } else {
        bf16::from_f32(x).to_bits()
    }
}

/// The values of a tensor of `dtype` (`F32`, `F16` or `BF16`) and `shape` stored as
/// little-endian `bytes`, upcast exactly; `Err` says what does not fit.
pub(crate) fn decode(dtype: Dtype, shape: &[usize], bytes: &[u8]) -> Result<Vec<f32>, String> {
    let Some(size) = float_size(dtype) else {
        return Err(format!(
            "expected a float tensor (f32, f16 or bf16), found {dtype:?}"
        ));
    };
    let n = shape
        .iter()
        .try_fold(1usize, |a, d| a.checked_mul(*d))
        .ok_or_else(|| format!("shape {shape:?} overflows"))?;
    if n.checked_mul(size) != Some(bytes.len()) {
        return Err(format!(
            "a {dtype:?} tensor of shape {shape:?} needs {n} x {size} bytes, found {} \
             (truncated or malformed)",
            bytes.len()
        ));
    }
    Ok(match dtype {
        Dtype::F16 => halves(bytes).map(f16_to_f32).collect(),
        Dtype::BF16 => halves(bytes).map(bf16_to_f32).collect(),
        _ => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    })
}

/// `values` as little-endian bytes of `dtype` (`F32`: bit for bit; `F16`, `BF16`: rounded to
/// nearest, ties to even) and what the conversion changed; `None` for a non-float `dtype`.
pub(crate) fn encode(dtype: Dtype, values: &[f32]) -> Option<(Vec<u8>, ConversionCounts)> {
    match dtype {
        Dtype::F32 => {
            let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            let nan = values.iter().filter(|v| v.is_nan()).count() as u64;
            let subnormal = values.iter().filter(|v| v.is_subnormal()).count() as u64;
            let counts = ConversionCounts {
                values: values.len() as u64,
                nan,
                subnormal,
                ..ConversionCounts::default()
            };
            Some((bytes, counts))
        }
        Dtype::F16 => Some(narrow(values, f32_to_f16, f16_to_f32, 0x0400)),
        Dtype::BF16 => Some(narrow(values, f32_to_bf16, bf16_to_f32, 0x0080)),
        Dtype::U8 | Dtype::I64 => None,
    }
}

/// `values` converted by `to` (`from` its exact inverse on the results), as little-endian
/// bytes, and what changed; `min_normal`: the bits of the target's smallest normal number.
fn narrow(
    values: &[f32],
    to: fn(f32) -> u16,
    from: fn(u16) -> f32,
    min_normal: u16,
) -> (Vec<u8>, ConversionCounts) {
    let mut bytes = Vec::with_capacity(values.len() * 2);
    let mut c = ConversionCounts {
        values: values.len() as u64,
        ..ConversionCounts::default()
    };
    for &x in values {
        let h = to(x);
        bytes.extend_from_slice(&h.to_le_bytes());
        let back = from(h);
        if x.is_nan() {
            c.nan += 1;
            continue;
        }
        c.rounded += u64::from(back != x);
        c.overflowed += u64::from(x.is_finite() && back.is_infinite());
        c.flushed += u64::from(x != 0.0 && back == 0.0);
        let magnitude = h & 0x7FFF;
        c.subnormal += u64::from(magnitude != 0 && magnitude < min_normal);
    }
    (bytes, c)
}

/// Bytes per value of a float `dtype`.
fn float_size(dtype: Dtype) -> Option<usize> {
    match dtype {
        Dtype::F32 => Some(4),
        Dtype::F16 | Dtype::BF16 => Some(2),
        Dtype::U8 | Dtype::I64 => None,
    }
}

fn halves(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
}

#[cfg(test)]
mod tests;
