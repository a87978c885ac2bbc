//! Mean, standard deviation and a 95% confidence interval of a metric over a sweep's seeds:
//! the t-interval, with Student's t quantile computed here (no statistics dependency).

use serde::{Deserialize, Serialize};

/// The method [`Summary::of`] uses for its interval, as reports name it.
pub const CI_METHOD: &str = "95% t-interval over the seed combinations: mean ± t(0.975, n-1) · \
                             s/√n, with s the sample standard deviation (n-1 denominator); the \
                             runs are taken as independent draws of the seeds";

/// Class: not applicable (statistics of recorded results; `f64` arithmetic in a fixed order,
/// with std's `ln` and `exp` in the t quantile). A metric's values over the runs of one
/// setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// How many runs.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n-1 denominator; 0 for one run).
    pub std: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// The 95% t-interval of the mean ([`CI_METHOD`]); `None` for fewer than two runs.
    pub ci95: Option<[f64; 2]>,
}

impl Summary {
    /// Class: not applicable. The summary of `values` (`None` when empty or when a value is
    /// not finite).
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let std = var.sqrt();
        let ci95 = (n > 1).then(|| {
            let half = t_quantile_975(n - 1) * std / (n as f64).sqrt();
            [mean - half, mean + half]
        });
        Some(Self {
            n,
            mean,
            std,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ci95,
        })
    }
}

/// Class: not applicable. Student's t quantile at 0.975 with `df` degrees of freedom (`df`
/// at least 1): the `t` with `P(T <= t) = 0.975`, found by bisection on the regularised
/// incomplete beta function, `P(|T| > t) = I_x(df/2, 1/2)` with `x = df / (df + t²)`.
pub fn t_quantile_975(df: usize) -> f64 {
    let a = df.max(1) as f64 / 2.0;
    // I_x(a, 1/2) grows with x; solve I_x = 0.05 for x in (0, 1).
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if incomplete_beta(a, 0.5, mid) < 0.05 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let x = 0.5 * (lo + hi);
    (2.0 * a * (1.0 - x) / x).sqrt()
}

/// The regularised incomplete beta function `I_x(a, b)` (Numerical Recipes' `betai`: a
/// continued fraction by Lentz's method, on whichever side of the mean converges).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..1000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms; relative error about 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1-x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    /// Reference quantiles: df 1 is tan(0.475π) and df 2 is 0.95·√(2/0.0975) in closed form;
    /// the others are the standard table values (R's `qt(0.975, df)`).
    #[test]
    fn t_quantiles_match_the_tables() {
        let table = [
            (1, 12.706_204_736_174_7),
            (2, 4.302_652_729_749_464),
            (3, 3.182_446_305_284_263),
            (4, 2.776_445_105_197_793),
            (9, 2.262_157_162_854_099),
            (29, 2.045_229_642_132_703),
            (100, 1.983_971_518_449_634),
        ];
        for (df, want) in table {
            let got = t_quantile_975(df);
            assert!(close(got, want, 1e-9), "df {df}: {got} vs {want}");
        }
        assert!(close(
            t_quantile_975(1),
            (0.475 * std::f64::consts::PI).tan(),
            1e-12
        ));
        assert!(close(
            t_quantile_975(2),
            0.95 * (2.0f64 / 0.0975).sqrt(),
            1e-12
        ));
    }

    /// By hand: 1, 2, 3, 4, 5 have mean 3 and s² = (4+1+0+1+4)/4 = 2.5, so the interval is
    /// 3 ± t(0.975, 4) · √2.5 / √5 = 3 ± 2.7764451051977934 · √(1/2).
    #[test]
    fn a_t_interval_by_hand() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!((s.n, s.mean, s.min, s.max), (5, 3.0, 1.0, 5.0));
        assert!(close(s.std, 2.5f64.sqrt(), 1e-15));
        let half = 2.776_445_105_197_793 * std::f64::consts::FRAC_1_SQRT_2;
        let [lo, hi] = s.ci95.unwrap();
        assert!(
            close(lo, 3.0 - half, 1e-9) && close(hi, 3.0 + half, 1e-9),
            "{lo} {hi}"
        );
        let one = Summary::of(&[0.5]).unwrap();
        assert_eq!((one.std, one.ci95), (0.0, None));
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[1.0, f64::NAN]), None);
    }
}
