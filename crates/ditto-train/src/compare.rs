//! Comparing two runs, or two checkpoints, bit for bit: where they first differ and by how
//! many ULP.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::checkpoint::Checkpoint;
use crate::error::{Error, ErrorKind};
use crate::read_options::ReadOptions;
use crate::records::{TraceLine, parse_lines};

/// Class: portable. What [`compare_runs`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Steps that both traces recorded (traces may be recorded every N steps).
    pub common_steps: usize,
    /// Trace lines in A and in B.
    pub trace_lines: (usize, usize),
    /// The first recorded step where the loss or the fingerprint differ.
    pub divergence: Option<Divergence>,
    /// The final checkpoints' model tensors that differ; `Err` when one could not be read.
    pub final_diffs: Result<Vec<TensorDiff>, String>,
}

/// Class: portable. The first step where two traces differ.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// A's trace line.
    pub a: TraceLine,
    /// B's trace line.
    pub b: TraceLine,
    /// The model tensors that differ at that step, when both runs kept its checkpoint.
    pub tensors: Option<Vec<TensorDiff>>,
}

/// Class: portable. One tensor that differs between two checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorDiff {
    /// The tensor's name (`model.layers.0.weight`).
    pub name: String,
    /// How it differs.
    pub kind: DiffKind,
}

/// Class: portable. How a tensor differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffKind {
    /// Same shape: `differing` of `total` f32 elements differ, by at most `max_ulp`.
    Values {
        /// Elements that differ.
        differing: usize,
        /// Elements in all.
        total: usize,
        /// The largest ULP distance.
        max_ulp: u64,
    },
    /// Other shape or element type, or other bytes of a non-f32 tensor.
    Other,
    /// Present in A only.
    OnlyInA,
    /// Present in B only.
    OnlyInB,
}

impl Comparison {
    /// Class: portable. True when traces and final weights match bit for bit.
    pub fn identical(&self) -> bool {
        self.divergence.is_none()
            && self.trace_lines.0 == self.trace_lines.1
            && matches!(&self.final_diffs, Ok(d) if d.is_empty())
    }
}

/// Class: portable. Compares two run directories: their traces at the steps both recorded,
/// and their final checkpoints (`final.safetensors`, else `last.safetensors`) tensor by
/// tensor.
///
/// Errors: a trace that cannot be read or parsed. A checkpoint that cannot be read (damaged,
/// or version 1: refused, see [`compare_runs_with`]) makes the runs not identical.
pub fn compare_runs(a: &Path, b: &Path) -> Result<Comparison, Error> {
    compare_runs_with(a, b, ReadOptions::default())
}

/// Class: portable. [`compare_runs`], reading the checkpoints with `options` (version-1
/// checkpoints only with [`ReadOptions::allow_unverified_header`]; their tensors are still
/// verified).
pub fn compare_runs_with(a: &Path, b: &Path, options: ReadOptions) -> Result<Comparison, Error> {
    let read_ck = |p: &Path| Checkpoint::read_with(p, options).map(|(ck, _)| ck);
    let read = |p: &Path| -> Result<Vec<TraceLine>, Error> {
        let path = p.join("trace.jsonl");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, "reading", e))?;
        parse_lines(&text, &path.display().to_string())
    };
    let (ta, tb) = (read(a)?, read(b)?);
    let by_step: BTreeMap<usize, &TraceLine> = tb.iter().map(|l| (l.step, l)).collect();
    let pairs: Vec<(&TraceLine, &TraceLine)> = ta
        .iter()
        .filter_map(|la| by_step.get(&la.step).map(|lb| (la, *lb)))
        .collect();
    let divergence = pairs.iter().find(|(x, y)| x != y).map(|(la, lb)| {
        let name = format!("checkpoints/step-{:08}.safetensors", la.step);
        let tensors = match (read_ck(&a.join(&name)), read_ck(&b.join(&name))) {
            (Ok(ca), Ok(cb)) => Some(model_diffs(&ca, &cb)),
            _ => None,
        };
        Divergence {
            a: (*la).clone(),
            b: (*lb).clone(),
            tensors,
        }
    });
    let final_of = |p: &Path| {
        let f = p.join("final.safetensors");
        let f = if f.is_file() {
            f
        } else {
            p.join("last.safetensors")
        };
        read_ck(&f).map_err(|e| e.to_string())
    };
    let final_diffs = match (final_of(a), final_of(b)) {
        (Ok(ca), Ok(cb)) => Ok(model_diffs(&ca, &cb)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    Ok(Comparison {
        common_steps: pairs.len(),
        trace_lines: (ta.len(), tb.len()),
        divergence,
        final_diffs,
    })
}

/// Class: portable. Every tensor (model and optimiser) that differs between two checkpoints,
/// and the fields of their state documents that differ (`(field, A's value, B's value)`).
pub fn compare_checkpoints(
    a: &Checkpoint,
    b: &Checkpoint,
) -> (Vec<TensorDiff>, Vec<(String, String, String)>) {
    let tensors = diffs(a, b, |_| true);
    let mut fields = Vec::new();
    match (a.state.as_object(), b.state.as_object()) {
        (Some(sa), Some(sb)) => {
            let keys: std::collections::BTreeSet<&String> = sa.keys().chain(sb.keys()).collect();
            for k in keys {
                let (va, vb) = (sa.get(k), sb.get(k));
                if va != vb {
                    let show = |v: Option<&serde_json::Value>| {
                        v.map_or_else(|| "(absent)".to_owned(), |v| v.to_string())
                    };
                    fields.push((k.clone(), show(va), show(vb)));
                }
            }
        }
        _ if a.state != b.state => {
            fields.push(("state".into(), a.state.to_string(), b.state.to_string()));
        }
        _ => {}
    }
    (tensors, fields)
}

fn model_diffs(a: &Checkpoint, b: &Checkpoint) -> Vec<TensorDiff> {
    diffs(a, b, |n| n.starts_with("model."))
}

fn diffs(a: &Checkpoint, b: &Checkpoint, keep: impl Fn(&str) -> bool) -> Vec<TensorDiff> {
    let mut out = Vec::new();
    for (name, ta) in a.tensors.iter().filter(|(n, _)| keep(n)) {
        let kind = match b.tensors.get(name) {
            None => DiffKind::OnlyInA,
            Some(tb) if tb == ta => continue,
            Some(tb) => match (ta.to_f32(), tb.to_f32()) {
                (Ok(va), Ok(vb)) if ta.shape == tb.shape => {
                    let (differing, max_ulp) =
                        va.iter().zip(&vb).fold((0usize, 0u64), |(c, m), (x, y)| {
                            let d = ulp_distance(*x, *y);
                            (c + usize::from(d > 0), m.max(d))
                        });
                    DiffKind::Values {
                        differing,
                        total: va.len(),
                        max_ulp,
                    }
                }
                _ => DiffKind::Other,
            },
        };
        out.push(TensorDiff {
            name: name.clone(),
            kind,
        });
    }
    for name in b.tensors.keys().filter(|n| keep(n)) {
        if !a.tensors.contains_key(name) {
            out.push(TensorDiff {
                name: name.clone(),
                kind: DiffKind::OnlyInB,
            });
        }
    }
    out
}

/// Class: portable. ULP distance between two f32 values on the ordered integer line (0 only
/// for equal bits; `+0` and `-0` are 1 apart).
pub fn ulp_distance(a: f32, b: f32) -> u64 {
    // Non-negative floats map to their bits, negative ones below them, `-0.0` to -1: the
    // integer line is ordered like the floats and every two neighbours are 1 apart.
    let key = |x: f32| {
        let bits = x.to_bits();
        let magnitude = i64::from(bits & 0x7fff_ffff);
        if bits >> 31 == 1 {
            -magnitude - 1
        } else {
            magnitude
        }
    };
    (key(a) - key(b)).unsigned_abs()
}

impl fmt::Display for TensorDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.name;
        match &self.kind {
            DiffKind::Values {
                differing,
                total,
                max_ulp,
            } => write!(
                f,
                "{name} differs in {differing}/{total} elements, max {max_ulp} ULP"
            ),
            DiffKind::Other => write!(f, "{name} differs in shape, type or bytes"),
            DiffKind::OnlyInA => write!(f, "{name} missing in B"),
            DiffKind::OnlyInB => write!(f, "{name} missing in A"),
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.divergence {
            writeln!(f, "first divergent step: {}", d.a.step)?;
            for (who, l) in [("A", &d.a), ("B", &d.b)] {
                writeln!(
                    f,
                    "  {who}: loss {:#010x} fingerprint {}",
                    l.loss_bits, l.fingerprint
                )?;
            }
            for t in d.tensors.iter().flatten() {
                writeln!(f, "step {}: {t}", d.a.step)?;
            }
        } else if self.trace_lines.0 != self.trace_lines.1 {
            writeln!(
                f,
                "traces agree on {} common steps but have {} and {} lines",
                self.common_steps, self.trace_lines.0, self.trace_lines.1
            )?;
        }
        match &self.final_diffs {
            Ok(d) => {
                for t in d {
                    writeln!(f, "final: {t}")?;
                }
            }
            Err(e) => writeln!(f, "cannot compare final weights: {e}")?,
        }
        write!(
            f,
            "{}",
            if self.identical() {
                "IDENTICAL: traces and final weights match bit for bit"
            } else {
                "DIFFERENT"
            }
        )
    }
}

impl Comparison {
    /// Class: portable. An error when the runs are not identical (for callers that want `?`).
    pub fn require_identical(&self) -> Result<(), Error> {
        if self.identical() {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::Invalid, None, self.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulp_distance_value_stability() {
        assert_eq!(ulp_distance(1.0, 1.0), 0);
        assert_eq!(ulp_distance(1.0, f32::from_bits(1.0f32.to_bits() + 3)), 3);
        assert_eq!(ulp_distance(0.0, -0.0), 1);
        assert_eq!(ulp_distance(-1.0, 1.0), 2 * u64::from(1.0f32.to_bits()) + 1);
    }
}
