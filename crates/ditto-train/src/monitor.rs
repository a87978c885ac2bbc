//! The validation monitor: the best evaluation, the evaluations since, the kept best
//! checkpoints and whether early stopping ended the run. Its state is in every checkpoint,
//! so a run resumed anywhere (inside a patience window too) decides as an uninterrupted one.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::{MonitorMode, ValidationConfig};

/// Class: portable. One evaluation of the monitored metric: its step and value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// The step after which the validation split was evaluated.
    pub step: usize,
    /// The metric's value (stored as its f64 bits, so NaN and every bit survive JSON).
    #[serde(serialize_with = "ser_bits", deserialize_with = "de_bits")]
    pub value: f64,
}

/// Class: portable (a function of the evaluations' bits). The monitor's state, as every
/// checkpoint stores it (`RunState::monitor`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitorState {
    /// The best evaluation so far.
    pub best: Option<Scored>,
    /// Evaluations since the best (all of them while there is no best).
    pub since_best: usize,
    /// The evaluations whose checkpoints are kept as `best-*`, best first.
    pub top: Vec<Scored>,
    /// The step at which early stopping ended the run.
    pub stopped_at: Option<usize>,
}

/// What one evaluation changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Decision {
    /// The evaluation is the new best.
    pub(crate) improved: bool,
    /// Its checkpoint joins the kept best ones.
    pub(crate) keep: bool,
    /// Kept best checkpoints to delete (their steps), pushed out by this one.
    pub(crate) evict: Vec<usize>,
    /// Early stopping ends the run here.
    pub(crate) stop: bool,
}

/// Whether `a` is better than `b` under `mode`, NaN never better, ties to the earlier step.
fn better(mode: MonitorMode, a: Scored, b: Scored) -> bool {
    match (a.value.is_nan(), b.value.is_nan()) {
        (true, _) => false,
        (false, true) => true,
        (false, false) if a.value == b.value => a.step < b.step,
        (false, false) => match mode {
            MonitorMode::Min => a.value < b.value,
            MonitorMode::Max => a.value > b.value,
        },
    }
}

impl MonitorState {
    /// Class: not applicable. Whether nothing was recorded yet.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Records evaluation `e` under `config` and says what follows from it.
    ///
    /// Improvement is strict and beyond `min_delta` (lower by more than `min_delta` in `min`
    /// mode), so an equal value never displaces an earlier best and NaN never improves. The
    /// kept best checkpoints are the `keep_best` best evaluations by value, ties to the
    /// earlier step, NaN never kept. Early stopping ends the run once `patience` evaluations
    /// in a row have not improved.
    pub(crate) fn record(&mut self, config: &ValidationConfig, e: Scored) -> Decision {
        let mut d = Decision::default();
        let improved = !e.value.is_nan()
            && match self.best {
                None => true,
                Some(b) => match config.mode {
                    MonitorMode::Min => e.value < b.value - config.min_delta,
                    MonitorMode::Max => e.value > b.value + config.min_delta,
                },
            };
        if improved {
            self.best = Some(e);
            self.since_best = 0;
            d.improved = true;
        } else {
            self.since_best += 1;
        }
        if config.keep_best > 0 && !e.value.is_nan() {
            let mut all = self.top.clone();
            all.push(e);
            // Insertion sort by "better": a few entries at most.
            let mut sorted: Vec<Scored> = Vec::with_capacity(all.len());
            for s in all {
                let at = sorted
                    .iter()
                    .position(|t| better(config.mode, s, *t))
                    .unwrap_or(sorted.len());
                sorted.insert(at, s);
            }
            let evicted = sorted.split_off(config.keep_best.min(sorted.len()));
            d.keep = sorted.iter().any(|s| s.step == e.step);
            d.evict = evicted
                .iter()
                .filter(|s| s.step != e.step)
                .map(|s| s.step)
                .collect();
            self.top = sorted;
        }
        if config.patience > 0 && self.since_best >= config.patience {
            self.stopped_at = Some(e.step);
            d.stop = true;
        }
        d
    }
}

fn ser_bits<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{:#018x}", v.to_bits()))
}

fn de_bits<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let text = String::deserialize(d)?;
    let hex = text
        .strip_prefix("0x")
        .ok_or_else(|| serde::de::Error::custom(format!("{text:?} does not start with 0x")))?;
    u64::from_str_radix(hex, 16)
        .map(f64::from_bits)
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(mode: MonitorMode, patience: usize, keep: usize, min_delta: f64) -> ValidationConfig {
        ValidationConfig {
            mode,
            patience,
            keep_best: keep,
            min_delta,
            ..ValidationConfig::default()
        }
    }

    fn s(step: usize, value: f64) -> Scored {
        Scored { step, value }
    }

    #[test]
    fn patience_counts_evaluations_without_strict_improvement() {
        let c = cfg(MonitorMode::Min, 2, 0, 0.1);
        let mut m = MonitorState::default();
        assert!(m.record(&c, s(10, 1.0)).improved);
        // 0.95 is lower, but not by more than min_delta: no improvement.
        assert!(!m.record(&c, s(20, 0.95)).improved);
        assert_eq!(m.since_best, 1);
        // 0.85 < 1.0 - 0.1: improves, patience restarts.
        assert!(m.record(&c, s(30, 0.85)).improved);
        assert_eq!(m.best, Some(s(30, 0.85)));
        assert!(!m.record(&c, s(40, f64::NAN)).stop);
        let d = m.record(&c, s(50, 0.85));
        assert!(d.stop && !d.improved, "an equal value never improves");
        assert_eq!(m.stopped_at, Some(50));
    }

    #[test]
    fn top_k_keeps_the_best_values_ties_to_the_earlier_step() {
        let c = cfg(MonitorMode::Max, 0, 2, 0.0);
        let mut m = MonitorState::default();
        assert!(m.record(&c, s(1, 0.5)).keep);
        assert!(m.record(&c, s(2, 0.7)).keep);
        // A tie with step 1's value: the earlier step stays, this one is not kept.
        let d = m.record(&c, s(3, 0.5));
        assert!(!d.keep && d.evict.is_empty());
        // Better than 0.5: kept, step 1 evicted.
        let d = m.record(&c, s(4, 0.6));
        assert!(d.keep);
        assert_eq!(d.evict, vec![1]);
        assert_eq!(m.top, vec![s(2, 0.7), s(4, 0.6)]);
        assert!(!m.record(&c, s(5, f64::NAN)).keep);
    }

    #[test]
    fn the_state_round_trips_every_bit() {
        let m = MonitorState {
            best: Some(s(7, -0.0)),
            since_best: 3,
            top: vec![s(7, -0.0), s(9, f64::NAN)],
            stopped_at: Some(12),
        };
        let text = serde_json::to_string(&m).unwrap();
        let back: MonitorState = serde_json::from_str(&text).unwrap();
        assert_eq!(back.best.unwrap().value.to_bits(), (-0.0f64).to_bits());
        assert!(back.top[1].value.is_nan());
        assert_eq!((back.since_best, back.stopped_at), (3, Some(12)));
    }
}
