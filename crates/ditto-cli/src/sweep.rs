//! `ditto sweep`: run a grid of seeds x threads x workers x backends x modes, then report the
//! legitimate variation (across seeds) next to the variation that must be zero (same seed,
//! other threads, workers or backend).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use ditto_train::{Checkpoint, RunSummary, TrainConfig};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::verify::ulp_distance;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The grid and where it goes.
pub struct Sweep {
    pub config: TrainConfig,
    pub seeds: Vec<u64>,
    pub threads: Vec<usize>,
    pub workers: Vec<usize>,
    pub backends: Vec<String>,
    pub modes: Vec<String>,
    pub max_steps: Option<usize>,
    pub out: PathBuf,
    pub jobs: usize,
}

/// One cell of the grid.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cell {
    pub mode: String,
    pub backend: String,
    pub threads: usize,
    pub workers: usize,
    pub seed: u64,
}

impl Cell {
    fn id(&self) -> String {
        format!(
            "{}-{}-t{}-w{}-s{}",
            self.mode, self.backend, self.threads, self.workers, self.seed
        )
    }
}

/// A finished cell's results.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CellResult {
    #[serde(flatten)]
    pub cell: Cell,
    pub steps: usize,
    pub test_accuracy: f32,
    pub test_loss: f32,
    pub fingerprint: String,
    /// Median over the run's logging intervals of seconds per step, in milliseconds.
    pub step_ms: Option<f64>,
    /// Whether the final weights equal the reference cell's (same mode and seed; first
    /// threads, workers and backend), bit for bit.
    pub identical_to_reference: bool,
    /// Max ULP distance of any weight to the reference cell's (0 when identical).
    pub max_ulp_to_reference: u64,
}

/// The report's JSON document (`report.json`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    pub example: String,
    pub grid: Grid,
    /// Per mode: the spread across seeds of the reference cells.
    pub seeds: BTreeMap<String, SeedStats>,
    /// Per mode, per non-seed factor that has more than one value: one row per seed.
    pub drift: BTreeMap<String, BTreeMap<String, Vec<DriftRow>>>,
    /// Per mode: median step time and its ratio to mode `off` (when swept).
    pub overhead: BTreeMap<String, Overhead>,
    /// Whether every non-seed factor left the weights bitwise identical, per mode.
    pub zero_drift: BTreeMap<String, bool>,
    pub cells: Vec<CellResult>,
    pub failed: Vec<String>,
}

/// The swept values.
#[derive(Debug, Serialize, Deserialize)]
pub struct Grid {
    pub seeds: Vec<u64>,
    pub threads: Vec<usize>,
    pub workers: Vec<usize>,
    pub backends: Vec<String>,
    pub modes: Vec<String>,
    pub max_steps: Option<usize>,
}

/// Accuracy and loss across seeds.
#[derive(Debug, Serialize, Deserialize)]
pub struct SeedStats {
    pub per_seed: Vec<(u64, f32, f32)>,
    pub accuracy: Stats,
    pub loss: Stats,
}

/// Mean, sample standard deviation, min, max.
#[derive(Debug, Serialize, Deserialize)]
pub struct Stats {
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
}

/// One seed's comparison of a factor's values with the reference value.
#[derive(Debug, Serialize, Deserialize)]
pub struct DriftRow {
    pub seed: u64,
    pub reference: String,
    pub values: Vec<DriftCell>,
}

/// One value of a factor against the reference.
#[derive(Debug, Serialize, Deserialize)]
pub struct DriftCell {
    pub value: String,
    pub identical: bool,
    pub max_ulp: u64,
    pub accuracy_delta: f32,
}

/// Median step time.
#[derive(Debug, Serialize, Deserialize)]
pub struct Overhead {
    pub median_step_ms: Option<f64>,
    pub ratio_to_off: Option<f64>,
}

impl Sweep {
    fn cells(&self) -> Vec<Cell> {
        let mut v = Vec::new();
        for mode in &self.modes {
            for backend in &self.backends {
                for &threads in &self.threads {
                    for &workers in &self.workers {
                        for &seed in &self.seeds {
                            v.push(Cell {
                                mode: mode.clone(),
                                backend: backend.clone(),
                                threads,
                                workers,
                                seed,
                            });
                        }
                    }
                }
            }
        }
        v
    }

    /// The config `ditto train` resolves for a cell.
    fn cell_config(&self, c: &Cell) -> TrainConfig {
        let mut cfg = self.config.clone();
        cfg.seed = c.seed;
        cfg.workers = c.workers;
        cfg.backend = c.backend.clone();
        cfg.mode = c.mode.clone();
        if self.max_steps.is_some() {
            cfg.max_steps = self.max_steps;
        }
        cfg
    }

    fn cell_dir(&self, c: &Cell) -> PathBuf {
        self.out.join("cells").join(c.id())
    }

    /// A cell is finished when its final checkpoint reads back (every tensor hash verified)
    /// and was made from this cell's config and thread count, and its summary exists.
    fn finished(&self, c: &Cell) -> bool {
        let dir = self.cell_dir(c);
        let Ok(ck) = Checkpoint::read(&dir.join("final.safetensors")) else {
            return false;
        };
        let want = serde_json::to_value(self.cell_config(c)).unwrap_or_default();
        ck.state["config"] == want
            && ck.provenance.threads == c.threads
            && dir.join("summary.json").is_file()
    }

    /// Runs the missing cells (up to `jobs` child processes at once) and writes the report.
    /// Returns the report and how many cells were skipped as already finished.
    pub fn run(&self) -> Res<(Report, usize)> {
        for m in &self.modes {
            let mut c = self.config.clone();
            c.mode = m.clone();
            c.validate()?;
        }
        std::fs::create_dir_all(self.out.join("cells"))
            .map_err(|e| format!("{}: {e}", self.out.display()))?;
        let base = self.out.join("sweep-config.toml");
        ditto_train::write_atomic(&base, self.config.to_toml().as_bytes())?;
        let cells = self.cells();
        let (done, todo): (Vec<&Cell>, Vec<&Cell>) = cells.iter().partition(|c| self.finished(c));
        eprintln!(
            "sweep: {} cells, {} already finished, {} to run ({} at a time)",
            cells.len(),
            done.len(),
            todo.len(),
            self.jobs
        );
        let exe = std::env::current_exe()?;
        let mut running: Vec<(Cell, Child)> = Vec::new();
        let mut failed = Vec::new();
        let total = todo.len();
        let mut finished = 0usize;
        let mut queue = todo.into_iter();
        loop {
            while running.len() < self.jobs.max(1) {
                let Some(c) = queue.next() else { break };
                let dir = self.cell_dir(c);
                if dir.exists() {
                    std::fs::remove_dir_all(&dir)?;
                }
                std::fs::create_dir_all(&dir)?;
                let log = std::fs::File::create(self.out.join("cells").join(c.id() + ".log"))?;
                let mut cmd = Command::new(&exe);
                cmd.arg("train")
                    .arg("--config")
                    .arg(&base)
                    .args(["--seed", &c.seed.to_string()])
                    .args(["--threads", &c.threads.to_string()])
                    .args(["--workers", &c.workers.to_string()])
                    .args(["--backend", &c.backend])
                    .args(["--mode", &c.mode])
                    .arg("--out")
                    .arg(&dir)
                    .stdout(Stdio::null())
                    .stderr(log);
                if let Some(m) = self.max_steps {
                    cmd.args(["--max-steps", &m.to_string()]);
                }
                running.push((c.clone(), cmd.spawn()?));
            }
            if running.is_empty() {
                break;
            }
            // Wait for the oldest child; cells are independent processes, so the order in
            // which they finish never changes a result.
            let (c, mut child) = running.remove(0);
            let status = child.wait()?;
            finished += 1;
            if status.success() {
                eprintln!("sweep: [{finished}/{total}] {} done", c.id());
            } else {
                eprintln!(
                    "sweep: [{finished}/{total}] {} FAILED ({status}); see cells/{}.log",
                    c.id(),
                    c.id()
                );
                failed.push(c.id());
            }
        }
        let report = self.analyze(&cells, failed)?;
        self.write(&report)?;
        Ok((report, done.len()))
    }

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
            let factor_values: [(&str, Vec<String>); 3] = [
                (
                    "threads",
                    self.threads.iter().map(ToString::to_string).collect(),
                ),
                (
                    "workers",
                    self.workers.iter().map(ToString::to_string).collect(),
                ),
                ("backends", self.backends.clone()),
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
            example: self.config.data.name.clone() + "/" + &self.config.model.kind,
            grid: Grid {
                seeds: self.seeds.clone(),
                threads: self.threads.clone(),
                workers: self.workers.clone(),
                backends: self.backends.clone(),
                modes: self.modes.clone(),
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

    fn write(&self, report: &Report) -> Res<()> {
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
            test_accuracy: summary.test_accuracy,
            test_loss: summary.test_loss,
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

fn median(v: &mut [f64]) -> Option<f64> {
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

fn stats(v: &[f64]) -> Stats {
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

fn markdown(r: &Report) -> String {
    let mut md = String::new();
    let g = &r.grid;
    let _ = writeln!(md, "# ditto sweep: {}\n", r.example);
    let _ = writeln!(
        md,
        "Grid: seeds {:?}, threads {:?}, workers {:?}, backends {:?}, modes {:?}{}; {} cells.\n",
        g.seeds,
        g.threads,
        g.workers,
        g.backends,
        g.modes,
        g.max_steps
            .map_or(String::new(), |m| format!(", {m} steps")),
        r.cells.len()
    );
    if !r.failed.is_empty() {
        let _ = writeln!(md, "**Failed cells:** {}\n", r.failed.join(", "));
    }
    let _ = writeln!(
        md,
        "## Legitimate variation: across seeds\n\n![test accuracy per seed](accuracy.svg)\n"
    );
    let _ = writeln!(
        md,
        "| mode | accuracy mean | std | min | max | loss mean | loss std |\n|---|---|---|---|---|---|---|"
    );
    for (mode, s) in &r.seeds {
        let _ = writeln!(
            md,
            "| {mode} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |",
            s.accuracy.mean,
            s.accuracy.std,
            s.accuracy.min,
            s.accuracy.max,
            s.loss.mean,
            s.loss.std
        );
    }
    let _ = writeln!(
        md,
        "\n## Variation that must be zero: same seed, other threads / workers / backend\n"
    );
    let _ = writeln!(
        md,
        "Each entry compares the final weights with the reference cell (first value of every \
         factor) of the same seed and mode: `=` is bitwise identical, otherwise the max ULP \
         difference of any weight and the change in test accuracy.\n"
    );
    for (mode, factors) in &r.drift {
        let verdict = if r.zero_drift.get(mode).copied().unwrap_or(false) {
            "zero drift"
        } else {
            "DRIFT"
        };
        let _ = writeln!(md, "### mode `{mode}`: {verdict}\n");
        if factors.is_empty() {
            let _ = writeln!(md, "(no non-seed factor has two values)\n");
        }
        for (factor, rows) in factors {
            let Some(first) = rows.first() else { continue };
            let _ = writeln!(
                md,
                "| {factor} vs {} | {} |\n|---|{}",
                first.reference,
                first
                    .values
                    .iter()
                    .map(|v| v.value.clone())
                    .collect::<Vec<_>>()
                    .join(" | "),
                "---|".repeat(first.values.len())
            );
            for row in rows {
                let cells: Vec<String> = row
                    .values
                    .iter()
                    .map(|v| {
                        if v.identical {
                            "=".to_owned()
                        } else {
                            format!("{} ULP, Δacc {:+.4}", v.max_ulp, v.accuracy_delta)
                        }
                    })
                    .collect();
                let _ = writeln!(md, "| seed {} | {} |", row.seed, cells.join(" | "));
            }
            let _ = writeln!(md);
        }
    }
    let _ = writeln!(
        md,
        "## Determinism overhead\n\n| mode | median step time | ratio to `off` |\n|---|---|---|"
    );
    for (mode, o) in &r.overhead {
        let _ = writeln!(
            md,
            "| {mode} | {} | {} |",
            o.median_step_ms
                .map_or("n/a".into(), |t| format!("{t:.3} ms")),
            o.ratio_to_off.map_or("n/a".into(), |x| format!("{x:.3}"))
        );
    }
    let _ = writeln!(
        md,
        "\nStep times are medians over each run's logging intervals (evaluation included) and \
         depend on what else the machine ran; the bitwise results do not."
    );
    md
}

fn plot_accuracy(path: &Path, r: &Report) -> Res<()> {
    let root = SVGBackend::new(path, (640, 360)).into_drawing_area();
    root.fill(&WHITE)?;
    let all: Vec<f64> = r.cells.iter().map(|c| f64::from(c.test_accuracy)).collect();
    let lo = all.iter().copied().fold(1.0, f64::min);
    let hi = all.iter().copied().fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.2).max(0.005);
    let modes: Vec<&String> = r.seeds.keys().collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "test accuracy per seed (reference cells)",
            ("sans-serif", 18),
        )
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(-0.5..(modes.len() as f64 - 0.5), (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_labels(modes.len().max(1))
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                modes
                    .get(i as usize)
                    .map_or(String::new(), |m| (*m).clone())
            } else {
                String::new()
            }
        })
        .y_desc("test accuracy")
        .draw()?;
    let palette = [BLUE, RED, GREEN, MAGENTA, CYAN];
    for (i, (_, s)) in r.seeds.iter().enumerate() {
        let n = s.per_seed.len().max(1) as f64;
        let color = palette[i % palette.len()];
        chart.draw_series(s.per_seed.iter().enumerate().map(|(j, &(_, acc, _))| {
            // Spread the seeds across the strip so equal accuracies stay visible.
            let x = i as f64 - 0.3 + 0.6 * (j as f64 + 0.5) / n;
            Circle::new((x, f64::from(acc)), 4, color.filled())
        }))?;
        let m = s.accuracy.mean;
        chart.draw_series(LineSeries::new(
            [(i as f64 - 0.35, m), (i as f64 + 0.35, m)],
            color.stroke_width(2),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// Parses `a..b` (b exclusive) or a comma list of seeds.
pub fn parse_seeds(s: &str) -> Result<Vec<u64>, String> {
    if let Some((a, b)) = s.split_once("..") {
        let a: u64 = a
            .trim()
            .parse()
            .map_err(|e| format!("--seeds {s:?}: {e}"))?;
        let b: u64 = b
            .trim()
            .parse()
            .map_err(|e| format!("--seeds {s:?}: {e}"))?;
        if b <= a {
            return Err(format!("--seeds {s:?}: empty range"));
        }
        if b - a > 10_000 {
            return Err(format!("--seeds {s:?}: more than 10000 seeds"));
        }
        return Ok((a..b).collect());
    }
    parse_list(s, "--seeds")
}

/// Parses a comma list, refusing empty lists and duplicates.
pub fn parse_list<T: std::str::FromStr + PartialEq>(s: &str, flag: &str) -> Result<Vec<T>, String>
where
    T::Err: std::fmt::Display,
{
    let mut v = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let x: T = part
            .parse()
            .map_err(|e| format!("{flag} {s:?}: {part:?}: {e}"))?;
        if v.contains(&x) {
            return Err(format!("{flag} {s:?}: {part:?} given twice"));
        }
        v.push(x);
    }
    if v.is_empty() {
        return Err(format!("{flag} {s:?}: no values"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ditto_train::{RunOptions, TrainData, train};

    /// Drift is detected when it is there: two different seeds' runs filed as the same cell
    /// at two thread counts must show up as non-identical, with a ULP distance.
    #[test]
    fn drift_is_detected_and_identical_runs_are_not_flagged() {
        let t = tempfile::tempdir().unwrap();
        let sweep = Sweep {
            config: TrainConfig {
                max_steps: Some(5),
                ..Default::default()
            },
            seeds: vec![0],
            threads: vec![1, 2, 4],
            workers: vec![0],
            backends: vec!["ndarray".into()],
            modes: vec!["run-to-run".into()],
            max_steps: Some(5),
            out: t.path().to_path_buf(),
            jobs: 1,
        };
        let cells = sweep.cells();
        assert_eq!(cells.len(), 3);
        // threads 1 and 4: seed 0; threads 2: really seed 7, filed as seed 0.
        for c in &cells {
            let mut cfg = sweep.cell_config(c);
            if c.threads == 2 {
                cfg.seed = 7;
            }
            let data = TrainData::bundled(&cfg).unwrap();
            train::<burn::backend::NdArray>(
                &data,
                &cfg,
                None,
                &sweep.cell_dir(c),
                &Default::default(),
                &RunOptions::default(),
            )
            .unwrap();
        }
        let report = sweep.analyze(&cells, Vec::new()).unwrap();
        let rows = &report.drift["run-to-run"]["threads"];
        assert_eq!(rows.len(), 1);
        let (two, four) = (&rows[0].values[0], &rows[0].values[1]);
        assert_eq!((two.value.as_str(), four.value.as_str()), ("2", "4"));
        assert!(!two.identical && two.max_ulp > 0, "{two:?}");
        assert!(four.identical && four.max_ulp == 0, "{four:?}");
        assert!(!report.zero_drift["run-to-run"]);
        let json = serde_json::to_value(&report).unwrap();
        for key in ["grid", "seeds", "drift", "overhead", "zero_drift", "cells"] {
            assert!(json.get(key).is_some(), "report.json lacks {key}");
        }
    }

    #[test]
    fn seed_ranges_and_lists_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_seeds("0..3").unwrap(), vec![0, 1, 2]);
        assert_eq!(parse_seeds("5,1").unwrap(), vec![5, 1]);
        assert!(parse_seeds("3..3").is_err());
        assert!(parse_seeds("1,1").is_err());
        assert!(parse_list::<usize>("1,x", "--threads").is_err());
        assert!(parse_list::<usize>("", "--threads").is_err());
        assert_eq!(
            stats(&[1.0, 2.0, 3.0]).std,
            1.0,
            "sample standard deviation"
        );
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }
}
