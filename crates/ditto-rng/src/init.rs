//! Deterministic initialisers with the same formulas as Burn's `Initializer`.

use burn::module::Initializer;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::stream::Stream;

/// Class: portable. How to fill a parameter tensor: Burn's initialisers, drawn from a ditto
/// [`Stream`] on the host.
///
/// The bounds and standard deviations are computed in `f64` with exactly the expressions of
/// Burn 0.21's `Initializer` (so `Init::from_burn` of a Burn config gives the same
/// distribution), then the values are drawn with [`Stream::fill_uniform_f32`] or
/// [`Stream::fill_normal_f32`] in row-major element order. Since the draws happen on the host,
/// the values are the same bits on every backend and device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Init {
    /// Every element is `value` (rounded to `f32`).
    Constant {
        /// The value.
        value: f64,
    },
    /// Every element is 1.
    Ones,
    /// Every element is 0.
    Zeros,
    /// Uniform in `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Normal with the given mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Normal conditioned on `[min, max]` (see [`Stream::truncated_normal_f32`]).
    TruncatedNormal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
        /// Lower bound (absolute, not in standard deviations).
        min: f64,
        /// Upper bound (absolute).
        max: f64,
    },
    /// Uniform in `[-a, a]`, `a = sqrt(3) * gain / sqrt(fan)`; `fan` is `fan_in`, or
    /// `fan_out` when `fan_out_only`.
    KaimingUniform {
        /// Gain.
        gain: f64,
        /// Use `fan_out` instead of `fan_in`.
        fan_out_only: bool,
    },
    /// Normal with `std = gain / sqrt(fan)`.
    KaimingNormal {
        /// Gain.
        gain: f64,
        /// Use `fan_out` instead of `fan_in`.
        fan_out_only: bool,
    },
    /// Uniform in `[-a, a]`, `a = sqrt(3) * gain * sqrt(2 / (fan_in + fan_out))`.
    XavierUniform {
        /// Gain.
        gain: f64,
    },
    /// Normal with `std = gain * sqrt(2 / (fan_in + fan_out))`.
    XavierNormal {
        /// Gain.
        gain: f64,
    },
}

/// Class: portable. The fan-in and fan-out that Kaiming and Xavier initialisers scale by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fans {
    /// Number of inputs feeding each output unit.
    pub fan_in: Option<usize>,
    /// Number of outputs each input unit feeds.
    pub fan_out: Option<usize>,
}

impl Fans {
    /// Class: portable. Both fans known.
    pub const fn new(fan_in: usize, fan_out: usize) -> Self {
        Self {
            fan_in: Some(fan_in),
            fan_out: Some(fan_out),
        }
    }
}

/// The sampling plan an [`Init`] resolves to, once fans are known.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Plan {
    Constant(f32),
    Uniform(f32, f32),
    Normal(f32, f32),
    Truncated(f32, f32, f32, f32),
}

impl Init {
    /// Class: portable. The ditto initialiser with the same formula as Burn's `init`.
    /// Errors for `Initializer::Orthogonal`, whose Gram-Schmidt runs on the backend and so is
    /// not portable.
    pub fn from_burn(init: &Initializer) -> Result<Self, Error> {
        Ok(match *init {
            Initializer::Constant { value } => Init::Constant { value },
            Initializer::Ones => Init::Ones,
            Initializer::Zeros => Init::Zeros,
            Initializer::Uniform { min, max } => Init::Uniform { min, max },
            Initializer::Normal { mean, std } => Init::Normal { mean, std },
            Initializer::KaimingUniform { gain, fan_out_only } => {
                Init::KaimingUniform { gain, fan_out_only }
            }
            Initializer::KaimingNormal { gain, fan_out_only } => {
                Init::KaimingNormal { gain, fan_out_only }
            }
            Initializer::XavierUniform { gain } => Init::XavierUniform { gain },
            Initializer::XavierNormal { gain } => Init::XavierNormal { gain },
            Initializer::Orthogonal { .. } => {
                return Err(Error::new(
                    ErrorKind::NoRule,
                    "Initializer::Orthogonal has no portable ditto equivalent (its QR \
                     decomposition runs on the backend)",
                ));
            }
        })
    }

    /// Class: portable. Checks the parameters and fans without drawing anything.
    pub fn validate(&self, fans: Fans) -> Result<(), Error> {
        self.plan(fans).map(|_| ())
    }

    /// Class: portable. Fills `out` (row-major order) from `stream`. `Constant`, `Ones` and
    /// `Zeros` draw nothing.
    pub fn fill(&self, out: &mut [f32], fans: Fans, stream: &mut Stream) -> Result<(), Error> {
        match self.plan(fans)? {
            Plan::Constant(v) => out.fill(v),
            Plan::Uniform(lo, hi) => stream.fill_uniform_f32(out, lo, hi)?,
            Plan::Normal(mean, std) => stream.fill_normal_f32(out, mean, std)?,
            Plan::Truncated(mean, std, lo, hi) => {
                stream.fill_truncated_normal_f32(out, mean, std, lo, hi)?
            }
        }
        Ok(())
    }

    /// Class: portable. `n` values, as [`Init::fill`].
    pub fn values(&self, n: usize, fans: Fans, stream: &mut Stream) -> Result<Vec<f32>, Error> {
        let mut v = vec![0.0; n];
        self.fill(&mut v, fans, stream)?;
        Ok(v)
    }

    fn plan(&self, fans: Fans) -> Result<Plan, Error> {
        let sqrt3 = 3.0f64.sqrt();
        let plan = match *self {
            Init::Constant { value } => Plan::Constant(value as f32),
            Init::Ones => Plan::Constant(1.0),
            Init::Zeros => Plan::Constant(0.0),
            Init::Uniform { min, max } => Plan::Uniform(min as f32, max as f32),
            Init::Normal { mean, std } => Plan::Normal(mean as f32, std as f32),
            Init::TruncatedNormal {
                mean,
                std,
                min,
                max,
            } => Plan::Truncated(mean as f32, std as f32, min as f32, max as f32),
            Init::KaimingUniform { gain, fan_out_only } => {
                let a = sqrt3 * gain * kaiming_std(fan_out_only, fans)?;
                Plan::Uniform(-a as f32, a as f32)
            }
            Init::KaimingNormal { gain, fan_out_only } => {
                Plan::Normal(0.0, (gain * kaiming_std(fan_out_only, fans)?) as f32)
            }
            Init::XavierUniform { gain } => {
                let a = sqrt3 * gain * xavier_std(fans)?;
                Plan::Uniform(-a as f32, a as f32)
            }
            Init::XavierNormal { gain } => Plan::Normal(0.0, (gain * xavier_std(fans)?) as f32),
        };
        // Check the sampler parameters once, on an empty output, so that a bad plan is reported
        // before anything is drawn.
        let mut probe = Stream::from_seed(crate::Seed::from_bytes([0; 32]));
        match plan {
            Plan::Constant(_) => {}
            Plan::Uniform(lo, hi) => probe.fill_uniform_f32(&mut [], lo, hi)?,
            Plan::Normal(m, s) => probe.fill_normal_f32(&mut [], m, s)?,
            Plan::Truncated(m, s, lo, hi) => {
                probe.fill_truncated_normal_f32(&mut [], m, s, lo, hi)?
            }
        }
        Ok(plan)
    }
}

fn nonzero(fan: Option<usize>, what: &str) -> Result<f64, Error> {
    match fan {
        Some(f) if f > 0 => Ok(f as f64),
        Some(_) => Err(Error::new(ErrorKind::MissingFan, format!("{what} is 0"))),
        None => Err(Error::new(
            ErrorKind::MissingFan,
            format!("{what} is needed but was not given"),
        )),
    }
}

fn kaiming_std(fan_out_only: bool, fans: Fans) -> Result<f64, Error> {
    let fan = if fan_out_only {
        nonzero(fans.fan_out, "fan_out")?
    } else {
        nonzero(fans.fan_in, "fan_in")?
    };
    Ok(1.0 / fan.sqrt())
}

fn xavier_std(fans: Fans) -> Result<f64, Error> {
    let fan_in = nonzero(fans.fan_in, "fan_in")?;
    let fan_out = nonzero(fans.fan_out, "fan_out")?;
    Ok((2.0 / (fan_in + fan_out)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;

    fn bits(init: &Init, fans: Fans) -> Vec<u32> {
        let mut s = Seed::from_u64(0).derive("init").stream();
        init.values(3, fans, &mut s)
            .unwrap()
            .into_iter()
            .map(f32::to_bits)
            .collect()
    }

    #[test]
    fn value_stability() {
        let fans = Fans::new(64, 32);
        let cases = [
            Init::KaimingUniform {
                gain: 1.0 / 3.0f64.sqrt(),
                fan_out_only: false,
            },
            Init::KaimingNormal {
                gain: 2.0f64.sqrt(),
                fan_out_only: true,
            },
            Init::XavierUniform { gain: 1.0 },
            Init::XavierNormal { gain: 1.0 },
            Init::Uniform {
                min: -0.1,
                max: 0.1,
            },
            Init::Normal {
                mean: 0.0,
                std: 0.02,
            },
            Init::TruncatedNormal {
                mean: 0.0,
                std: 0.02,
                min: -0.04,
                max: 0.04,
            },
            Init::Constant { value: 0.5 },
            Init::Ones,
            Init::Zeros,
        ];
        let got: Vec<Vec<u32>> = cases.iter().map(|c| bits(c, fans)).collect();
        assert_eq!(
            got,
            [
                [1038922680, 1035912826, 1034242984],
                [3197032755, 3199791175, 3196926398],
                [1047311288, 1044301434, 1042631592],
                [3190092409, 3193277558, 3189969599],
                [1035820179, 1033412297, 1032076423],
                [3166099602, 3169630380, 3165963467],
                [3166099602, 3169630380, 3165963467],
                [1056964608, 1056964608, 1056964608],
                [1065353216, 1065353216, 1065353216],
                [0, 0, 0],
            ]
        );
    }

    #[test]
    fn kaiming_bound_matches_burn_formula() {
        // Burn: a = sqrt(3) * gain * (1 / sqrt(fan_in)); with gain = 1/sqrt(3): 1/sqrt(fan_in).
        let init = Init::KaimingUniform {
            gain: 1.0 / 3.0f64.sqrt(),
            fan_out_only: false,
        };
        let mut s = Seed::from_u64(1).stream();
        let v = init.values(10_000, Fans::new(16, 4), &mut s).unwrap();
        let a = 0.25f32;
        assert!(v.iter().all(|x| x.abs() <= a));
        assert!(v.iter().any(|x| x.abs() > 0.24));
    }

    #[test]
    fn errors() {
        let k = Init::KaimingUniform {
            gain: 1.0,
            fan_out_only: false,
        };
        assert_eq!(
            k.validate(Fans::default()).unwrap_err().kind(),
            ErrorKind::MissingFan
        );
        assert_eq!(
            k.validate(Fans::new(0, 3)).unwrap_err().kind(),
            ErrorKind::MissingFan
        );
        let x = Init::XavierNormal { gain: 1.0 };
        let fans = Fans {
            fan_in: Some(3),
            fan_out: None,
        };
        assert_eq!(x.validate(fans).unwrap_err().kind(), ErrorKind::MissingFan);
        let u = Init::Uniform { min: 1.0, max: 0.0 };
        assert_eq!(
            u.validate(fans).unwrap_err().kind(),
            ErrorKind::InvalidParameter
        );
        let n = Init::Normal {
            mean: 0.0,
            std: -1.0,
        };
        assert!(n.validate(fans).is_err());
        let o = Initializer::Orthogonal { gain: 1.0 };
        assert_eq!(Init::from_burn(&o).unwrap_err().kind(), ErrorKind::NoRule);
        assert_eq!(
            Init::from_burn(&Initializer::XavierUniform { gain: 2.0 }).unwrap(),
            Init::XavierUniform { gain: 2.0 }
        );
    }
}
