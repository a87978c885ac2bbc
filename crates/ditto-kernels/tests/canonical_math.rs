//! ULP error of each canonical transcendental against an f64 reference (the `libm` crate),
//! over a dense sweep of all f32 bit patterns (every 97th; `DITTO_ULP_STRIDE=1` sweeps all
//! 2^32, as CANONICAL.md reports), and the SIMD paths against the scalar one.

use ditto_kernels::canonical::Isa;
use ditto_kernels::canonical::math::{self, MathFn};
use ditto_rng::Seed;
use rayon::prelude::*;

/// Error of `y` in units in the last place of the f32 nearest `r`.
fn ulp_err(y: f32, r: f64) -> f64 {
    if r.is_nan() {
        return if y.is_nan() { 0.0 } else { f64::INFINITY };
    }
    if y.is_nan() {
        return f64::INFINITY;
    }
    let rf = r as f32;
    if rf.is_infinite() {
        // The true value rounds to infinity: so must ours, or be the largest finite.
        return if y == rf || (y.abs() == f32::MAX && y.signum() == rf.signum()) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if y.is_infinite() {
        return f64::INFINITY;
    }
    let e = if r == 0.0 {
        -126
    } else {
        (r.abs().log2().floor() as i32).max(-126)
    };
    let ulp = 2f64.powi(e - 23);
    (f64::from(y) - r).abs() / ulp
}

fn stride() -> u64 {
    std::env::var("DITTO_ULP_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(97)
}

/// Max ULP error of `f` against `reference` over the sweep, restricted to `domain`.
fn sweep(f: fn(f32) -> f32, reference: fn(f64) -> f64, domain: fn(f32) -> bool) -> (f64, f32) {
    let step = stride();
    let n = (1u64 << 32).div_ceil(step);
    (0..n)
        .into_par_iter()
        .map(|i| f32::from_bits((i * step) as u32))
        .filter(|&x| domain(x))
        .map(|x| (ulp_err(f(x), reference(f64::from(x))), x))
        .reduce(|| (0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
}

fn check(name: &str, f: fn(f32) -> f32, reference: fn(f64) -> f64, domain: fn(f32) -> bool) {
    let (worst, at) = sweep(f, reference, domain);
    println!(
        "{name}: max {worst:.3} ULP at {at:e} ({:#010x})",
        at.to_bits()
    );
    assert!(worst <= 2.0, "{name}: {worst} ULP at {at:e}");
}

fn all(_: f32) -> bool {
    true
}

#[test]
fn exp_within_2_ulp() {
    check("exp", math::exp, libm::exp, all);
}

#[test]
fn ln_within_2_ulp() {
    check("ln", math::ln, libm::log, all);
}

#[test]
fn tanh_within_2_ulp() {
    check("tanh", math::tanh, libm::tanh, all);
}

#[test]
fn sigmoid_within_2_ulp() {
    check(
        "sigmoid",
        math::sigmoid,
        |x| 1.0 / (1.0 + libm::exp(-x)),
        all,
    );
}

#[test]
fn erf_within_2_ulp() {
    check("erf", math::erf, libm::erf, all);
}

#[test]
fn softplus_within_2_ulp() {
    check(
        "softplus",
        math::softplus,
        |x| {
            if x > 0.0 {
                x + libm::log1p(libm::exp(-x))
            } else {
                libm::log1p(libm::exp(x))
            }
        },
        all,
    );
}

#[test]
fn powf_within_2_ulp() {
    let mut s = Seed::from_u64(6).derive("powf").stream();
    let mut worst = (0.0f64, 0.0f32, 0.0f32);
    for i in 0..400_000 {
        // Bases over the whole positive range, exponents small and large.
        let x = f32::from_bits(s.next_u32() & 0x7fff_ffff);
        let y = match i % 3 {
            0 => s.uniform_range_f32(-4.0, 4.0).unwrap(),
            1 => s.uniform_range_f32(-150.0, 150.0).unwrap(),
            _ => (s.below_u32(41).unwrap() as f32) - 20.0,
        };
        let x = if i % 2 == 0 {
            x
        } else {
            s.uniform_range_f32(0.0, 4.0).unwrap()
        };
        if !x.is_finite() {
            continue;
        }
        let e = ulp_err(math::powf(x, y), libm::pow(f64::from(x), f64::from(y)));
        if e > worst.0 {
            worst = (e, x, y);
        }
    }
    println!(
        "powf: max {:.3} ULP at x = {:e}, y = {:e}",
        worst.0, worst.1, worst.2
    );
    assert!(worst.0 <= 2.0, "powf: {worst:?}");
}

#[test]
fn powf_special_cases() {
    let inf = f32::INFINITY;
    assert_eq!(math::powf(f32::NAN, 0.0), 1.0);
    assert_eq!(math::powf(1.0, f32::NAN), 1.0);
    assert!(math::powf(-2.0, 0.5).is_nan());
    assert_eq!(math::powf(-2.0, 3.0), -8.0);
    assert_eq!(math::powf(-2.0, 2.0), 4.0);
    assert_eq!(math::powf(-0.0, -1.0), -inf);
    assert_eq!(math::powf(0.0, -2.0), inf);
    assert_eq!(math::powf(0.5, inf), 0.0);
    assert_eq!(math::powf(2.0, -inf), 0.0);
    assert_eq!(math::powf(-1.0, inf), 1.0);
    assert_eq!(math::powf(-inf, 3.0), -inf);
    assert_eq!(math::powf(inf, -1.0), 0.0);
    assert_eq!(math::powf(10.0, 3.0), 1000.0);
}

#[test]
fn special_values() {
    assert_eq!(math::exp(f32::NEG_INFINITY), 0.0);
    assert_eq!(math::exp(f32::INFINITY), f32::INFINITY);
    assert!(math::exp(f32::NAN).is_nan());
    assert_eq!(math::exp(0.0), 1.0);
    assert_eq!(math::ln(1.0).to_bits(), 0);
    assert_eq!(math::ln(0.0), f32::NEG_INFINITY);
    assert!(math::ln(-1.0).is_nan());
    assert_eq!(math::tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(math::tanh(f32::NEG_INFINITY), -1.0);
    assert_eq!(math::erf(f32::INFINITY), 1.0);
    assert_eq!(math::sigmoid(f32::NEG_INFINITY), 0.0);
    assert_eq!(math::softplus(f32::INFINITY), f32::INFINITY);
}

/// Every instruction set computes the same bits as the scalar path, on awkward lengths and
/// on special values.
#[test]
fn simd_paths_match_scalar() {
    let mut s = Seed::from_u64(6).derive("simd-math").stream();
    let mut x = vec![0.0f32; 1037];
    for v in x.iter_mut() {
        *v = f32::from_bits(s.next_u32());
    }
    x[..8].copy_from_slice(&[
        0.0,
        -0.0,
        f32::INFINITY,
        -f32::INFINITY,
        f32::NAN,
        1e-45,
        88.7,
        -103.5,
    ]);
    for (i, v) in x[8..400].iter_mut().enumerate() {
        *v = (i as f32 - 200.0) * 0.061;
    }
    // Each function is also compared with its scalar definition called directly.
    type Scalar = fn(f32) -> f32;
    let fs: [(MathFn, Scalar); 8] = [
        (MathFn::Exp, math::exp),
        (MathFn::Ln, math::ln),
        (MathFn::Tanh, math::tanh),
        (MathFn::Sigmoid, math::sigmoid),
        (MathFn::Erf, math::erf),
        (MathFn::Gelu, math::gelu),
        (MathFn::Softplus, math::softplus),
        (MathFn::Powf(1.7), |v| math::powf(v, 1.7)),
    ];
    for (fi, (f, scalar)) in fs.into_iter().enumerate() {
        let mut want = vec![0.0f32; x.len()];
        math::map_with(Isa::Scalar, f, &x, &mut want);
        for (w, &v) in want.iter().zip(&x) {
            assert_eq!(w.to_bits(), scalar(v).to_bits(), "fn {fi} x = {v:e}");
        }
        for isa in Isa::available() {
            for len in [0usize, 1, 7, 15, 16, 17, 31, 33, 1037] {
                let mut got = vec![0.0f32; len];
                math::map_with(isa, f, &x[..len], &mut got);
                for i in 0..len {
                    assert_eq!(
                        got[i].to_bits(),
                        want[i].to_bits(),
                        "fn {fn_i} {isa:?} x = {:e}",
                        x[i],
                        fn_i = fi
                    );
                }
            }
        }
    }
}
