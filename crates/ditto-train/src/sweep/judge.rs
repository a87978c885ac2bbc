//! Every pair of cells that differ only in their environment, judged against what the mode
//! promises, and the drift tables (one environment axis at a time against the reference).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::checkpoint::Checkpoint;
use crate::compare::ulp_distance;
use crate::sweep::axis::{AxisInfo, Role};
use crate::sweep::grid::{first_seen, value};
use crate::sweep::report::{DriftCell, DriftRow, ModeVerdict};
use crate::sweep::results::{CellRecord, SweepResults};
use crate::sweep::verdict::{Pair, Verdict, promise, verdict};

/// The pairs judged: per mode the counts, every pair whose bits differ, and the drift tables.
pub(crate) struct Judgement {
    pub(crate) verdicts: BTreeMap<String, ModeVerdict>,
    pub(crate) differences: Vec<Pair>,
    pub(crate) drift: BTreeMap<String, BTreeMap<String, Vec<DriftRow>>>,
}

/// Judges every pair of cells within a group (same mode, and the same values of
/// `group_axes`: the seeds and hyperparameters); cell directories are under `base`.
pub(crate) fn judge(
    results: &SweepResults,
    base: &Path,
    modes: &[String],
    group_axes: &[&str],
    metric_names: &[String],
) -> Judgement {
    let cells = &results.cells;
    let env_axes: Vec<&AxisInfo> = results
        .axes
        .iter()
        .filter(|a| a.kind.role() == Role::Environment && a.values.len() > 1)
        .collect();
    // Groups: same mode, seeds and hyperparameters; every pair within one judged.
    let group_of = |c: &CellRecord| {
        let mut g = vec![c.mode.to_string()];
        g.extend(group_axes.iter().map(|a| value(c, a)));
        g
    };
    let groups = first_seen(cells.iter().map(group_of));
    let mut weights = Weights::new(base);
    let mut judged: HashMap<(usize, usize), Judged> = HashMap::new();
    let mut verdicts: BTreeMap<String, ModeVerdict> = modes
        .iter()
        .map(|m| (m.clone(), ModeVerdict::default()))
        .collect();
    let mut differences = Vec::new();
    let members_of = |g: &Vec<String>| -> Vec<usize> {
        (0..cells.len())
            .filter(|&i| &group_of(&cells[i]) == g)
            .collect()
    };
    for g in &groups {
        let members = members_of(g);
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                let (a, b) = (&cells[i], &cells[j]);
                let identical = a.fingerprint == b.fingerprint;
                let (promised, why) = promise(a, b);
                let v = verdict(identical, promised);
                let max_ulp = if identical {
                    Some(0)
                } else {
                    weights.max_ulp(a, b)
                };
                let mv = verdicts.entry(a.mode.to_string()).or_default();
                mv.pairs += 1;
                match v {
                    Verdict::Identical => mv.identical += 1,
                    Verdict::Expected => mv.expected += 1,
                    Verdict::Broken => mv.broken += 1,
                }
                if !identical {
                    differences.push(Pair {
                        mode: a.mode,
                        a: a.id.clone(),
                        b: b.id.clone(),
                        differs_in: results
                            .axes
                            .iter()
                            .filter(|ax| value(a, &ax.name) != value(b, &ax.name))
                            .map(|ax| {
                                format!(
                                    "{}: {} -> {}",
                                    ax.name,
                                    value(a, &ax.name),
                                    value(b, &ax.name)
                                )
                            })
                            .collect(),
                        promised,
                        verdict: v,
                        why: why.clone(),
                        max_ulp,
                    });
                }
                judged.insert(
                    (i, j),
                    Judged {
                        verdict: v,
                        promised,
                        why,
                        max_ulp,
                    },
                );
            }
        }
    }

    // Drift tables: one environment axis at a time against the group's reference.
    let mut drift: BTreeMap<String, BTreeMap<String, Vec<DriftRow>>> = BTreeMap::new();
    for g in &groups {
        let members = members_of(g);
        let at_reference = |i: usize, except: &str| {
            env_axes
                .iter()
                .filter(|a| a.name != except)
                .all(|a| value(&cells[i], &a.name) == a.values[0])
        };
        let Some(&r) = members.iter().find(|&&i| at_reference(i, "")) else {
            continue;
        };
        let label = group_axes
            .iter()
            .map(|a| format!("{a} {}", value(&cells[r], a)))
            .collect::<Vec<_>>()
            .join(", ");
        for axis in &env_axes {
            let mut row = DriftRow {
                group: if label.is_empty() {
                    "all".into()
                } else {
                    label.clone()
                },
                reference: axis.values[0].clone(),
                values: Vec::new(),
            };
            for v in &axis.values[1..] {
                let Some(&c) = members
                    .iter()
                    .find(|&&i| value(&cells[i], &axis.name) == *v && at_reference(i, &axis.name))
                else {
                    continue;
                };
                let key = if r < c { (r, c) } else { (c, r) };
                let Some(Judged {
                    verdict,
                    promised,
                    why,
                    max_ulp,
                }) = judged.get(&key).cloned()
                else {
                    continue;
                };
                let deltas = metric_names
                    .iter()
                    .filter_map(|m| {
                        Some((
                            m.clone(),
                            cells[c].metrics.get(m)? - cells[r].metrics.get(m)?,
                        ))
                    })
                    .collect();
                row.values.push(DriftCell {
                    value: v.clone(),
                    identical: verdict == Verdict::Identical,
                    max_ulp,
                    deltas,
                    promised,
                    verdict,
                    why,
                });
            }
            drift
                .entry(cells[r].mode.to_string())
                .or_default()
                .entry(axis.name.clone())
                .or_default()
                .push(row);
        }
    }
    Judgement {
        verdicts,
        differences,
        drift,
    }
}

/// The judgement of one pair of cells.
#[derive(Clone)]
struct Judged {
    verdict: Verdict,
    promised: bool,
    why: String,
    max_ulp: Option<u64>,
}

/// The final weights of cells, read once each, for ULP distances.
struct Weights<'a> {
    base: &'a Path,
    cache: HashMap<String, Option<BTreeMap<String, Vec<f32>>>>,
}

impl<'a> Weights<'a> {
    fn new(base: &'a Path) -> Self {
        Self {
            base,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, c: &CellRecord) -> Option<&BTreeMap<String, Vec<f32>>> {
        let base = self.base;
        self.cache
            .entry(c.id.clone())
            .or_insert_with(|| {
                let ck = Checkpoint::read(&base.join(&c.dir).join("final.safetensors")).ok()?;
                ck.tensors
                    .iter()
                    .filter(|(n, _)| n.starts_with("model."))
                    .map(|(n, t)| Some((n.clone(), t.to_f32().ok()?)))
                    .collect()
            })
            .as_ref()
    }

    /// Max ULP distance over every weight of two cells (`u64::MAX` if their tensors differ in
    /// names or sizes; `None` if a checkpoint cannot be read).
    fn max_ulp(&mut self, a: &CellRecord, b: &CellRecord) -> Option<u64> {
        let wa = self.get(a)?.clone();
        let wb = self.get(b)?;
        if wa.len() != wb.len() {
            return Some(u64::MAX);
        }
        let mut m = 0;
        for (name, va) in &wa {
            match wb.get(name) {
                Some(vb) if vb.len() == va.len() => {
                    for (x, y) in va.iter().zip(vb) {
                        m = m.max(ulp_distance(*x, *y));
                    }
                }
                _ => return Some(u64::MAX),
            }
        }
        Some(m)
    }
}
