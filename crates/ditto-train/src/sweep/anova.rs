//! How much of a metric's spread each factor of a full grid explains: the main effects of a
//! balanced full-factorial analysis of variance.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The method [`Decomposition::of`] uses, as reports name it.
pub const ANOVA_METHOD: &str = "ANOVA main effects of a balanced full factorial (one run per \
                                cell): a factor's sum of squares is Σ over its levels of \
                                (runs at the level) · (level mean − grand mean)²; the residual is \
                                the total sum of squares about the grand mean minus every main \
                                effect, i.e. all interactions; a share is a sum of squares over \
                                the total";

/// Class: not applicable (statistics of recorded results). One factor's part of the spread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// The factor (an axis name), or `residual (interactions)`.
    pub factor: String,
    /// Its levels (0 for the residual).
    pub levels: usize,
    /// Degrees of freedom: levels − 1; for the residual, (runs − 1) − Σ (levels − 1).
    pub df: usize,
    /// Sum of squares.
    pub ss: f64,
    /// `ss` over the total sum of squares (0 when the total is 0).
    pub share: f64,
}

/// Class: not applicable (statistics of recorded results). A metric's total spread about its
/// grand mean split into main effects and the rest ([`ANOVA_METHOD`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decomposition {
    /// Runs.
    pub n: usize,
    /// The mean of every run.
    pub grand_mean: f64,
    /// Σ (value − grand mean)².
    pub total_ss: f64,
    /// One per factor, in the order given.
    pub effects: Vec<Effect>,
    /// Everything the main effects do not explain: the interactions.
    pub residual: Effect,
}

impl Decomposition {
    /// Class: not applicable. The decomposition of `runs` (each: one level per factor, in
    /// `factors`' order, and the value) over `factors`.
    ///
    /// Errors (text): a factor with fewer than two levels, a run whose levels do not match
    /// `factors`, a value that is not finite, or a grid that is not full and balanced (some
    /// combination of levels missing or present twice), each naming what is wrong.
    pub fn of(factors: &[String], runs: &[(Vec<String>, f64)]) -> Result<Self, String> {
        if factors.is_empty() {
            return Err("no factor has two levels".into());
        }
        let mut levels: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); factors.len()];
        let mut seen = BTreeSet::new();
        for (key, v) in runs {
            if key.len() != factors.len() {
                return Err(format!(
                    "a run has {} levels for {} factors",
                    key.len(),
                    factors.len()
                ));
            }
            if !v.is_finite() {
                return Err(format!("the run at {key:?} has the value {v}"));
            }
            if !seen.insert(key.clone()) {
                return Err(format!("the combination {key:?} appears twice"));
            }
            for (set, l) in levels.iter_mut().zip(key) {
                set.insert(l.as_str());
            }
        }
        if let Some(i) = levels.iter().position(|l| l.len() < 2) {
            return Err(format!("the factor {} has one level", factors[i]));
        }
        let cells: usize = levels.iter().map(BTreeSet::len).product();
        if cells != runs.len() {
            return Err(format!(
                "not a full grid: {} runs for the {cells} combinations of {}",
                runs.len(),
                factors
                    .iter()
                    .zip(&levels)
                    .map(|(f, l)| format!("{f} ({} levels)", l.len()))
                    .collect::<Vec<_>>()
                    .join(" x ")
            ));
        }
        let n = runs.len();
        let grand_mean = runs.iter().map(|(_, v)| v).sum::<f64>() / n as f64;
        let total_ss: f64 = runs.iter().map(|(_, v)| (v - grand_mean).powi(2)).sum();
        let share = |ss: f64| if total_ss > 0.0 { ss / total_ss } else { 0.0 };
        let mut effects = Vec::with_capacity(factors.len());
        for (i, name) in factors.iter().enumerate() {
            let mut sums: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
            for (key, v) in runs {
                let e = sums.entry(key[i].as_str()).or_insert((0.0, 0));
                e.0 += v;
                e.1 += 1;
            }
            let ss: f64 = sums
                .values()
                .map(|&(sum, count)| count as f64 * (sum / count as f64 - grand_mean).powi(2))
                .sum();
            effects.push(Effect {
                factor: name.clone(),
                levels: sums.len(),
                df: sums.len() - 1,
                ss,
                share: share(ss),
            });
        }
        let explained: f64 = effects.iter().map(|e| e.ss).sum();
        // Rounding can leave a tiny negative residual when the main effects explain all.
        let rest = (total_ss - explained).max(0.0);
        let df = (n - 1) - effects.iter().map(|e| e.df).sum::<usize>();
        Ok(Self {
            n,
            grand_mean,
            total_ss,
            effects,
            residual: Effect {
                factor: "residual (interactions)".into(),
                levels: 0,
                df,
                ss: rest,
                share: share(rest),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(a: &str, b: &str, v: f64) -> (Vec<String>, f64) {
        (vec![a.to_owned(), b.to_owned()], v)
    }

    /// A 2 x 3 grid computed by hand (every number below is exact in binary):
    ///
    /// ```text
    ///        b1  b2  b3 | mean
    ///   a1    1   2   6 |  3
    ///   a2    3   5   7 |  5
    ///   mean  2 3.5 6.5 |  4 (grand)
    /// ```
    ///
    /// SS_A = 3·(3−4)² + 3·(5−4)² = 6; SS_B = 2·((2−4)² + (3.5−4)² + (6.5−4)²) = 2·10.5 =
    /// 21; total = 9+4+4+1+1+9 = 28; residual = 28 − 6 − 21 = 1, which is the interaction:
    /// the cells' y − mean_A − mean_B + 4 are 0, −0.5, 0.5, 0, 0.5, −0.5, squares summing
    /// to 1. Degrees of freedom 1, 2 and 5 − 3 = 2. (numpy gives the same:
    /// `y=np.array([[1,2,6],[3,5,7.]]); 3*((y.mean(1)-4)**2).sum(), 2*((y.mean(0)-4)**2).sum()`.)
    #[test]
    fn a_two_by_three_grid_by_hand() {
        let runs = vec![
            run("a1", "b1", 1.0),
            run("a1", "b2", 2.0),
            run("a1", "b3", 6.0),
            run("a2", "b1", 3.0),
            run("a2", "b2", 5.0),
            run("a2", "b3", 7.0),
        ];
        let d = Decomposition::of(&["A".into(), "B".into()], &runs).unwrap();
        assert_eq!((d.n, d.grand_mean, d.total_ss), (6, 4.0, 28.0));
        let a = &d.effects[0];
        let b = &d.effects[1];
        assert_eq!((a.factor.as_str(), a.levels, a.df, a.ss), ("A", 2, 1, 6.0));
        assert_eq!((b.factor.as_str(), b.levels, b.df, b.ss), ("B", 3, 2, 21.0));
        assert_eq!((d.residual.df, d.residual.ss), (2, 1.0));
        assert_eq!(a.share, 6.0 / 28.0);
        assert_eq!(b.share, 0.75);
        assert_eq!(d.residual.share, 1.0 / 28.0);
        // The order of the runs does not matter.
        let mut rev = runs.clone();
        rev.reverse();
        assert_eq!(
            Decomposition::of(&["A".into(), "B".into()], &rev).unwrap(),
            d
        );
    }

    #[test]
    fn incomplete_or_degenerate_grids_are_refused_by_name() {
        let f = ["A".to_owned(), "B".to_owned()];
        let missing = vec![
            run("a1", "b1", 1.0),
            run("a1", "b2", 2.0),
            run("a2", "b1", 3.0),
        ];
        let e = Decomposition::of(&f, &missing).unwrap_err();
        assert!(e.contains("not a full grid: 3 runs for the 4"), "{e}");
        let twice = vec![run("a1", "b1", 1.0), run("a1", "b1", 2.0)];
        assert!(Decomposition::of(&f, &twice).unwrap_err().contains("twice"));
        let flat = vec![run("a1", "b1", 1.0), run("a1", "b2", 2.0)];
        assert!(
            Decomposition::of(&f, &flat)
                .unwrap_err()
                .contains("A has one level")
        );
        let nan = vec![run("a1", "b1", f64::NAN)];
        assert!(Decomposition::of(&f, &nan).is_err());
        assert!(Decomposition::of(&[], &[]).is_err());
        // No spread at all: every share is 0, not NaN.
        let same = vec![
            run("a1", "b1", 1.0),
            run("a1", "b2", 1.0),
            run("a2", "b1", 1.0),
            run("a2", "b2", 1.0),
        ];
        let d = Decomposition::of(&f, &same).unwrap();
        assert_eq!(d.total_ss, 0.0);
        assert!(d.effects.iter().all(|e| e.share == 0.0));
        assert_eq!(d.residual.share, 0.0);
    }
}
