//! The device conformance probe: canonical mode forwards the ops that are exact under IEEE
//! 754 (add, sub, mul, neg, abs, rounding, comparisons, masks, data movement) to the inner
//! backend. They give the host's bits only if the device rounds to nearest even, keeps
//! subnormals and signed zeros and propagates NaN and infinities as IEEE says; WGSL and Vulkan
//! allow a device to flush subnormals and to contract or reassociate. [`probe`] runs those ops
//! once on curated inputs on the device and on the host (burn-ndarray) and compares bits.
//!
//! NaN results are compared by NaN-ness only: payloads are not part of the contract of
//! forwarded ops (CANONICAL.md, "NaN").

use std::fmt;

use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Tensor, TensorData};

use crate::inner::Inner;

/// Class: portable (data). One op on one input that gave other bits on the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConformanceFailure {
    /// The backend op (`float_add`, ...).
    pub op: &'static str,
    /// The input elements' f32 bit patterns (one per operand).
    pub inputs: Vec<u32>,
    /// The host's result bits (comparisons: 0 or 1).
    pub host: u32,
    /// The device's result bits.
    pub device: u32,
}

impl fmt::Display for ConformanceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<String> = self
            .inputs
            .iter()
            .map(|b| format!("{:e} ({b:#010x})", f32::from_bits(*b)))
            .collect();
        write!(
            f,
            "{}({}) = {:#010x} on the device, {:#010x} on the host ({:e} vs {:e})",
            self.op,
            args.join(", "),
            self.device,
            self.host,
            f32::from_bits(self.device),
            f32::from_bits(self.host)
        )
    }
}

/// Class: portable (data). What [`probe`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConformanceReport {
    /// Results compared (one per op and input).
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

/// The probe's values: signed zeros, subnormals (the smallest, a typical one, both signs),
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

/// One op's run: its name, the operands' bits and the result bits, element by element.
pub(crate) type Outcome = (&'static str, Vec<Vec<u32>>, Vec<u32>);

/// The ops the probe runs on one backend, each a list of result bits in a fixed order.
pub(crate) fn outcomes<X: Backend>(device: &X::Device) -> Vec<Outcome> {
    let n = VALUES.len();
    let (mut xs, mut ys) = (Vec::with_capacity(n * n), Vec::with_capacity(n * n));
    for a in VALUES {
        for b in VALUES {
            xs.push(a);
            ys.push(b);
        }
    }
    let t = |v: &[f32]| Tensor::<X, 1>::from_data(TensorData::new(v.to_vec(), [v.len()]), device);
    let (x, y, v) = (t(&xs), t(&ys), t(&VALUES));
    let pair = vec![bits(&xs), bits(&ys)];
    let one = vec![bits(&VALUES)];
    let mut out = vec![
        ("float_from_data", one.clone(), read(v.clone())),
        ("float_add", pair.clone(), read(x.clone() + y.clone())),
        ("float_sub", pair.clone(), read(x.clone() - y.clone())),
        ("float_mul", pair.clone(), read(x.clone() * y.clone())),
        ("float_neg", one.clone(), read(-v.clone())),
        ("float_abs", one.clone(), read(v.clone().abs())),
        ("float_round", one.clone(), read(v.clone().round())),
        ("float_floor", one.clone(), read(v.clone().floor())),
        ("float_ceil", one.clone(), read(v.clone().ceil())),
        (
            "float_equal",
            pair.clone(),
            flags(x.clone().equal(y.clone())),
        ),
        (
            "float_greater",
            pair.clone(),
            flags(x.clone().greater(y.clone())),
        ),
        (
            "float_lower_equal",
            pair.clone(),
            flags(x.clone().lower_equal(y.clone())),
        ),
        ("float_is_nan", one.clone(), flags(v.clone().is_nan())),
        (
            "float_cat",
            one.clone(),
            read(Tensor::cat(vec![v.clone(), v.clone()], 0).narrow(0, n, n)),
        ),
    ];
    for s in [-0.0f32, 0.5, 1e-40, 3.0] {
        let sv = vec![bits(&VALUES), vec![s.to_bits(); n]];
        out.push((
            "float_add_scalar",
            sv.clone(),
            read(v.clone().add_scalar(s)),
        ));
        out.push((
            "float_mul_scalar",
            sv.clone(),
            read(v.clone().mul_scalar(s)),
        ));
        let mask = v.clone().lower_elem(1.0);
        out.push(("float_mask_fill", sv, read(v.clone().mask_fill(mask, s))));
    }
    out
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn read<X: Backend>(t: Tensor<X, 1>) -> Vec<u32> {
    t.into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .map(|v| bits(&v))
        .unwrap_or_default()
}

fn flags<X: Backend>(t: Tensor<X, 1, Bool>) -> Vec<u32> {
    t.int()
        .into_data()
        .convert::<i64>()
        .into_vec::<i64>()
        .map(|v| v.into_iter().map(|b| u32::from(b != 0)).collect())
        .unwrap_or_default()
}

/// Compares one op's results; NaN matches any NaN.
pub(crate) fn diff(
    op: &'static str,
    inputs: &[Vec<u32>],
    host: &[u32],
    device: &[u32],
    failures: &mut Vec<ConformanceFailure>,
) -> usize {
    let nan = |b: u32| f32::from_bits(b).is_nan();
    for i in 0..host.len().max(device.len()) {
        let (h, d) = (host.get(i).copied(), device.get(i).copied());
        let same = match (h, d) {
            (Some(h), Some(d)) => h == d || (nan(h) && nan(d)),
            _ => false,
        };
        if !same {
            failures.push(ConformanceFailure {
                op,
                inputs: inputs.iter().filter_map(|v| v.get(i).copied()).collect(),
                host: h.unwrap_or(u32::MAX),
                device: d.unwrap_or(u32::MAX),
            });
        }
    }
    host.len()
}

/// Class: portable (the verdict is a property of the device). Runs the ops that canonical mode
/// forwards to `B` on curated inputs (subnormals, underflowing products, signed-zero
/// combinations, NaN and infinities, round-to-nearest-even ties) once on `device` and once on
/// the host (burn-ndarray) and returns every result whose bits differ. A device that fails
/// cannot give canonical mode's bits; the trainer refuses it in strict mode
/// (`ditto_train::Trainer::fit`).
pub fn probe<B: Inner>(device: &B::Device) -> ConformanceReport {
    let host = outcomes::<burn_ndarray::NdArray>(&Default::default());
    let dev = outcomes::<B>(device);
    let mut failures = Vec::new();
    let mut checked = 0;
    for ((op, inputs, h), (_, _, d)) in host.iter().zip(&dev) {
        checked += diff(op, inputs, h, d, &mut failures);
    }
    ConformanceReport { checked, failures }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_conforms_to_itself() {
        let r = probe::<burn_ndarray::NdArray>(&Default::default());
        assert!(r.passed(), "{:?}", r.failures.first());
        assert!(r.checked > 2000, "{}", r.checked);
    }

    /// Golden: the host's own results on the cases that matter (ties, underflow, zeros).
    #[test]
    fn host_results_are_ieee() {
        let all = outcomes::<burn_ndarray::NdArray>(&Default::default());
        let get = |op: &str, a: f32, b: f32| {
            let (_, inputs, out) = all.iter().find(|(o, _, _)| *o == op).unwrap();
            let i = (0..out.len())
                .find(|&i| inputs[0][i] == a.to_bits() && inputs[1][i] == b.to_bits())
                .unwrap();
            out[i]
        };
        assert_eq!(get("float_add", 1.0, 5.960_464_5e-8), 1.0f32.to_bits());
        assert_eq!(
            get("float_add", 1.000_000_1, 5.960_464_5e-8),
            1.000_000_2f32.to_bits()
        );
        assert_eq!(get("float_add", -0.0, -0.0), (-0.0f32).to_bits());
        assert_eq!(get("float_add", -0.0, 0.0), 0.0f32.to_bits());
        assert_eq!(get("float_mul", 1e-20, 1e-20), 0x0001_16c2);
        assert_eq!(get("float_mul", 1e-20, 1e-40), 0);
        // Subnormal sums are exact: twice the bit pattern of 1e-40.
        assert_eq!(get("float_sub", 1e-40, -1e-40), 2 * 1e-40f32.to_bits());
    }

    /// A device that flushes subnormals to zero is caught, and the failure names the op and
    /// the inputs.
    #[test]
    fn a_flushing_device_fails() {
        let host = outcomes::<burn_ndarray::NdArray>(&Default::default());
        let flush = |b: u32| {
            if b & 0x7f80_0000 == 0 {
                b & 0x8000_0000
            } else {
                b
            }
        };
        let mut failures = Vec::new();
        for (op, inputs, h) in &host {
            let d: Vec<u32> = h.iter().map(|&b| flush(b)).collect();
            diff(op, inputs, h, &d, &mut failures);
        }
        assert!(
            failures.iter().any(
                |f| f.op == "float_mul" && f.inputs == [1e-20f32.to_bits(), 1e-20f32.to_bits()]
            )
        );
        let first = failures[0].to_string();
        assert!(
            first.starts_with("float_from_data(") && first.contains("on the device"),
            "{first}"
        );
    }

    #[test]
    fn nan_payloads_do_not_fail_missing_results_do() {
        let mut f = Vec::new();
        diff(
            "float_add",
            &[vec![1, 2]],
            &[0x7fc0_0000, 3],
            &[0xffc0_0000, 3],
            &mut f,
        );
        assert!(f.is_empty());
        diff("float_add", &[vec![1, 2]], &[5, 3], &[5], &mut f);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].device, u32::MAX);
    }
}
