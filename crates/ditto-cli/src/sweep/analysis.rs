//! Reading the finished cells: the spread across seeds, the drift across everything else,
//! the step-time overhead.

use std::collections::BTreeMap;
use std::path::Path;

use ditto_train::{Checkpoint, RunSummary, ulp_distance};

use super::markdown::markdown;
use super::plot::plot_accuracy;
use super::{
    Cell, CellResult, DriftCell, DriftRow, Grid, Overhead, Report, Res, SeedStats, Stats, Sweep,
};

impl Sweep {
    /// Reads every finished cell and compares it with its reference.
    pub fn analyze(&self, cells: &[Cell], failed: Vec<String>) -> Res<Report> {
        let mut results: Vec<CellResult> = Vec::new();
        let mut weights: BTreeMap<Cell, BTreeMap<String, Vec<f32>>> = BTreeMap::new();
        for c in cells {
            if failed.contains(&c.id()) {
                continue;
            }
            let dir = self.cell_dir(c);
            let (r, w) = read_cell(c, &dir)?;
            weights.insert(c.clone(), w);
            results.push(r);
        }
        // The reference cell of (mode, seed): the first value of every other factor.
        let reference = |mode: &str, seed: u64| Cell {
            mode: mode.to_owned(),
            backend: self.backends[0].clone(),
            threads: self.threads[0],
            workers: self.workers[0],
            simd: self.simd[0].clone(),
            peers: self.peers[0],
            accumulate: self.accumulate[0],
            seed,
        };
        for r in &mut results {
            let rc = reference(&r.cell.mode, r.cell.seed);
            if let (Some(a), Some(b)) = (weights.get(&r.cell), weights.get(&rc)) {
                r.max_ulp_to_reference = max_ulp(a, b);
                r.identical_to_reference = r.max_ulp_to_reference == 0 && a.len() == b.len();
            }
        }
        let find = |c: &Cell| results.iter().find(|r| &r.cell == c);

        let mut seeds = BTreeMap::new();
        let mut drift: BTreeMap<String, BTreeMap<String, Vec<DriftRow>>> = BTreeMap::new();
        let mut zero_drift = BTreeMap::new();
        let mut overhead = BTreeMap::new();
        for mode in &self.modes {
            let refs: Vec<&CellResult> = self
                .seeds
                .iter()
                .filter_map(|&seed| find(&reference(mode, seed)))
                .collect();
            let acc: Vec<f64> = refs.iter().map(|r| f64::from(r.test_accuracy)).collect();
            let loss: Vec<f64> = refs.iter().map(|r| f64::from(r.test_loss)).collect();
            seeds.insert(
                mode.clone(),
                SeedStats {
                    per_seed: refs
                        .iter()
                        .map(|r| (r.cell.seed, r.test_accuracy, r.test_loss))
                        .collect(),
                    accuracy: stats(&acc),
                    loss: stats(&loss),
                },
            );
            let mut factors: BTreeMap<String, Vec<DriftRow>> = BTreeMap::new();
            let mut all_zero = true;
            let factor_values: [(&str, Vec<String>); 6] = [
                (
                    "threads",
                    self.threads.iter().map(ToString::to_string).collect(),
                ),
                (
                    "workers",
                    self.workers.iter().map(ToString::to_string).collect(),
                ),
                ("simd", self.simd.clone()),
                ("backends", self.backends.clone()),
                (
                    "peers",
                    self.peers.iter().map(ToString::to_string).collect(),
                ),
                (
                    "accumulate",
                    self.accumulate.iter().map(ToString::to_string).collect(),
                ),
            ];
            for (factor, values) in factor_values {
                if values.len() < 2 {
                    continue;
                }
                let mut rows = Vec::new();
                for &seed in &self.seeds {
                    let rc = reference(mode, seed);
                    let Some(r0) = find(&rc) else { continue };
                    let mut row = DriftRow {
                        seed,
                        reference: values[0].clone(),
                        values: Vec::new(),
                    };
                    for v in &values[1..] {
                        let mut c = rc.clone();
                        match factor {
                            "threads" => c.threads = v.parse().unwrap_or(0),
                            "workers" => c.workers = v.parse().unwrap_or(0),
                            "simd" => c.simd = v.clone(),
                            "peers" => c.peers = v.parse().unwrap_or(0),
                            "accumulate" => c.accumulate = v.parse().unwrap_or(0),
                            _ => c.backend = v.clone(),
                        }
                        let Some(r) = find(&c) else { continue };
                        all_zero &= r.identical_to_reference;
                        row.values.push(DriftCell {
                            value: v.clone(),
                            identical: r.identical_to_reference,
                            max_ulp: r.max_ulp_to_reference,
                            accuracy_delta: r.test_accuracy - r0.test_accuracy,
                        });
                    }
                    rows.push(row);
                }
                factors.insert(factor.to_owned(), rows);
            }
            drift.insert(mode.clone(), factors);
            zero_drift.insert(mode.clone(), all_zero);
            let mut times: Vec<f64> = results
                .iter()
                .filter(|r| &r.cell.mode == mode)
                .filter_map(|r| r.step_ms)
                .collect();
            overhead.insert(
                mode.clone(),
                Overhead {
                    median_step_ms: median(&mut times),
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
        Ok(Report {
            format: "ditto-sweep/1".into(),
            example: format!(
                "{}/{}",
                self.config.data.source.describe(),
                self.config.model.kind()
            ),
            grid: Grid {
                seeds: self.seeds.clone(),
                threads: self.threads.clone(),
                workers: self.workers.clone(),
                simd: self.simd.clone(),
                backends: self.backends.clone(),
                modes: self.modes.clone(),
                peers: self.peers.clone(),
                accumulate: self.accumulate.clone(),
                max_steps: self.max_steps,
            },
            seeds,
            drift,
            overhead,
            zero_drift,
            cells: results,
            failed,
        })
    }

    pub(super) fn write(&self, report: &Report) -> Res<()> {
        ditto_train::write_atomic(
            &self.out.join("report.json"),
            serde_json::to_string_pretty(report)?.as_bytes(),
        )?;
        plot_accuracy(&self.out.join("accuracy.svg"), report)?;
        ditto_train::write_atomic(&self.out.join("report.md"), markdown(report).as_bytes())?;
        Ok(())
    }
}

fn read_cell(c: &Cell, dir: &Path) -> Res<(CellResult, BTreeMap<String, Vec<f32>>)> {
    let summary: RunSummary = serde_json::from_str(
        &std::fs::read_to_string(dir.join("summary.json"))
            .map_err(|e| format!("{}: {e}", dir.join("summary.json").display()))?,
    )?;
    let ck = Checkpoint::read(&dir.join("final.safetensors"))?;
    let mut w = BTreeMap::new();
    for (name, t) in &ck.tensors {
        if name.starts_with("model.") {
            w.insert(name.clone(), t.to_f32()?);
        }
    }
    let step_ms = std::fs::read_to_string(dir.join("metrics.jsonl"))
        .ok()
        .and_then(|text| step_ms(&text));
    Ok((
        CellResult {
            cell: c.clone(),
            steps: summary.steps,
            test_accuracy: summary.accuracy().map_or(f32::NAN, |a| a as f32),
            test_loss: summary.test_loss.unwrap_or(f32::NAN),
            fingerprint: summary.fingerprint,
            step_ms,
            identical_to_reference: false,
            max_ulp_to_reference: 0,
        },
        w,
    ))
}

/// Median over logging intervals of (elapsed seconds / steps), in milliseconds.
fn step_ms(metrics: &str) -> Option<f64> {
    let points: Vec<(f64, f64)> = metrics
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| Some((v["step"].as_f64()?, v["elapsed_s"].as_f64()?)))
        .collect();
    let mut rates: Vec<f64> = points
        .windows(2)
        .filter(|w| w[1].0 > w[0].0)
        .map(|w| 1e3 * (w[1].1 - w[0].1) / (w[1].0 - w[0].0))
        .collect();
    if rates.is_empty() {
        return points.first().map(|&(s, t)| 1e3 * t / s.max(1.0));
    }
    median(&mut rates)
}

pub(super) fn median(v: &mut [f64]) -> Option<f64> {
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

pub(super) fn stats(v: &[f64]) -> Stats {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Stats {
        mean,
        std: var.sqrt(),
        min: v.iter().copied().fold(f64::INFINITY, f64::min),
        max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

/// Max ULP distance over all tensors of two weight sets (`u64::MAX` if their names or
/// shapes differ).
pub fn max_ulp(a: &BTreeMap<String, Vec<f32>>, b: &BTreeMap<String, Vec<f32>>) -> u64 {
    if a.len() != b.len() {
        return u64::MAX;
    }
    let mut m = 0;
    for (name, va) in a {
        match b.get(name) {
            Some(vb) if vb.len() == va.len() => {
                for (x, y) in va.iter().zip(vb) {
                    m = m.max(ulp_distance(*x, *y));
                }
            }
            _ => return u64::MAX,
        }
    }
    m
}
