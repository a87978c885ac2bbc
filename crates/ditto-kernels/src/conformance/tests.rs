use std::collections::BTreeSet;

use super::*;
use crate::audit::{CanonicalClass, all_ops, canonical_class};

fn host() -> Vec<Outcome> {
    outcomes::<burn_ndarray::NdArray>(&Default::default())
}

#[test]
fn the_host_conforms_to_itself() {
    let r = probe::<burn_ndarray::NdArray>(&Default::default());
    assert!(r.passed(), "{:?}", r.failures.first());
    assert!(r.checked > 8000, "{}", r.checked);
}

/// The probe covers the class exactly: every op canonical mode leaves on the device (class
/// exact) is run, or listed in `NOT_PROBED` with its reason, never both; the probe runs no op
/// of another class; and every case gives the host a result (a case that panicked on the host
/// would compare nothing).
#[test]
fn every_exact_op_is_probed_or_listed_as_not_probed() {
    let exact: BTreeSet<&str> = all_ops()
        .into_iter()
        .map(|(_, op)| op)
        .filter(|op| canonical_class(op) == Some(CanonicalClass::ExactEverywhere))
        .collect();
    let cases = host();
    let probed: BTreeSet<&str> = cases.iter().map(|c| c.op).collect();
    let listed: BTreeSet<&str> = NOT_PROBED.iter().map(|(op, _)| *op).collect();
    assert_eq!(listed.len(), NOT_PROBED.len(), "an op is listed twice");
    let both: Vec<_> = probed.intersection(&listed).collect();
    assert!(both.is_empty(), "probed and listed as not probed: {both:?}");
    let covered: BTreeSet<&str> = probed.union(&listed).copied().collect();
    let missing: Vec<_> = exact.difference(&covered).collect();
    assert!(missing.is_empty(), "exact ops the probe skips: {missing:?}");
    let stray: Vec<_> = covered.difference(&exact).collect();
    assert!(stray.is_empty(), "not of class exact: {stray:?}");
    let empty: Vec<&str> = cases
        .iter()
        .filter(|c| c.bits.is_empty())
        .map(|c| c.op)
        .collect();
    assert!(
        empty.is_empty(),
        "cases that gave the host no result: {empty:?}"
    );
    for (op, why) in NOT_PROBED {
        assert!(!why.is_empty(), "{op}");
    }
}

/// Golden: the host's own results on the cases that matter (ties, underflow, zeros, integer
/// signs).
#[test]
fn host_results_are_ieee() {
    let all = host();
    let get = |op: &str, a: u32, b: u32| {
        let c = all.iter().find(|c| c.op == op).unwrap();
        let i = (0..c.bits.len())
            .find(|&i| c.inputs[0][i] == a && c.inputs[1][i] == b)
            .unwrap();
        c.bits[i]
    };
    let f = |op: &str, a: f32, b: f32| get(op, a.to_bits(), b.to_bits());
    assert_eq!(f("float_add", 1.0, 5.960_464_5e-8), 1.0f32.to_bits());
    assert_eq!(
        f("float_add", 1.000_000_1, 5.960_464_5e-8),
        1.000_000_2f32.to_bits()
    );
    assert_eq!(f("float_add", -0.0, -0.0), (-0.0f32).to_bits());
    assert_eq!(f("float_add", -0.0, 0.0), 0.0f32.to_bits());
    assert_eq!(f("float_mul", 1e-20, 1e-20), 0x0001_16c2);
    assert_eq!(f("float_mul", 1e-20, 1e-40), 0);
    // Subnormal sums are exact: twice the bit pattern of 1e-40.
    assert_eq!(f("float_sub", 1e-40, -1e-40), 2 * 1e-40f32.to_bits());
    // Integer division truncates towards zero on the host.
    let i = |op: &str, a: i64, b: i64| get(op, a as u32, b as u32) as i32;
    assert_eq!(i("int_div", -7, 2), -3);
    assert_eq!(i("int_mul", -7, 13), -91);
}

/// A device that flushes subnormals to zero is caught, and the failure names the op and the
/// inputs.
#[test]
fn a_flushing_device_fails() {
    let flush = |b: u32| {
        if b & 0x7f80_0000 == 0 {
            b & 0x8000_0000
        } else {
            b
        }
    };
    let mut failures = Vec::new();
    for c in host().iter().filter(|c| c.values == Values::F32) {
        let d: Vec<u32> = c.bits.iter().map(|&b| flush(b)).collect();
        diff(c, &c.bits, &d, &mut failures);
    }
    assert!(
        failures
            .iter()
            .any(|f| f.op == "float_mul" && f.inputs == [1e-20f32.to_bits(), 1e-20f32.to_bits()])
    );
    let first = failures[0].to_string();
    assert!(
        first.starts_with("float_from_data(") && first.contains("on the device"),
        "{first}"
    );
}

/// A device whose remainder takes the dividend's sign (C's `%`) where the host's takes the
/// divisor's, or the other way round, is caught: integer results are compared exactly.
#[test]
fn an_integer_convention_that_differs_fails() {
    let all = host();
    let c = all.iter().find(|c| c.op == "int_remainder").unwrap();
    let other: Vec<u32> = (0..c.bits.len())
        .map(|i| {
            let (a, b) = (c.inputs[0][i] as i32, c.inputs[1][i] as i32);
            let r = c.bits[i] as i32;
            // The other convention differs exactly where the remainder is non-zero and the
            // operands' signs differ.
            if r != 0 && (a < 0) != (b < 0) {
                (r - b) as u32
            } else {
                r as u32
            }
        })
        .collect();
    let mut failures = Vec::new();
    diff(c, &c.bits, &other, &mut failures);
    assert!(!failures.is_empty());
    assert_eq!(failures[0].values, Values::Int);
    assert!(
        failures[0].to_string().starts_with("int_remainder(-"),
        "{}",
        failures[0]
    );
}

#[test]
fn nan_payloads_do_not_fail_other_bits_and_missing_results_do() {
    let case = |values| Outcome {
        op: "float_add",
        values,
        inputs: vec![vec![1, 2]],
        bits: Vec::new(),
    };
    let mut f = Vec::new();
    diff(
        &case(Values::F32),
        &[0x7fc0_0000, 3],
        &[0xffc0_0000, 3],
        &mut f,
    );
    assert!(f.is_empty());
    // Integers whose bits look like NaNs are compared exactly.
    diff(
        &case(Values::Int),
        &[0x7fc0_0000, 3],
        &[0xffc0_0000, 3],
        &mut f,
    );
    assert_eq!(f.len(), 1);
    diff(&case(Values::F32), &[5, 3], &[5], &mut f);
    assert_eq!(f.len(), 2);
    assert_eq!(f[1].device, u32::MAX);
}
