//! Element-wise ops that are one IEEE operation on a CPU but not on every GPU (division,
//! reciprocal, square root), the ops built on them (remainder, `log1p`, integer powers), and
//! the ordered products and scans (`prod`, `cumsum`).
//!
//! Every NaN these functions return is whatever IEEE gives; `Ditto<B>`'s canonical route
//! replaces every NaN it uploads by the canonical quiet NaN `0x7fc00000` (CANONICAL.md).

use super::error::{Error, check_len, numel};
use super::math;
use super::reduce::Axis;
use super::simd::{self, Isa, Unary};

/// Class: portable (canonical). `a / b`: one correctly rounded IEEE division.
#[inline]
pub fn div(a: f32, b: f32) -> f32 {
    a / b
}

/// Class: portable (canonical). `1 / x`: one correctly rounded IEEE division.
#[inline]
pub fn recip(x: f32) -> f32 {
    1.0 / x
}

/// Class: portable (canonical). The sign: `1.0` if `x > 0`, `-1.0` if `x < 0`, `+0.0` for
/// `x = +-0.0`, NaN for NaN. Backends disagree on the edges (burn-ndarray gives
/// `sign(NaN) = -1`; cubecl's Wgpu kernel gives `sign(+0.0) = -0.0`, found by the device
/// conformance probe), so canonical mode defines them.
#[inline]
pub fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else if x == 0.0 {
        0.0
    } else {
        x
    }
}

/// Class: portable (canonical). `sqrt(x)`: the correctly rounded IEEE square root (`sqrtss`
/// on x86, `fsqrt` on aarch64; never a library call). `sqrt(-0.0) = -0.0`.
#[inline]
pub fn sqrt(x: f32) -> f32 {
    x.sqrt()
}

/// Class: portable (canonical). Python's (and Burn's) floored remainder: `r = fmod(x, y)`
/// (exact, no rounding); if `r != 0` and `r` and `y` differ in sign, `r + y` (one IEEE add);
/// if `r == 0`, `copysign(0, y)`. NaN if `y == 0`, `x` is infinite, or an operand is NaN;
/// `x` finite and `y` infinite gives `x` or `y`-signed per the same rule.
#[inline]
pub fn remainder(x: f32, y: f32) -> f32 {
    let r = x % y;
    if r == 0.0 {
        return f32::copysign(0.0, y);
    }
    if (r < 0.0) != (y < 0.0) { r + y } else { r }
}

/// Class: portable (canonical). `ln(1 + x)` on the canonical `ln`, with the rounding error of
/// `1 + x` added back: `u = 1 + x`; `x` if `u == 1` (keeps `-0.0` and tiny `x`); `-inf` if
/// `u == 0`; `+inf` if `x == +inf`; else `c = (1 - u) + x` if `|x| <= 1`, `c = (x - u) + 1`
/// otherwise (Fast2Sum: `u + c == 1 + x` exactly), and `ln(u) + c / u`. Every step is
/// evaluated literally (`c` is an error-free transformation).
#[inline]
pub fn log1p(x: f32) -> f32 {
    let u = 1.0 + x;
    if u == 1.0 {
        return x;
    }
    if u == 0.0 {
        return f32::NEG_INFINITY;
    }
    if x == f32::INFINITY {
        return x;
    }
    let c = if x.abs() <= 1.0 {
        (1.0 - u) + x
    } else {
        (x - u) + 1.0
    };
    math::ln(u) + c / u
}

/// Class: portable (canonical). `x^n` for an integer `n`: `0` gives `1`, `1` gives `x`, `2`
/// gives `x * x` (one IEEE multiply); every other `n` is the canonical
/// [`powf`](math::powf)`(x, float(n))` with `float(n)` rounded to nearest even.
#[inline(always)]
pub fn powi(x: f32, n: i64) -> f32 {
    match n {
        0 => 1.0,
        1 => x,
        2 => x * x,
        _ => math::powf(x, n as f32),
    }
}

/// Class: portable (canonical). `out[i] = powi(x[i], n)` for `i < min(x.len(), out.len())`
/// (SIMD across elements, same bits).
pub fn powi_slice(x: &[f32], n: i64, out: &mut [f32]) {
    simd::map(Isa::active(), x, out, PowiOp(n));
}

#[derive(Clone, Copy)]
struct PowiOp(i64);

impl Unary for PowiOp {
    #[inline(always)]
    fn apply(self, v: f32) -> f32 {
        powi(v, self.0)
    }
}

/// Class: portable (canonical). Burn's gelu gradient times `g`: the derivative of the tanh
/// approximation (Burn's choice, not the derivative of the exact-erf [`math::gelu`]), as this
/// sequence of IEEE f32 operations (each constant the f64 literal rounded to f32):
/// `x3 = powi(x, 3)`, `t = tanh(x3 * 0.0356774 + x * 0.797885)`,
/// `sech = -(t * t) + 1`, `y = t * 0.5 + ((x3 * 0.0535161 + x * 0.398942) * sech + 0.5)`,
/// result `y * g` (with the canonical [`powi`] and [`math::tanh`]).
#[inline(always)]
pub fn gelu_grad(x: f32, g: f32) -> f32 {
    let x3 = powi(x, 3);
    let c1 = x3 * (0.0356774f64 as f32);
    let c2 = x * (0.797885f64 as f32);
    let c3 = x3 * (0.0535161f64 as f32);
    let c4 = x * (0.398942f64 as f32);
    let t = math::tanh(c1 + c2);
    let sech = -(t * t) + 1.0;
    let y1 = t * 0.5;
    let y2 = (c3 + c4) * sech + 0.5;
    (y1 + y2) * g
}

/// Class: portable (canonical). `out[i] = gelu_grad(x[i], g[i])` for
/// `i < min(x.len(), g.len(), out.len())` (SIMD across elements, same bits).
pub fn gelu_grad_slice(x: &[f32], g: &[f32], out: &mut [f32]) {
    simd::map2(Isa::active(), x, g, out, GeluGrad);
}

#[derive(Clone, Copy)]
struct GeluGrad;

impl simd::Binary for GeluGrad {
    #[inline(always)]
    fn apply(self, x: f32, g: f32) -> f32 {
        gelu_grad(x, g)
    }
}

/// Class: portable (canonical). Applies `f` to each pair: `out[i] = f(a[i], b[i])`.
///
/// Errors if the lengths differ.
pub fn zip_map(a: &[f32], b: &[f32], out: &mut [f32], f: fn(f32, f32) -> f32) -> Result<(), Error> {
    check_len("zip_map", "b", b.len(), a.len())?;
    check_len("zip_map", "out", out.len(), a.len())?;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
    Ok(())
}

/// Class: portable (canonical). The product of a sequence: `acc = 1.0`, then
/// `acc = acc * x[i]` for `i` ascending (a plain chain; an empty product is `1.0`).
pub fn prod_all(x: &[f32]) -> f32 {
    x.iter().fold(1.0f32, |acc, &v| acc * v)
}

/// Class: portable (canonical). [`prod_all`] of each sequence along `axis`; `out` is
/// `[outer, inner]`.
pub fn prod_dim(x: &[f32], axis: Axis, out: &mut [f32]) -> Result<(), Error> {
    let op = "prod_dim";
    check_len(
        op,
        "x",
        x.len(),
        numel(op, &[axis.outer, axis.len, axis.inner])?,
    )?;
    check_len(op, "out", out.len(), axis.outer * axis.inner)?;
    out.fill(1.0);
    for o in 0..axis.outer {
        let dst = &mut out[o * axis.inner..(o + 1) * axis.inner];
        for r in 0..axis.len {
            let row = &x[(o * axis.len + r) * axis.inner..(o * axis.len + r + 1) * axis.inner];
            for (d, &v) in dst.iter_mut().zip(row) {
                *d *= v;
            }
        }
    }
    Ok(())
}

/// Class: portable (canonical). Inclusive running sum along `axis`: `out[0] = x[0]`, then
/// `out[r] = out[r - 1] + x[r]` (one IEEE `+` each, `r` ascending). `out` has `x`'s shape.
pub fn cumsum(x: &[f32], axis: Axis, out: &mut [f32]) -> Result<(), Error> {
    let op = "cumsum";
    let n = numel(op, &[axis.outer, axis.len, axis.inner])?;
    check_len(op, "x", x.len(), n)?;
    check_len(op, "out", out.len(), n)?;
    let inner = axis.inner;
    for o in 0..axis.outer {
        for r in 0..axis.len {
            let at = (o * axis.len + r) * inner;
            for i in 0..inner {
                out[at + i] = if r == 0 {
                    x[at + i]
                } else {
                    out[at - inner + i] + x[at + i]
                };
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod value_stability {
    use super::*;

    fn b(v: f32) -> u32 {
        v.to_bits()
    }

    #[test]
    fn golden_values() {
        assert_eq!(b(div(1.0, 3.0)), 0x3eaa_aaab);
        assert_eq!(b(recip(3.0)), 0x3eaa_aaab);
        assert_eq!(b(sqrt(2.0)), 0x3fb5_04f3);
        assert_eq!(b(sqrt(-0.0)), 0x8000_0000);
        // Subnormals are preserved: 2^-149 / 2 rounds to +0 (tie to even), 2^-148 / 2 = 2^-149.
        assert_eq!(b(div(f32::from_bits(2), 2.0)), 1);
        assert_eq!(b(remainder(5.5, 2.0)), b(1.5));
        assert_eq!(b(remainder(-5.5, 2.0)), b(0.5));
        assert_eq!(b(remainder(5.5, -2.0)), b(-0.5));
        assert_eq!(b(remainder(4.0, -2.0)), 0x8000_0000);
        assert!(remainder(1.0, 0.0).is_nan());
        assert_eq!(b(log1p(-0.0)), 0x8000_0000);
        assert_eq!(b(log1p(1e-10)), b(1e-10));
        assert_eq!(b(log1p(1.0)), 0x3f31_7218);
        assert_eq!(log1p(-1.0), f32::NEG_INFINITY);
        assert_eq!(log1p(f32::INFINITY), f32::INFINITY);
        assert!(log1p(-2.0).is_nan());
        assert_eq!(b(powi(1.1, 2)), b(1.1f32 * 1.1f32));
        assert_eq!(b(powi(2.0, -3)), b(0.125));
        assert_eq!(b(powi(1.5, 3)), b(3.375));
        assert_eq!(b(powi(f32::NAN, 0)), b(1.0));
        assert_eq!(b(prod_all(&[1.5, -2.0, 3.0])), b(-9.0));
        assert_eq!(b(prod_all(&[])), b(1.0));
        let x = [1.0, 2.0, 3.0, 4.0, 0.1, 0.2];
        let mut out = [0.0; 6];
        let axis = Axis::of(&[2, 3], 1).unwrap();
        cumsum(&x, axis, &mut out).unwrap();
        assert_eq!(out, [1.0, 3.0, 6.0, 4.0, 4.1, 4.1 + 0.2]);
        let mut p = [0.0; 2];
        prod_dim(&x, axis, &mut p).unwrap();
        assert_eq!(p, [6.0, 4.0f32 * 0.1 * 0.2]);
        assert!(cumsum(&x, axis, &mut out[..5]).is_err());
        assert_eq!(b(sign(0.0)), 0);
        assert_eq!(b(sign(-0.0)), 0);
        assert_eq!(b(sign(f32::from_bits(1))), b(1.0));
        assert_eq!(b(sign(-f32::INFINITY)), b(-1.0));
        assert!(sign(f32::NAN).is_nan());
    }

    /// log1p's accuracy against f64 (`libm::log1p`), every 97th bit pattern in [-1, 2^24].
    #[test]
    fn log1p_is_accurate() {
        let mut worst = 0f64;
        for bits in (0u32..0x4b80_0000)
            .step_by(97)
            .chain((0x8000_0000u32..0xbf80_0000).step_by(97))
        {
            let x = f32::from_bits(bits);
            let want = libm::log1p(x as f64);
            let got = log1p(x) as f64;
            let ulp = f32::from_bits((want as f32).abs().to_bits() + 1) as f64
                - (want as f32).abs() as f64;
            worst = worst.max((got - want).abs() / ulp);
        }
        assert!(worst < 1.5, "log1p max error {worst} ULP");
    }
}
