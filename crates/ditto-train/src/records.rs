//! The run directory's line files (`trace.jsonl`, `metrics.jsonl`) and `summary.json`, typed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::monitor::Scored;
use crate::timing::LoopTimes;

/// Class: portable (for a given run). One line of `trace.jsonl`: the loss of a step and the
/// fingerprint of the parameters after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceLine {
    /// Optimiser steps done (1 for the line after the first step).
    pub step: usize,
    /// The training loss's f32 bits, as `0x` and eight hex digits.
    #[serde(with = "hex_bits")]
    pub loss_bits: u32,
    /// [`crate::fingerprint`] of every parameter after the step.
    pub fingerprint: String,
}

/// Class: run-to-run (`elapsed_s` is wall time: not reproducible). One line of
/// `metrics.jsonl`: a training log line or an evaluation after an epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetricsLine {
    /// An evaluation on the test split after an epoch.
    Eval(EvalLine),
    /// A training log line.
    Train(TrainLine),
}

/// Class: run-to-run. A training log line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainLine {
    /// Optimiser steps done.
    pub step: usize,
    /// The epoch of the step.
    pub epoch: u64,
    /// The step's training loss (NaN is written as `null`).
    #[serde(with = "nan_as_null")]
    pub loss: f32,
    /// The step's learning rate.
    pub lr: f64,
    /// Seconds since the (re)start of the process's training loop.
    pub elapsed_s: f64,
    /// Where those seconds went (absent in runs written before ditto recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<LoopTimes>,
}

/// Class: not applicable (a label). Which split an evaluation ran on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// The validation split, evaluated during training (`[validation]`).
    Valid,
    /// The test split, evaluated once when training ends (lines written before splits were
    /// named are test evaluations too).
    #[default]
    Test,
}

/// Class: portable. An evaluation of a split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalLine {
    /// Optimiser steps done.
    pub step: usize,
    /// Epochs done.
    pub epoch: u64,
    /// The split evaluated.
    #[serde(default)]
    pub split: Split,
    /// Mean loss (NaN is written as `null`).
    #[serde(alias = "test_loss", with = "nan_as_null")]
    pub loss: f32,
    /// Mean metrics by name (classification: `accuracy`).
    #[serde(default, alias = "test_metrics")]
    pub metrics: BTreeMap<String, f64>,
    /// Test accuracy as runs before typed records wrote it (kept when read, not written by
    /// new runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_accuracy: Option<f64>,
}

/// Class: portable. What a finished run reports (`summary.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Optimiser steps done.
    pub steps: usize,
    /// Fingerprint of the final parameters (BLAKE3, see [`crate::fingerprint`]).
    pub fingerprint: String,
    /// Mean loss on the test split, evaluated once, when training ended; `None` for a run
    /// stopped before its end ([`crate::Trainer::stop_at`]) or without a test split.
    #[serde(default, with = "opt_nan_as_null")]
    pub test_loss: Option<f32>,
    /// Mean metrics on the test split by name (classification: `accuracy`).
    #[serde(default)]
    pub test_metrics: BTreeMap<String, f64>,
    /// Classification: `confusion[true][predicted]` counts on the test split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion: Option<Vec<Vec<u64>>>,
    /// The best evaluation of the validation split by the monitored metric
    /// (`[validation] metric`), if the run has a validation split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best: Option<Scored>,
    /// The step at which early stopping ended the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_early_at: Option<usize>,
}

impl RunSummary {
    /// Class: portable. Test accuracy, for classification runs.
    pub fn accuracy(&self) -> Option<f64> {
        self.test_metrics.get("accuracy").copied()
    }
}

impl MetricsLine {
    /// Class: not applicable. The step the line belongs to.
    pub fn step(&self) -> usize {
        match self {
            MetricsLine::Eval(e) => e.step,
            MetricsLine::Train(t) => t.step,
        }
    }
}

/// Class: not applicable (a parser). Every line of a JSON-lines file as `T`; the error names
/// the line.
pub fn parse_lines<T: for<'de> Deserialize<'de>>(text: &str, what: &str) -> Result<Vec<T>, Error> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                Error::with_source(
                    ErrorKind::Invalid,
                    None,
                    &format!("{what}, line {}", i + 1),
                    e,
                )
            })
        })
        .collect()
}

/// An f32 that may be NaN or infinite, which JSON cannot hold: written as `null`, read back
/// as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
        match v.is_finite() {
            true => s.serialize_f32(*v),
            false => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
        Ok(Option::<f32>::deserialize(d)?.unwrap_or(f32::NAN))
    }
}

/// [`nan_as_null`] for an optional value (absent stays `None`).
mod opt_nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Option<f32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) if x.is_finite() => s.serialize_f32(*x),
            Some(_) => s.serialize_str("NaN"),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f32>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f32),
            Text(String),
        }
        match Option::<Raw>::deserialize(d)? {
            None => Ok(None),
            Some(Raw::Number(x)) => Ok(Some(x)),
            Some(Raw::Text(t)) if t == "NaN" => Ok(Some(f32::NAN)),
            Some(Raw::Text(t)) => Err(serde::de::Error::custom(format!(
                "{t:?} is not a loss (a number or \"NaN\")"
            ))),
        }
    }
}

mod hex_bits {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bits: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{bits:#010x}"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let text = String::deserialize(d)?;
        let hex = text
            .strip_prefix("0x")
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} does not start with 0x")))?;
        u32::from_str_radix(hex, 16).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_in_the_written_layout() {
        let t = TraceLine {
            step: 3,
            loss_bits: 0x3f80_0000,
            fingerprint: "ab".into(),
        };
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(
            text,
            r#"{"step":3,"loss_bits":"0x3f800000","fingerprint":"ab"}"#
        );
        assert_eq!(parse_lines::<TraceLine>(&text, "trace").unwrap(), [t]);
        let m = parse_lines::<MetricsLine>(
            "{\"step\":1,\"epoch\":0,\"loss\":2.5,\"lr\":0.1,\"elapsed_s\":0.5}\n\
             {\"step\":2,\"epoch\":1,\"test_loss\":1.0,\"test_metrics\":{\"accuracy\":0.5}}\n",
            "metrics",
        )
        .unwrap();
        assert!(matches!(m[0], MetricsLine::Train(_)));
        assert!(matches!(&m[1], MetricsLine::Eval(e)
            if e.metrics["accuracy"] == 0.5 && e.split == Split::Test));
        // A NaN loss survives the round trip (as `null`).
        let nan = MetricsLine::Eval(EvalLine {
            step: 3,
            epoch: 1,
            split: Split::Valid,
            loss: f32::NAN,
            metrics: BTreeMap::new(),
            test_accuracy: None,
        });
        let text = serde_json::to_string(&nan).unwrap();
        assert!(text.contains("\"loss\":null") && text.contains("\"split\":\"valid\""));
        let back = parse_lines::<MetricsLine>(&text, "metrics").unwrap();
        assert!(matches!(&back[0], MetricsLine::Eval(e) if e.loss.is_nan()));
        let e = parse_lines::<TraceLine>("{\"step\":1}\n", "trace").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }
}
