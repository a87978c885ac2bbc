//! Normal and truncated normal samplers: Box-Muller on IEEE-exact operations plus the
//! pure-Rust `libm` crate (never the platform's libm).

use crate::error::Error;
use crate::stream::Stream;

/// Truncation intervals holding less than this much probability are refused: rejection
/// sampling would need more than about 1,000 draws per value.
const MIN_TRUNCATED_MASS: f64 = 1e-3;

impl Stream {
    /// Class: portable. A standard normal `f64` by the Box-Muller transform, cosine branch:
    /// `u1 = 1 - uniform_f64()` (in `(0, 1]`), `u2 = uniform_f64()`, result
    /// `sqrt(-2 ln u1) * cos(2 pi u2)` with `ln` and `cos` from the `libm` crate (pure Rust,
    /// the same bits on every platform) and `sqrt` correctly rounded. Four words per value; the
    /// sine branch is not used, so no value is cached between calls.
    pub fn normal_f64(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform_f64();
        let u2 = self.uniform_f64();
        let r = (-2.0 * libm::log(u1)).sqrt();
        r * libm::cos(core::f64::consts::TAU * u2)
    }

    /// Class: portable. `mean + std * z` computed in `f64` with `z` from
    /// [`Stream::normal_f64`], rounded once to `f32`. Errors unless `mean` and `std` are
    /// finite and `std >= 0`.
    pub fn normal_f32(&mut self, mean: f32, std: f32) -> Result<f32, Error> {
        check_normal(mean, std, "normal_f32")?;
        Ok(self.normal_f32_unchecked(mean, std))
    }

    /// Class: portable. Fills `out` with [`Stream::normal_f32`] draws in index order.
    pub fn fill_normal_f32(&mut self, out: &mut [f32], mean: f32, std: f32) -> Result<(), Error> {
        check_normal(mean, std, "fill_normal_f32")?;
        for x in out {
            *x = self.normal_f32_unchecked(mean, std);
        }
        Ok(())
    }

    /// Class: portable. A normal draw conditioned on `low <= x <= high`, by rejection:
    /// `mean + std * z` (in `f64`, `z` from [`Stream::normal_f64`]) is drawn until it lies in
    /// the interval, then rounded to `f32` (the bounds are `f32`, so rounding cannot leave the
    /// interval). Errors on non-finite input, `std <= 0`, `low >= high`, or an interval holding
    /// less than 0.1% of the distribution's mass (computed with `libm::erf`).
    pub fn truncated_normal_f32(
        &mut self,
        mean: f32,
        std: f32,
        low: f32,
        high: f32,
    ) -> Result<f32, Error> {
        let params = TruncatedParams::new(mean, std, low, high)?;
        Ok(self.truncated_unchecked(&params))
    }

    /// Class: portable. Fills `out` with [`Stream::truncated_normal_f32`] draws in index order.
    pub fn fill_truncated_normal_f32(
        &mut self,
        out: &mut [f32],
        mean: f32,
        std: f32,
        low: f32,
        high: f32,
    ) -> Result<(), Error> {
        let params = TruncatedParams::new(mean, std, low, high)?;
        for x in out {
            *x = self.truncated_unchecked(&params);
        }
        Ok(())
    }

    fn normal_f32_unchecked(&mut self, mean: f32, std: f32) -> f32 {
        (f64::from(mean) + f64::from(std) * self.normal_f64()) as f32
    }

    fn truncated_unchecked(&mut self, p: &TruncatedParams) -> f32 {
        loop {
            let x = p.mean + p.std * self.normal_f64();
            if p.low <= x && x <= p.high {
                return x as f32;
            }
        }
    }
}

struct TruncatedParams {
    mean: f64,
    std: f64,
    low: f64,
    high: f64,
}

impl TruncatedParams {
    fn new(mean: f32, std: f32, low: f32, high: f32) -> Result<Self, Error> {
        let op = "truncated_normal_f32";
        check_normal(mean, std, op)?;
        crate::uniform::check_range(f64::from(low), f64::from(high), op)?;
        if std <= 0.0 {
            return Err(Error::invalid(format!("{op}: std must be > 0, got {std}")));
        }
        let (mean, std, low, high) = (
            f64::from(mean),
            f64::from(std),
            f64::from(low),
            f64::from(high),
        );
        let cdf = |x: f64| 0.5 * (1.0 + libm::erf((x - mean) / (std * core::f64::consts::SQRT_2)));
        let mass = cdf(high) - cdf(low);
        if mass < MIN_TRUNCATED_MASS {
            return Err(Error::invalid(format!(
                "{op}: the interval [{low}, {high}] holds {mass:.3e} of N({mean}, {std}^2), \
                 below the {MIN_TRUNCATED_MASS} that rejection sampling supports"
            )));
        }
        Ok(Self {
            mean,
            std,
            low,
            high,
        })
    }
}

fn check_normal(mean: f32, std: f32, op: &str) -> Result<(), Error> {
    if mean.is_finite() && std.is_finite() && std >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{op}(mean {mean}, std {std}): need finite mean and finite std >= 0"
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::{ErrorKind, Seed};

    #[test]
    fn value_stability() {
        let mut s = Seed::from_u64(0).derive("normal").stream();
        let a: Vec<u64> = (0..3).map(|_| s.normal_f64().to_bits()).collect();
        assert_eq!(
            a,
            [
                0x3fe8_9cfe_d955_4a38,
                0x4001_c082_4e95_6999,
                0xbff7_0941_7c77_622f
            ]
        );
        assert_eq!(s.normal_f32(1.0, 0.5).unwrap().to_bits(), 0x3f8c_51e8);
        let mut v = [0f32; 3];
        s.fill_normal_f32(&mut v, 0.0, 2.0).unwrap();
        assert_eq!(v.map(f32::to_bits), [0xbfa4_89c5, 0xc01e_b4d2, 0xc05d_2895]);
        let mut t = [0f32; 3];
        s.fill_truncated_normal_f32(&mut t, 0.0, 1.0, -0.5, 0.5)
            .unwrap();
        assert_eq!(t.map(f32::to_bits), [0xbe92_bad6, 0xbee9_0332, 0xbedf_812e]);
        assert_eq!(
            s.truncated_normal_f32(0.0, 1.0, 1.0, 2.0)
                .unwrap()
                .to_bits(),
            0x3fe3_035e
        );
    }

    #[test]
    fn moments() {
        let mut s = Seed::from_u64(5).stream();
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| s.normal_f64()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.01, "{var}");
    }

    #[test]
    fn truncation_holds_and_errors() {
        let mut s = Seed::from_u64(6).stream();
        for _ in 0..2000 {
            let x = s.truncated_normal_f32(0.0, 0.02, -0.04, 0.04).unwrap();
            assert!((-0.04..=0.04).contains(&x));
        }
        let bad = [
            (0.0, 1.0, 8.0, 9.0),
            (0.0, 0.0, -1.0, 1.0),
            (0.0, 1.0, 1.0, -1.0),
            (f32::NAN, 1.0, -1.0, 1.0),
        ];
        for (m, sd, lo, hi) in bad {
            let e = s.truncated_normal_f32(m, sd, lo, hi).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidParameter, "{e}");
        }
        assert!(s.normal_f32(0.0, -1.0).is_err());
        assert!(s.fill_normal_f32(&mut [0.0], f32::INFINITY, 1.0).is_err());
    }
}
