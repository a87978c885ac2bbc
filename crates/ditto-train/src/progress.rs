//! Progress on stderr: an indicatif bar on a terminal, plain log lines otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::timing::LoopTimes;

/// Reports training progress; never touches the run's results.
pub(crate) enum Progress {
    Off,
    Lines { stop: usize },
    Bar(ProgressBar),
}

impl Progress {
    pub(crate) fn new(verbose: bool, step: usize, stop: usize) -> Self {
        if !verbose {
            return Self::Off;
        }
        if !std::io::stderr().is_terminal() {
            return Self::Lines { stop };
        }
        let bar = ProgressBar::new(stop as u64).with_position(step as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:32} {pos}/{len} steps ({per_sec}, eta {eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self::Bar(bar)
    }

    /// After every step.
    pub(crate) fn tick(&mut self, step: usize, loss: f32) {
        if let Self::Bar(bar) = self {
            bar.set_position(step as u64);
            if step.is_multiple_of(10) {
                bar.set_message(format!("loss {loss:.4}"));
            }
        }
    }

    /// Every `log_every` steps.
    pub(crate) fn log(&mut self, step: usize, epoch: u64, loss: f32, lr: f64) {
        if let Self::Lines { stop } = self {
            eprintln!("step {step:>6}/{stop} epoch {epoch:>3} loss {loss:.5} lr {lr:.2e}");
        }
    }

    /// After an evaluation of split `what` (`validation`, `test`) at step `step`.
    pub(crate) fn evaluated(&mut self, what: &str, step: usize, accuracy: Option<f64>, loss: f32) {
        let line = match accuracy {
            Some(a) => format!("step {step:>6}: {what} accuracy {a:.4} loss {loss:.5}"),
            None => format!("step {step:>6}: {what} loss {loss:.5}"),
        };
        match self {
            Self::Off => {}
            Self::Lines { .. } => eprintln!("{line}"),
            Self::Bar(bar) => bar.println(line),
        }
    }

    /// At the end of the loop: where its time went.
    pub(crate) fn finish(&mut self, times: &LoopTimes) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
        if !matches!(self, Self::Off) {
            eprintln!("time: {}", times.describe());
        }
    }
}
