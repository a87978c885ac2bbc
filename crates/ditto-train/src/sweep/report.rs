//! The analysis of a sweep's results: per setting, each metric's mean, spread and 95%
//! interval over the seeds; per mode, the variance decomposition of a full grid; and every
//! environment difference judged against the mode's promise.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::compare::ulp_distance;
use crate::error::{Error, ErrorKind};
use crate::sweep::anova::{ANOVA_METHOD, Decomposition};
use crate::sweep::axis::{AxisInfo, AxisKind, Role};
use crate::sweep::results::{CellRecord, FailedCell, MachineInfo, SweepResults};
use crate::sweep::stats::{CI_METHOD, Summary};
use crate::sweep::verdict::{Pair, Verdict, promise, verdict};

/// The `format` of `report.json`.
pub const REPORT_FORMAT: &str = "ditto-sweep/2";

/// Class: not applicable (statistics and judgements of recorded results). What `report.json`
/// holds and `report.md` shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// [`REPORT_FORMAT`].
    pub format: String,
    /// What was swept.
    pub title: String,
    /// The axes, in the grid's order.
    pub axes: Vec<AxisInfo>,
    /// The machines.
    pub machines: Vec<MachineInfo>,
    /// Finished cells.
    pub cells: usize,
    /// Failed cells.
    pub failed: Vec<FailedCell>,
    /// How [`SweepReport::stats`]' intervals are computed.
    pub stats_method: String,
    /// Per setting (mode, hyperparameters, environment), each metric over the seeds.
    pub stats: Vec<SettingStats>,
    /// How [`SweepReport::decompositions`] are computed.
    pub anova_method: String,
    /// Per mode and metric: how much of the spread each axis explains, over all of the
    /// mode's runs and, where hyperparameters vary, within each of their settings.
    pub decompositions: Vec<MetricDecomposition>,
    /// Per mode: how the pairs of cells that differ only in their environment compare.
    pub verdicts: BTreeMap<String, ModeVerdict>,
    /// Every such pair whose bits differ, with its verdict.
    pub differences: Vec<Pair>,
    /// Per mode, per environment axis with two values or more: each group's reference cell
    /// (every environment axis at its first value) against the cells that change this axis
    /// only.
    pub drift: BTreeMap<String, BTreeMap<String, Vec<DriftRow>>>,
    /// Per mode: median step time and its ratio to mode `off` (when swept).
    pub overhead: BTreeMap<String, Overhead>,
}

/// Class: not applicable. One setting's metrics over its seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingStats {
    /// The mode and every axis that is not a seed, by name.
    pub setting: BTreeMap<String, String>,
    /// Each metric's summary over the setting's runs.
    pub metrics: BTreeMap<String, Summary>,
}

/// Class: not applicable. One mode's and metric's variance decomposition, or why there is
/// none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricDecomposition {
    /// The mode.
    pub mode: String,
    /// The hyperparameter setting the runs share (empty: every run of the mode).
    #[serde(default)]
    pub within: BTreeMap<String, String>,
    /// The metric.
    pub metric: String,
    /// The decomposition, for a full grid.
    pub result: Option<Decomposition>,
    /// Why there is none (an incomplete grid, one cell, ...).
    pub note: Option<String>,
}

/// Class: not applicable. One mode's pairs of cells that differ in their environment only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeVerdict {
    /// Pairs compared.
    pub pairs: usize,
    /// Bitwise identical.
    pub identical: usize,
    /// Different where the mode promised nothing.
    pub expected: usize,
    /// Different where the mode promised the same bits.
    pub broken: usize,
}

/// Class: not applicable. One group's row of a drift table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftRow {
    /// The group: its seeds and hyperparameters (`seed 0`, `init_seed 1, optimizer.lr 0.01`).
    pub group: String,
    /// The axis's reference value.
    pub reference: String,
    /// Every other value.
    pub values: Vec<DriftCell>,
}

/// Class: not applicable. One value of an environment axis against the reference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftCell {
    /// The value.
    pub value: String,
    /// Bitwise identical final weights.
    pub identical: bool,
    /// Max ULP distance of any weight (0 when identical; `None` when unreadable).
    pub max_ulp: Option<u64>,
    /// Each metric's change from the reference.
    pub deltas: BTreeMap<String, f64>,
    /// Whether the mode promised the reference's bits.
    pub promised: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// Why.
    pub why: String,
}

/// Class: not applicable (timings). Median step time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// Median over the mode's cells of their median milliseconds per step.
    pub median_step_ms: Option<f64>,
    /// Its ratio to mode `off`'s.
    pub ratio_to_off: Option<f64>,
}

impl ModeVerdict {
    /// Class: not applicable. The verdict in words.
    pub fn word(&self) -> &'static str {
        if self.broken > 0 {
            "BROKEN PROMISE"
        } else if self.expected > 0 {
            "differences only where none was promised (expected)"
        } else if self.pairs == 0 {
            "no environment factor varied"
        } else {
            "zero drift"
        }
    }
}

impl SweepReport {
    /// Class: not applicable. Pairs whose bits differ where their mode promised them, over
    /// every mode: what `ditto sweep` exits 1 for.
    pub fn broken_promises(&self) -> usize {
        self.verdicts.values().map(|v| v.broken).sum()
    }

    /// Class: not applicable (reads checkpoints for ULP distances). The analysis of
    /// `results`, whose relative cell directories are under `base`.
    pub fn of(results: &SweepResults, base: &Path) -> Self {
        let cells = &results.cells;
        let group_axes = names_with(&results.axes, &[Role::Randomness, Role::Hyperparameter]);
        let setting_axes = names_with(&results.axes, &[Role::Hyperparameter, Role::Environment]);
        let env_axes: Vec<&AxisInfo> = results
            .axes
            .iter()
            .filter(|a| a.kind.role() == Role::Environment && a.values.len() > 1)
            .collect();
        let value = |c: &CellRecord, axis: &str| c.key.get(axis).cloned().unwrap_or_default();
        let modes: Vec<String> = first_seen(cells.iter().map(|c| c.mode.to_string()));
        let metric_names: Vec<String> =
            first_seen(cells.iter().flat_map(|c| c.metrics.keys().cloned()));

        // Per setting: each metric over the seeds.
        let setting_of = |c: &CellRecord| {
            let mut s: BTreeMap<String, String> = setting_axes
                .iter()
                .map(|a| ((*a).to_owned(), value(c, a)))
                .collect();
            s.insert("mode".into(), c.mode.to_string());
            s
        };
        let settings = first_seen(cells.iter().map(setting_of));
        let stats = settings
            .into_iter()
            .map(|setting| {
                let members: Vec<&CellRecord> =
                    cells.iter().filter(|c| setting_of(c) == setting).collect();
                let metrics = metric_names
                    .iter()
                    .filter_map(|m| {
                        let v: Vec<f64> = members
                            .iter()
                            .filter_map(|c| c.metrics.get(m).copied())
                            .collect();
                        Summary::of(&v).map(|s| (m.clone(), s))
                    })
                    .collect();
                SettingStats { setting, metrics }
            })
            .collect();

        // Per mode and metric: the decomposition over every axis that varies; where
        // hyperparameters vary, also within each of their settings (the seeds' split is
        // otherwise dwarfed by a hyperparameter's effect).
        let mut decompositions = Vec::new();
        for mode in &modes {
            let members: Vec<&CellRecord> = cells
                .iter()
                .filter(|c| &c.mode.to_string() == mode)
                .collect();
            let varying = |of: &[&CellRecord], role: Option<Role>| -> Vec<String> {
                results
                    .axes
                    .iter()
                    .filter(|a| a.kind != AxisKind::Mode)
                    .filter(|a| role.is_none_or(|r| a.kind.role() == r))
                    .filter(|a| first_seen(of.iter().map(|c| value(c, &a.name))).len() > 1)
                    .map(|a| a.name.clone())
                    .collect()
            };
            let hyper = varying(&members, Some(Role::Hyperparameter));
            let mut subsets = vec![(BTreeMap::new(), members.clone())];
            if !hyper.is_empty() {
                let settings = first_seen(members.iter().map(|c| {
                    hyper
                        .iter()
                        .map(|h| (h.clone(), value(c, h)))
                        .collect::<BTreeMap<String, String>>()
                }));
                for within in settings {
                    let subset: Vec<&CellRecord> = members
                        .iter()
                        .copied()
                        .filter(|c| within.iter().all(|(h, v)| &value(c, h) == v))
                        .collect();
                    subsets.push((within, subset));
                }
            }
            for (within, subset) in subsets {
                let factors = varying(&subset, None);
                for metric in &metric_names {
                    let runs: Vec<(Vec<String>, f64)> = subset
                        .iter()
                        .filter_map(|c| {
                            let v = *c.metrics.get(metric)?;
                            Some((factors.iter().map(|f| value(c, f)).collect(), v))
                        })
                        .collect();
                    let (result, note) = match Decomposition::of(&factors, &runs) {
                        Ok(d) => (Some(d), None),
                        Err(why) => (None, Some(why)),
                    };
                    decompositions.push(MetricDecomposition {
                        mode: mode.clone(),
                        within: within.clone(),
                        metric: metric.clone(),
                        result,
                        note,
                    });
                }
            }
        }

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
                    let Some(&c) = members.iter().find(|&&i| {
                        value(&cells[i], &axis.name) == *v && at_reference(i, &axis.name)
                    }) else {
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

        // Step times per mode.
        let mut overhead: BTreeMap<String, Overhead> = BTreeMap::new();
        for mode in &modes {
            let mut t: Vec<f64> = cells
                .iter()
                .filter(|c| &c.mode.to_string() == mode)
                .filter_map(|c| c.step_ms)
                .collect();
            overhead.insert(
                mode.clone(),
                Overhead {
                    median_step_ms: median(&mut t),
                    ratio_to_off: None,
                },
            );
        }
        let off = overhead.get("off").and_then(|o| o.median_step_ms);
        for o in overhead.values_mut() {
            o.ratio_to_off = match (o.median_step_ms, off) {
                (Some(t), Some(b)) if b > 0.0 => Some(t / b),
                _ => None,
            };
        }

        Self {
            format: REPORT_FORMAT.into(),
            title: results.title.clone(),
            axes: results.axes.clone(),
            machines: results.machines.clone(),
            cells: cells.len(),
            failed: results.failed.clone(),
            stats_method: CI_METHOD.into(),
            stats,
            anova_method: ANOVA_METHOD.into(),
            decompositions,
            verdicts,
            differences,
            drift,
            overhead,
        }
    }

    /// Class: not applicable (I/O). Writes `report.json` and `report.md` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "the report", e))?;
        crate::atomic::write_atomic(&dir.join("report.json"), json.as_bytes())?;
        crate::atomic::write_atomic(&dir.join("report.md"), self.markdown().as_bytes())
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

/// The names of the axes whose role is one of `want`.
fn names_with<'a>(axes: &'a [AxisInfo], want: &[Role]) -> Vec<&'a str> {
    axes.iter()
        .filter(|a| want.contains(&a.kind.role()))
        .map(|a| a.name.as_str())
        .collect()
}

/// The distinct items of `items`, in the order they first appear.
fn first_seen<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = Vec::new();
    for x in items {
        if !v.contains(&x) {
            v.push(x);
        }
    }
    v
}

/// The median (`None` for no values).
pub(crate) fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
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
