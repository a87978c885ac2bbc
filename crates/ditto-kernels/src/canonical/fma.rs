//! The fused multiply-add the canonical kernels are specified with, and a software one.
//!
//! `f32::mul_add` is one instruction when the build targets FMA (x86 `fma`, aarch64), and
//! otherwise a call to the platform's `fmaf`, which is correctly rounded in glibc and macOS
//! but not in every C library (Windows UCRT without FMA3, mingw-w64, FreeBSD msun). `fused`
//! therefore uses `mul_add` only where it is an instruction or a vetted library call, and the
//! software [`fma`] everywhere else.

/// Class: portable (canonical). `a * b + c` with a single rounding, in software: the product
/// of two f32 is exact in f64 (48 bits); the f64 sum `p + c` is computed with TwoSum and
/// rounded to odd (if inexact and even, moved one ulp toward the error), so that the final
/// rounding to f32 (53 >= 24 + 2 bits) is the only one that counts.
pub fn fma(a: f32, b: f32, c: f32) -> f32 {
    let p = f64::from(a) * f64::from(b);
    let c = f64::from(c);
    let s = p + c;
    if !s.is_finite() || p == 0.0 || c == 0.0 {
        // Infinities and NaN propagate as IEEE says; a zero term makes the sum exact
        // (signed zeros included: `p + c` is the IEEE sum).
        return s as f32;
    }
    let bp = s - c;
    let e = (p - bp) + (c - (s - bp));
    let mut bits = s.to_bits();
    if e != 0.0 && bits & 1 == 0 {
        // Round to odd: toward the error's sign (s and e have the same sign or s moves
        // toward zero).
        if (e > 0.0) == (s > 0.0) {
            bits += 1;
        } else {
            bits -= 1;
        }
    }
    f64::from_bits(bits) as f32
}

/// The fma of the canonical kernels: `f32::mul_add` where it is a fused instruction or a
/// correct library `fmaf` (FMA targets, aarch64, glibc, macOS), [`fma`] elsewhere. Both give
/// the same bits (tested).
#[inline(always)]
pub(crate) fn fused(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(any(
        target_feature = "fma",
        target_arch = "aarch64",
        all(target_os = "linux", target_env = "gnu"),
        target_os = "macos"
    ))]
    {
        a.mul_add(b, c)
    }
    #[cfg(not(any(
        target_feature = "fma",
        target_arch = "aarch64",
        all(target_os = "linux", target_env = "gnu"),
        target_os = "macos"
    )))]
    {
        fma(a, b, c)
    }
}

#[cfg(test)]
mod value_stability {
    use super::fma;

    #[test]
    fn golden_values() {
        // (1 + 2^-12)^2 - 1 = 2^-11 + 2^-24: the fused result keeps the 2^-24 term, which
        // `a * a - 1` (two roundings) loses.
        let a = f32::from_bits(0x3f80_0800);
        assert_eq!(fma(a, a, -1.0).to_bits(), 0x3a00_0400);
        assert_eq!((a * a - 1.0).to_bits(), 0x3a00_0000);
        assert_eq!(fma(2.0, 3.0, 1.0), 7.0);
        assert_eq!(fma(-0.0, 1.0, -0.0).to_bits(), 0x8000_0000);
        assert_eq!(fma(0.0, 1.0, -0.0).to_bits(), 0);
        assert!(fma(f32::INFINITY, 0.0, 1.0).is_nan());
        assert_eq!(fma(f32::MAX, 2.0, -f32::MAX), f32::MAX);
        // A subnormal result, rounded once.
        let t = f32::from_bits(0x1a00_0000);
        // 2^-150 + 2^-149 = 1.5 * 2^-149: a tie, to even (2^-148).
        assert_eq!(fma(t, t, f32::from_bits(1)).to_bits(), 2);
        assert_eq!(t.mul_add(t, f32::from_bits(1)).to_bits(), 2);
    }

    /// Against the hardware/glibc `mul_add` on 2 million triples of random bit patterns,
    /// products near cancellation, and subnormal-range results.
    #[test]
    fn equals_mul_add() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for i in 0..2_000_000u32 {
            let r = next();
            let (a, b) = (f32::from_bits(r as u32), f32::from_bits((r >> 32) as u32));
            let c = match i % 3 {
                0 => f32::from_bits(next() as u32),
                1 => -(a * b),
                _ => f32::from_bits((next() as u32) & 0x80ff_ffff),
            };
            let (want, got) = (a.mul_add(b, c), fma(a, b, c));
            assert!(
                want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
                "fma({a:e}, {b:e}, {c:e}) = {got:e}, mul_add {want:e}"
            );
        }
    }
}
