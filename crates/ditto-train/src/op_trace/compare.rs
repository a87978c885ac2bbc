//! Comparing two runs' op traces step by step: the first op that computed other bits from
//! bit-equal inputs, or where the traces stop lining up.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use ditto_kernels::{Divergence, Inherited, compare_traces};
use serde::{Deserialize, Serialize};

use super::OpTrace;
use crate::error::Error;

/// Class: portable (data). Where two runs' op traces first differ (see
/// [`compare_op_traces`]); its `Display` is what `ditto verify --ops` prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpComparison {
    /// Steps compared (up to and including the first that differs).
    pub steps: usize,
    /// Ops compared in those steps.
    pub ops: usize,
    /// The first op with bit-equal inputs and another output: `(step, divergence)`.
    pub divergence: Option<(usize, Divergence)>,
    /// Where the traces stop lining up, if they do.
    pub misalignment: Option<OpMisalignment>,
    /// The first op whose inputs already differed: `(step, what)`. Its outputs were not
    /// compared (they prove nothing about the op); the difference came in before it.
    pub inherited: Option<(usize, Inherited)>,
    /// Ops not compared op to op because their inputs differed.
    pub skipped: usize,
    /// When the difference came from before the traced ops: the first step whose
    /// `trace.jsonl` lines differ (loss or fingerprint), the step to trace instead.
    pub runs_differ_at: Option<usize>,
}

/// Class: portable (data). Where two op traces stop lining up: another op, other input
/// shapes, or one trace ends (its op is `None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpMisalignment {
    /// The step (1-based).
    pub step: usize,
    /// The op's index in the step.
    pub index: usize,
    /// Trace A's op there (`None`: A has no such op or step).
    pub a: Option<String>,
    /// Trace B's op there.
    pub b: Option<String>,
}

impl OpComparison {
    /// Class: portable. Whether both traces hold the same steps and ops, every op with the
    /// same inputs and outputs, bit for bit.
    pub fn identical(&self) -> bool {
        self.divergence.is_none() && self.misalignment.is_none() && self.inherited.is_none()
    }

    /// Class: portable. Whether the first difference is one the traced ops received rather
    /// than made: an op's inputs differed before any op diverged from equal inputs.
    pub fn inherited_first(&self) -> bool {
        match (&self.inherited, &self.divergence) {
            (Some(_), None) => true,
            (Some((s, h)), Some((t, d))) => (*s, h.index) < (*t, d.index),
            (None, _) => false,
        }
    }
}

/// Class: portable. Reads the op traces of run directories `a` and `b` ([`OpTrace::read`])
/// and compares them step by step with [`ditto_kernels::compare_traces`], stopping at the
/// first step that diverges or misaligns (later steps inherit its differences). A step in one
/// trace and not the other is a misalignment at its op 0.
///
/// Errors: those of [`OpTrace::read`] for either run.
pub fn compare_op_traces(a: &Path, b: &Path) -> Result<OpComparison, Error> {
    let (ta, tb) = (OpTrace::read(a)?, OpTrace::read(b)?);
    let mut c = compare(&ta, &tb);
    if c.inherited_first() {
        // Where to look instead: the runs' own traces say where they first part.
        c.runs_differ_at = crate::compare::compare_runs(a, b)
            .ok()
            .and_then(|r| r.divergence.map(|d| d.a.step));
    }
    Ok(c)
}

fn compare(a: &OpTrace, b: &OpTrace) -> OpComparison {
    let steps: BTreeSet<usize> = a.steps.iter().chain(&b.steps).map(|(s, _)| *s).collect();
    fn find(t: &OpTrace, s: usize) -> Option<&Vec<ditto_kernels::OpRecord>> {
        t.steps.iter().find(|(x, _)| *x == s).map(|(_, o)| o)
    }
    let mut c = OpComparison {
        steps: 0,
        ops: 0,
        divergence: None,
        misalignment: None,
        inherited: None,
        skipped: 0,
        runs_differ_at: None,
    };
    for s in steps {
        c.steps += 1;
        match (find(a, s), find(b, s)) {
            (Some(x), Some(y)) => {
                let d = compare_traces(x, y);
                c.ops += d.compared;
                c.skipped += d.skipped;
                c.divergence = d.divergence.map(|d| (s, d));
                c.inherited = d.inherited.map(|h| (s, h));
                c.misalignment = d.misaligned_at.map(|m| OpMisalignment {
                    step: s,
                    index: m.index,
                    a: m.a,
                    b: m.b,
                });
            }
            (x, y) => {
                let first = |o: Option<&Vec<ditto_kernels::OpRecord>>| {
                    o.and_then(|o| o.first()).map(|r| r.op.clone())
                };
                c.misalignment = Some(OpMisalignment {
                    step: s,
                    index: 0,
                    a: first(x),
                    b: first(y),
                });
            }
        }
        if !c.identical() {
            break;
        }
    }
    c
}

impl fmt::Display for OpComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "compared {} steps, {} ops", self.steps, self.ops)?;
        if let Some((step, h)) = &self.inherited {
            let source = match h.produced_by {
                Some(j) => format!("it is the output of op {j}, which already differs"),
                None => "no traced op produced it: it comes from before the traced ops (the \
                         batch, the parameters or the optimiser state)"
                    .to_owned(),
            };
            writeln!(
                f,
                "first op with differing inputs: step {step}, op {} `{}`: input {} differs \
                 in the two runs; {source}",
                h.index, h.op, h.input
            )?;
            writeln!(
                f,
                "  {} ops with differing inputs were not compared (their outputs prove \
                 nothing)",
                self.skipped
            )?;
        }
        if let Some((step, d)) = &self.divergence {
            writeln!(
                f,
                "first divergent op: step {step}, op {} `{}`: inputs bit-equal in both runs",
                d.index, d.op
            )?;
            let shapes: Vec<String> = d.input_shapes.iter().map(|s| format!("{s:?}")).collect();
            writeln!(f, "  input shapes: {}", shapes.join(", "))?;
            writeln!(f, "  output shape: {:?}", d.output_shape)?;
            match (d.element, d.values, d.ulp) {
                (Some(e), Some((x, y)), Some(u)) => writeln!(
                    f,
                    "  first differing element: {e}: A {x:e} ({:#010x}), B {y:e} ({:#010x}), \
                     {u} ULP",
                    x.to_bits(),
                    y.to_bits()
                )?,
                _ => writeln!(
                    f,
                    "  the output's hash differs (no element values kept for this dtype)"
                )?,
            }
        }
        if let Some(m) = &self.misalignment {
            let op = |o: &Option<String>| match o {
                Some(op) => format!("`{op}`"),
                None => "nothing (its trace has no such op)".into(),
            };
            writeln!(
                f,
                "traces stop aligning at step {}, op {}: A has {}, B has {}",
                m.step,
                m.index,
                op(&m.a),
                op(&m.b)
            )?;
        }
        if self.inherited_first() {
            match self.runs_differ_at {
                Some(s) => writeln!(
                    f,
                    "the runs' trace.jsonl lines first differ at step {s}: record that step \
                     (`--trace-ops {s}`) to find the op that diverged"
                )?,
                None => writeln!(
                    f,
                    "record earlier steps (`--trace-ops`) to find the op that diverged"
                )?,
            }
        }
        write!(
            f,
            "{}",
            if self.identical() {
                "IDENTICAL: every op's inputs and outputs match bit for bit"
            } else if self.inherited_first() {
                "DIFFERENT: the runs already differ before the traced ops"
            } else if self.divergence.is_some() {
                "DIVERGED"
            } else {
                "MISALIGNED"
            }
        )
    }
}
