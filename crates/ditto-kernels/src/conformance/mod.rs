//! The device conformance probe: canonical mode leaves the ops it classes exact
//! (`CanonicalClass::ExactEverywhere`: add, sub, mul, neg, abs, rounding, comparisons, masks,
//! integer and boolean arithmetic, data movement) on the inner backend. They give the host's
//! bits only if the device rounds to nearest even, keeps subnormals and signed zeros,
//! propagates NaN and infinities as IEEE says, and agrees on the integer edge cases (the sign
//! of a remainder, the index a tie reports); WGSL and Vulkan allow a device to flush
//! subnormals and to contract or reassociate. [`probe`] runs every one of those ops once on
//! curated inputs on the device and on the host (burn-ndarray) and compares bits; the few it
//! cannot run are listed, with the reason, in [`NOT_PROBED`] (a test checks that the two lists
//! cover the class exactly).
//!
//! NaN results are compared by NaN-ness only: payloads are not part of the contract of
//! forwarded ops (CANONICAL.md, "NaN").

mod bool_cases;
mod float_cases;
mod int_cases;
mod io;
#[cfg(test)]
mod tests;

use std::fmt;

use burn::tensor::backend::Backend;

use crate::inner::Inner;
pub use io::Values;
use io::{Cases, Outcome};

/// Class: not applicable (data). The exact ops the probe does not run, each with the reason:
/// they return no tensor bits (a device, a capability flag), their contents are unspecified
/// (`*_empty`), the host has no result to compare with (`int_argtopk`), or they act on
/// quantized tensors, which canonical mode cannot make without an
/// op it refuses (`q_from_data`, `quantize` and `quantize_dynamic` are classed `forwarded`).
pub const NOT_PROBED: &[(&str, &str)] = &[
    ("float_device", "returns a device, no tensor bits"),
    ("int_device", "returns a device, no tensor bits"),
    ("bool_device", "returns a device, no tensor bits"),
    ("q_device", "returns a device, no tensor bits"),
    (
        "has_ctc_loss_backward",
        "returns a capability flag, no tensor bits",
    ),
    ("float_empty", "its contents are unspecified"),
    ("int_empty", "its contents are unspecified"),
    ("bool_empty", "its contents are unspecified"),
    (
        "int_argtopk",
        "no reference: the host, burn-ndarray 0.21, does not implement it (`unimplemented!`)",
    ),
    ("q_to_device", QUANTIZED),
    ("q_reshape", QUANTIZED),
    ("q_into_data", QUANTIZED),
    ("q_detach", QUANTIZED),
    ("q_set_require_grad", QUANTIZED),
    ("q_is_require_grad", QUANTIZED),
    ("q_expand", QUANTIZED),
    ("q_transpose", QUANTIZED),
    ("q_swap_dims", QUANTIZED),
    ("q_permute", QUANTIZED),
    ("q_flip", QUANTIZED),
    ("q_select", QUANTIZED),
    ("q_slice", QUANTIZED),
    ("q_gather", QUANTIZED),
    ("q_repeat_dim", QUANTIZED),
    ("q_cat", QUANTIZED),
];

const QUANTIZED: &str = "a quantized tensor cannot be made in canonical mode without an op \
                         strict mode refuses (q_from_data, quantize: forwarded)";

/// Class: portable (data). One op on one input that gave other bits on the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConformanceFailure {
    /// The backend op (`float_add`, ...).
    pub op: &'static str,
    /// What the bits below are (f32 patterns, integers, booleans).
    pub values: Values,
    /// The input elements' bits, one per operand (f32 patterns, or the low 32 bits of
    /// integers, or 0 and 1; empty where the operands are not element-wise).
    pub inputs: Vec<u32>,
    /// The host's result bits (`u32::MAX` where the host gave no result there).
    pub host: u32,
    /// The device's result bits (`u32::MAX` where the device gave no result there: fewer
    /// elements, or the op failed on the device).
    pub device: u32,
}

impl fmt::Display for ConformanceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |b: u32| match self.values {
            Values::F32 => format!("{:e} ({b:#010x})", f32::from_bits(b)),
            Values::Int => format!("{}", b as i32),
            Values::Bool => format!("{b}"),
        };
        let args: Vec<String> = self.inputs.iter().map(|&b| show(b)).collect();
        write!(
            f,
            "{}({}) = {} on the device, {} on the host",
            self.op,
            args.join(", "),
            show(self.device),
            show(self.host)
        )
    }
}

/// Class: portable (data). What [`probe`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConformanceReport {
    /// Results compared (one per op and output element).
    pub checked: usize,
    /// The results whose bits differ, in probe order.
    pub failures: Vec<ConformanceFailure>,
}

impl ConformanceReport {
    /// Class: portable. Whether the device gave the host's bits for every case.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The probe's f32 values: signed zeros, subnormals (the smallest, a typical one, both signs),
/// the smallest normal, values whose sums and products are round-to-nearest-even ties or
/// underflow, the largest finite value, infinities and NaN.
pub(crate) const VALUES: [f32; 24] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    3.0,
    5.960_464_5e-8, // 2^-24: 1 + 2^-24 is a tie
    1.000_000_1,    // 1 + 2^-23: (1 + 2^-23) + 2^-24 is a tie that rounds up
    16_777_216.0,   // 2^24: 2^24 + 1 and 2^24 + 3 are ties
    f32::MIN_POSITIVE,
    1e-40, // subnormal
    -1e-40,
    1.4e-45, // the smallest subnormal
    1e-20,   // 1e-20 * 1e-20 is subnormal, 1e-20 * 1e-40 underflows to 0
    3.0e38,  // 3e38 + 3e38 overflows
    f32::MAX,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    -7.5,
];

/// Every case the probe runs on one backend, in a fixed order.
pub(crate) fn outcomes<X: Backend>(device: &X::Device) -> Vec<Outcome> {
    let mut cases = Cases::<X>::new(device);
    float_cases::run(&mut cases);
    int_cases::run(&mut cases);
    bool_cases::run(&mut cases);
    cases.out
}

/// Compares one case's results element by element (a NaN matches any NaN where the values
/// are f32), pushing a failure for each that differs or that one side lacks. Returns the
/// number of results compared.
pub(crate) fn diff(
    case: &Outcome,
    host: &[u32],
    device: &[u32],
    failures: &mut Vec<ConformanceFailure>,
) -> usize {
    let nan = |b: u32| case.values == Values::F32 && f32::from_bits(b).is_nan();
    let len = host.len().max(device.len());
    for i in 0..len {
        let (h, d) = (host.get(i).copied(), device.get(i).copied());
        let same = match (h, d) {
            (Some(h), Some(d)) => h == d || (nan(h) && nan(d)),
            _ => false,
        };
        if !same {
            failures.push(ConformanceFailure {
                op: case.op,
                values: case.values,
                inputs: case
                    .inputs
                    .iter()
                    .filter_map(|v| v.get(i).copied())
                    .collect(),
                host: h.unwrap_or(u32::MAX),
                device: d.unwrap_or(u32::MAX),
            });
        }
    }
    len
}

/// Class: portable (the verdict is a property of the device). Runs every op that canonical
/// mode leaves on `B` (class exact, but [`NOT_PROBED`]) on curated inputs (subnormals,
/// underflowing products, signed-zero combinations, NaN and infinities, round-to-nearest-even
/// ties; integers of both signs with ties; boolean patterns) once on `device` and once on the
/// host (burn-ndarray) and returns every result whose bits differ. An op that panics on the
/// device counts as a failure of each of its results. A device that fails cannot give
/// canonical mode's bits; the trainer refuses it in strict mode (`ditto_train::Trainer::fit`).
pub fn probe<B: Inner>(device: &B::Device) -> ConformanceReport {
    let host = outcomes::<burn_ndarray::NdArray>(&Default::default());
    let dev = outcomes::<B>(device);
    let mut failures = Vec::new();
    let mut checked = 0;
    for (h, d) in host.iter().zip(&dev) {
        checked += diff(h, &h.bits, &d.bits, &mut failures);
    }
    ConformanceReport { checked, failures }
}
