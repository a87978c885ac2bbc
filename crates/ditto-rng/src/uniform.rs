//! Uniform floats from the top bits of a word, and the Bernoulli sampler built on them.

use crate::error::Error;
use crate::stream::Stream;

const F32_SCALE: f32 = 1.0 / (1u32 << 24) as f32;
const F64_SCALE: f64 = 1.0 / (1u64 << 53) as f64;

impl Stream {
    /// Class: portable. A uniform `f32` in `[0, 1)`: the top 24 bits of one `next_u32`, times
    /// 2^-24 (exact; every value is a multiple of 2^-24).
    #[inline]
    pub fn uniform_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * F32_SCALE
    }

    /// Class: portable. A uniform `f64` in `[0, 1)`: the top 53 bits of one `next_u64`, times
    /// 2^-53 (exact).
    #[inline]
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * F64_SCALE
    }

    /// Class: portable. `low + (high - low) * u` in `f32` with `u` from [`Stream::uniform_f32`]
    /// (one word). The result lies in `[low, high]`; rounding can reach `high`. Errors unless
    /// both bounds are finite and `low < high`.
    pub fn uniform_range_f32(&mut self, low: f32, high: f32) -> Result<f32, Error> {
        check_range(f64::from(low), f64::from(high), "uniform_range_f32")?;
        Ok(self.uniform_range_f32_unchecked(low, high))
    }

    /// Class: portable. Fills `out` with [`Stream::uniform_range_f32`] draws, in index order
    /// (one word per element).
    pub fn fill_uniform_f32(&mut self, out: &mut [f32], low: f32, high: f32) -> Result<(), Error> {
        check_range(f64::from(low), f64::from(high), "fill_uniform_f32")?;
        for x in out {
            *x = self.uniform_range_f32_unchecked(low, high);
        }
        Ok(())
    }

    /// Class: portable. `true` with probability `p`: `uniform_f64() < p` (two words). Errors
    /// unless `0 <= p <= 1`.
    pub fn bernoulli(&mut self, p: f64) -> Result<bool, Error> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::invalid(format!(
                "bernoulli({p}): p must lie in [0, 1]"
            )));
        }
        Ok(self.uniform_f64() < p)
    }

    #[inline]
    fn uniform_range_f32_unchecked(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.uniform_f32()
    }
}

pub(crate) fn check_range(low: f64, high: f64, op: &str) -> Result<(), Error> {
    if low.is_finite() && high.is_finite() && low < high {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{op}({low}, {high}): bounds must be finite with low < high"
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::{ErrorKind, Seed};

    #[test]
    fn value_stability() {
        let mut s = Seed::from_u64(0).derive("uniform").stream();
        let a: Vec<u32> = (0..4).map(|_| s.uniform_f32().to_bits()).collect();
        assert_eq!(a, [0x3e65_f1f4, 0x3edf_47be, 0x3f7d_a5ae, 0x3f7e_1a6f]);
        let b: Vec<u64> = (0..3).map(|_| s.uniform_f64().to_bits()).collect();
        assert_eq!(
            b,
            [
                0x3fe9_ffc0_ff00_40d3,
                0x3fe8_4807_5ace_3a3c,
                0x3fea_fafb_7f7e_c94a
            ]
        );
        assert_eq!(
            s.uniform_range_f32(-2.0, 3.0).unwrap().to_bits(),
            0x3f8e_9a06
        );
        let mut v = [0f32; 3];
        s.fill_uniform_f32(&mut v, -1.0, 1.0).unwrap();
        assert_eq!(v.map(f32::to_bits), [0x3e85_fc4c, 0x3f25_039e, 0xbf4a_0dea]);
        let c: Vec<bool> = (0..8).map(|_| s.bernoulli(0.3).unwrap()).collect();
        assert_eq!(c, [true, false, false, false, false, false, false, false]);
    }

    #[test]
    fn ranges_and_errors() {
        let mut s = Seed::from_u64(1).stream();
        for _ in 0..1000 {
            let u = s.uniform_f32();
            assert!((0.0..1.0).contains(&u));
            let d = s.uniform_f64();
            assert!((0.0..1.0).contains(&d));
        }
        assert!(!s.bernoulli(0.0).unwrap());
        assert!(s.bernoulli(1.0).unwrap());
        for p in [-0.1, 1.5, f64::NAN] {
            assert_eq!(
                s.bernoulli(p).unwrap_err().kind(),
                ErrorKind::InvalidParameter
            );
        }
        for (lo, hi) in [
            (1.0, 1.0),
            (2.0, 1.0),
            (f32::NEG_INFINITY, 0.0),
            (0.0, f32::NAN),
        ] {
            let e = s.uniform_range_f32(lo, hi).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidParameter);
            assert!(s.fill_uniform_f32(&mut [0.0], lo, hi).is_err());
        }
    }
}
