//! Where a run's wall time goes: the model's steps, the loop's own work, evaluation and
//! checkpoints. Measured, written to `metrics.jsonl` and the report, never part of a result.

use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Class: run-to-run (wall time: it differs between runs and never enters a result).
/// Seconds since the (re)start of the process's training loop, split by what the loop was
/// doing. The four add up to the loop's wall time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoopTimes {
    /// The model's steps: forward, loss (and reading its value), backward and the optimiser
    /// update; with `[parallel]`, the whole cut step including its micro-batches' uploads.
    pub step_s: f64,
    /// The loop's own work: the loader's next batch, assembling and uploading it, reading the
    /// parameters back and fingerprinting them, the trace and metrics lines, progress, and op
    /// tracing where asked for.
    pub loop_s: f64,
    /// Evaluations on the test split after each epoch.
    pub eval_s: f64,
    /// Saving and writing checkpoints.
    pub checkpoint_s: f64,
}

impl LoopTimes {
    /// Class: run-to-run. The loop's own work as a fraction of the steps' time (`None`
    /// before any step).
    pub fn loop_share(&self) -> Option<f64> {
        (self.step_s > 0.0).then(|| self.loop_s / self.step_s)
    }

    /// Class: not applicable. One line for a person: totals and the loop's share.
    pub fn describe(&self) -> String {
        let share = self.loop_share().map_or(String::new(), |s| {
            format!(" ({:.1}% of the steps)", s * 100.0)
        });
        format!(
            "steps {:.2} s, loop's own work {:.3} s{share}, evaluation {:.3} s, checkpoints {:.3} s",
            self.step_s, self.loop_s, self.eval_s, self.checkpoint_s
        )
    }
}

/// What the loop was doing since the clock's last charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Step,
    Loop,
    Eval,
    Checkpoint,
}

/// Charges the wall time between calls to the phase that just ended.
pub(crate) struct Clock {
    mark: Instant,
    times: LoopTimes,
}

impl Clock {
    pub(crate) fn start() -> Self {
        Self {
            mark: Instant::now(),
            times: LoopTimes::default(),
        }
    }

    /// Adds the time since the last charge (or the start) to `phase`.
    pub(crate) fn charge(&mut self, phase: Phase) {
        let now = Instant::now();
        let d = now.duration_since(self.mark).as_secs_f64();
        self.mark = now;
        let slot = match phase {
            Phase::Step => &mut self.times.step_s,
            Phase::Loop => &mut self.times.loop_s,
            Phase::Eval => &mut self.times.eval_s,
            Phase::Checkpoint => &mut self.times.checkpoint_s,
        };
        *slot += d;
    }

    /// The totals so far.
    pub(crate) fn times(&self) -> LoopTimes {
        self.times
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_add_up_to_the_wall_time() {
        let begin = Instant::now();
        let mut c = Clock::start();
        std::thread::sleep(std::time::Duration::from_millis(3));
        c.charge(Phase::Step);
        std::thread::sleep(std::time::Duration::from_millis(1));
        c.charge(Phase::Loop);
        c.charge(Phase::Eval);
        let t = c.times();
        assert!(t.step_s >= 0.003, "{t:?}");
        assert!(t.loop_s >= 0.001 && t.loop_s < t.step_s + 1.0, "{t:?}");
        assert_eq!(t.checkpoint_s, 0.0);
        let sum = t.step_s + t.loop_s + t.eval_s + t.checkpoint_s;
        assert!(sum <= begin.elapsed().as_secs_f64(), "{t:?}");
        assert!(t.loop_share().is_some_and(|s| s > 0.0));
        assert_eq!(LoopTimes::default().loop_share(), None);
    }

    #[test]
    fn parses_and_refuses_unknown_fields() {
        let t: LoopTimes = serde_json::from_str(
            r#"{"step_s": 1.5, "loop_s": 0.1, "eval_s": 0.2, "checkpoint_s": 0.0}"#,
        )
        .expect("valid");
        assert_eq!(t.loop_share(), Some(0.1 / 1.5));
        let unknown = r#"{"step_s": 1, "loop_s": 0, "eval_s": 0, "checkpoint_s": 0, "oops": 2}"#;
        assert!(serde_json::from_str::<LoopTimes>(unknown).is_err());
        assert!(
            t.describe().contains("(6.7% of the steps)"),
            "{}",
            t.describe()
        );
    }
}
