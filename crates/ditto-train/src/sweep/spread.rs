//! The spread of a sweep's metrics: per setting each metric over the seeds, per mode the
//! variance decomposition of the grid, and the step times.

use std::collections::BTreeMap;

use crate::sweep::anova::Decomposition;
use crate::sweep::axis::{AxisKind, Role};
use crate::sweep::grid::{first_seen, median, value};
use crate::sweep::report::{MetricDecomposition, Overhead, SettingStats};
use crate::sweep::results::{CellRecord, SweepResults};
use crate::sweep::stats::Summary;

/// Per setting (the mode and the axes in `setting_axes`), each metric over its cells.
pub(crate) fn setting_stats(
    cells: &[CellRecord],
    setting_axes: &[&str],
    metric_names: &[String],
) -> Vec<SettingStats> {
    let setting_of = |c: &CellRecord| {
        let mut s: BTreeMap<String, String> = setting_axes
            .iter()
            .map(|a| ((*a).to_owned(), value(c, a)))
            .collect();
        s.insert("mode".into(), c.mode.to_string());
        s
    };
    let settings = first_seen(cells.iter().map(setting_of));
    settings
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
        .collect()
}

/// Per mode and metric: the decomposition over every axis that varies; where hyperparameters
/// vary, also within each of their settings.
pub(crate) fn decompositions(
    results: &SweepResults,
    modes: &[String],
    metric_names: &[String],
) -> Vec<MetricDecomposition> {
    let cells = &results.cells;
    // The seeds' split is otherwise dwarfed by a hyperparameter's effect.
    let mut decompositions = Vec::new();
    for mode in modes {
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
            for metric in metric_names {
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
    decompositions
}

/// Per mode: the median step time and its ratio to mode `off`'s.
pub(crate) fn overhead(cells: &[CellRecord], modes: &[String]) -> BTreeMap<String, Overhead> {
    let mut overhead: BTreeMap<String, Overhead> = BTreeMap::new();
    for mode in modes {
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
    overhead
}
