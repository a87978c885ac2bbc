//! Comparing two runs' op traces step by step: the first op that computed other bits from
//! bit-equal inputs, or where the traces stop lining up.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use ditto_kernels::{Divergence, compare_traces};
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
    /// Class: portable. Whether both traces hold the same steps and ops with the same bits.
    pub fn identical(&self) -> bool {
        self.divergence.is_none() && self.misalignment.is_none()
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
    Ok(compare(&ta, &tb))
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
    };
    for s in steps {
        c.steps += 1;
        match (find(a, s), find(b, s)) {
            (Some(x), Some(y)) => {
                let d = compare_traces(x, y);
                c.ops += d.compared;
                c.divergence = d.divergence.map(|d| (s, d));
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
        write!(
            f,
            "{}",
            if self.identical() {
                "IDENTICAL: every op's outputs match bit for bit"
            } else if self.divergence.is_some() {
                "DIVERGED"
            } else {
                "MISALIGNED"
            }
        )
    }
}
