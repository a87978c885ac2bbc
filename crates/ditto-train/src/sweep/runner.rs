//! Running a sweep's cells through the run factory: finished cells are reused, the others
//! run (up to `jobs` at once), each run is checked against its cell, and the results and the
//! report are written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::checkpoint::Checkpoint;
use crate::env_check::RunFacts;
use crate::error::{Error, ErrorKind};
use crate::params::{ParamValues, fingerprint};
use crate::records::RunSummary;
use crate::sweep::Sweep;
use crate::sweep::cell::{CellRun, CellStamp, Plan, plan};
use crate::sweep::grid::median;
use crate::sweep::report::SweepReport;
use crate::sweep::results::{
    CellRecord, FailedCell, MachineInfo, RESULTS_FORMAT, RESULTS_VERSION, SweepResults,
};

/// What a run factory returns for a cell: the run's summary (`Trained::summary`), or any
/// error (the cell is reported as failed and the sweep goes on).
pub type FactoryResult = Result<RunSummary, Box<dyn std::error::Error + Send + Sync>>;

/// Class: not applicable. A finished sweep: its results, their analysis, and how many cells
/// were reused or run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// What `results.json` holds.
    pub results: SweepResults,
    /// What `report.json` and `report.md` hold.
    pub report: SweepReport,
    /// Cells found finished and reused.
    pub reused: usize,
    /// Cells run now (failed ones included).
    pub ran: usize,
}

impl Sweep {
    /// Class: each cell's run has its own mode's class; the analysis is not applicable.
    /// Runs every cell not already finished with `factory` (the user's model, data and
    /// objective: train [`CellRun::config`] into [`CellRun::dir`] and return the summary),
    /// writes `results.json`, `report.json` and `report.md` into the sweep's directory, and
    /// returns them. A cell whose factory fails, panics, or leaves a run that does not match
    /// the cell (another config, thread count or SIMD level; no verified final checkpoint)
    /// is reported as failed; the other cells go on.
    ///
    /// Errors: an axis or cell config that is invalid (named), `jobs(0)`, and I/O on the
    /// sweep's directory.
    pub fn run<F>(&self, factory: F) -> Result<Outcome, Error>
    where
        F: Fn(&CellRun<'_>) -> FactoryResult + Sync,
    {
        if self.jobs == 0 {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                "sweep: jobs must be at least 1",
            ));
        }
        let plans = plan(&self.base, &self.axes)?;
        let cells_dir = self.out.join("cells");
        std::fs::create_dir_all(&cells_dir)
            .map_err(|e| Error::io(&cells_dir, "creating the sweep's directory", e))?;
        let todo: Vec<usize> = (0..plans.len())
            .filter(|&i| !finished(&cells_dir, &plans[i]))
            .collect();
        let reused = plans.len() - todo.len();
        if self.verbose {
            eprintln!(
                "sweep: {} cells, {reused} already finished, {} to run ({} at a time)",
                plans.len(),
                todo.len(),
                self.jobs.min(todo.len().max(1))
            );
        }
        let failures: Mutex<BTreeMap<usize, String>> = Mutex::new(BTreeMap::new());
        let next = AtomicUsize::new(0);
        let count = AtomicUsize::new(0);
        let work = || {
            loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(&i) = todo.get(k) else { break };
                let p = &plans[i];
                let result = run_cell(&cells_dir, p, &factory);
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                match result {
                    Ok(()) => {
                        if self.verbose {
                            eprintln!("sweep: [{n}/{}] {} done", todo.len(), p.id);
                        }
                    }
                    Err(e) => {
                        if self.verbose {
                            eprintln!("sweep: [{n}/{}] {} FAILED: {e}", todo.len(), p.id);
                        }
                        if let Ok(mut f) = failures.lock() {
                            f.insert(i, e);
                        }
                    }
                }
            }
        };
        let threads = self.jobs.min(todo.len());
        if threads <= 1 {
            work();
        } else {
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(work);
                }
            });
        }
        let mut failures = failures.into_inner().unwrap_or_default();
        let label = self
            .out
            .file_name()
            .map_or("local".to_owned(), |n| n.to_string_lossy().into_owned());
        let mut cells = Vec::new();
        for (i, p) in plans.iter().enumerate() {
            if failures.contains_key(&i) {
                continue;
            }
            match record(&cells_dir, p, &label) {
                Ok(r) => cells.push(r),
                Err(e) => {
                    failures.insert(i, e.to_string());
                }
            }
        }
        let machines = cells
            .first()
            .map(|c| vec![MachineInfo::of(&label, &c.env, &self.out)])
            .unwrap_or_default();
        let results = SweepResults {
            format: RESULTS_FORMAT.into(),
            version: RESULTS_VERSION,
            title: self.title.clone(),
            axes: self.axes.iter().map(|a| a.info()).collect(),
            machines,
            cells,
            failed: failures
                .into_iter()
                .map(|(i, error)| FailedCell {
                    id: plans[i].id.clone(),
                    error,
                })
                .collect(),
        };
        results.write(&self.out)?;
        let report = SweepReport::of(&results, &self.out);
        report.write(&self.out)?;
        Ok(Outcome {
            results,
            report,
            reused,
            ran: todo.len(),
        })
    }
}

fn stamp_path(cells: &Path, p: &Plan) -> PathBuf {
    cells.join(format!("{}.cell.json", p.id))
}

/// Whether the cell's run is finished and made from this cell: its stamp matches, its final
/// checkpoint verifies, and its summary names the checkpoint's weights.
fn finished(cells: &Path, p: &Plan) -> bool {
    let Ok(text) = std::fs::read_to_string(stamp_path(cells, p)) else {
        return false;
    };
    let (Ok(stamp), Ok(want)) = (serde_json::from_str::<CellStamp>(&text), p.stamp()) else {
        return false;
    };
    stamp == want && verified(&cells.join(&p.id)).is_ok()
}

/// The run in `dir`'s summary, checked against its final checkpoint.
fn verified(dir: &Path) -> Result<RunSummary, String> {
    let summary = read_summary(dir)?;
    let path = dir.join("final.safetensors");
    let ck = Checkpoint::read(&path).map_err(|e| format!("no verified final checkpoint: {e}"))?;
    let params: BTreeMap<String, ParamValues> = ck
        .tensors
        .iter()
        .filter_map(|(name, t)| {
            let path = name.strip_prefix("model.")?;
            Some((path.to_owned(), (t.shape.clone(), t.to_f32().ok()?)))
        })
        .collect();
    if fingerprint(&params) != summary.fingerprint {
        return Err(format!(
            "{}: summary.json's fingerprint is not the final checkpoint's weights'",
            dir.display()
        ));
    }
    Ok(summary)
}

fn read_summary(dir: &Path) -> Result<RunSummary, String> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs one cell through the factory and checks its run.
fn run_cell<F>(cells: &Path, p: &Plan, factory: &F) -> Result<(), String>
where
    F: Fn(&CellRun<'_>) -> FactoryResult + Sync,
{
    let dir = cells.join(&p.id);
    let stamp = stamp_path(cells, p);
    let fs = |e: std::io::Error, what: &str| format!("{}: {what}: {e}", dir.display());
    if stamp.exists() {
        std::fs::remove_file(&stamp).map_err(|e| fs(e, "removing the old stamp"))?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| fs(e, "removing the unfinished run"))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| fs(e, "creating"))?;
    let run = CellRun {
        id: &p.id,
        config: &p.config,
        dir: &dir,
        threads: p.threads,
        simd: p.simd.as_deref(),
    };
    let returned = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| factory(&run))) {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "(no message)".into());
            return Err(format!("the run factory panicked: {msg}"));
        }
    };
    check_run(p, &dir)?;
    let summary = verified(&dir)?;
    if summary.fingerprint != returned.fingerprint {
        return Err(format!(
            "the factory returned the summary of another run (fingerprint {}) than the one in \
             {} ({})",
            returned.fingerprint,
            dir.display(),
            summary.fingerprint
        ));
    }
    let text =
        serde_json::to_string(&p.stamp().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    crate::atomic::write_atomic(&stamp, text.as_bytes()).map_err(|e| e.to_string())
}

/// The run in `dir` is the cell's: the config it recorded has the cell's seeds, mode,
/// backend, workers and cut, and its process had the cell's threads and SIMD level.
fn check_run(p: &Plan, dir: &Path) -> Result<(), String> {
    let facts = RunFacts::read(dir).map_err(|e| {
        format!(
            "the factory left no run in {} (train into CellRun::dir: `Trainer::out(cell.dir)`): \
             {e}",
            dir.display()
        )
    })?;
    let (got, want) = (&facts.config, &p.config);
    let mismatch = |what: &str, g: String, w: String| {
        Err(format!(
            "the run in {} recorded {what} {g}, the cell asked for {w}: the factory must train \
             CellRun::config",
            dir.display()
        ))
    };
    if (got.seed, got.seeds) != (want.seed, want.seeds) {
        return mismatch(
            "the seeds",
            format!("{} {:?}", got.seed, got.seeds),
            format!("{} {:?}", want.seed, want.seeds),
        );
    }
    if (got.mode, got.backend) != (want.mode, want.backend) {
        return mismatch(
            "mode and backend",
            format!("{} {}", got.mode, got.backend),
            format!("{} {}", want.mode, want.backend),
        );
    }
    if (got.workers, got.parallel) != (want.workers, want.parallel) {
        return mismatch(
            "workers and peers x accumulate",
            format!("{:?}", (got.workers, got.parallel)),
            format!("{:?}", (want.workers, want.parallel)),
        );
    }
    if let Some(n) = p.threads
        && facts.env.facts.threads != Some(n)
    {
        return Err(format!(
            "the cell asked for {n} threads and its run recorded {:?}: threads are fixed when a \
             process starts, so a sweep over threads needs a factory that runs each cell in a \
             process of its own (as `ditto sweep` does)",
            facts.env.facts.threads
        ));
    }
    if let Some(level) = &p.simd {
        let isa = facts.env.facts.kernel_isa.as_ref().map(|s| s.0.as_str());
        let fits = match level.as_str() {
            "off" | "scalar" => isa == Some("scalar"),
            "avx2" => isa.is_some_and(|i| i != "avx512"),
            _ => true,
        };
        if !fits {
            return Err(format!(
                "the cell asked for DITTO_SIMD={level} and its run's kernels ran {isa:?}: the \
                 SIMD level is fixed when a process starts, so a sweep over it needs a factory \
                 that runs each cell in a process of its own (as `ditto sweep` does)"
            ));
        }
    }
    Ok(())
}

/// The record of a finished cell.
fn record(cells: &Path, p: &Plan, machine: &str) -> Result<CellRecord, Error> {
    let dir = cells.join(&p.id);
    let summary = read_summary(&dir).map_err(|e| Error::new(ErrorKind::Invalid, Some(&dir), e))?;
    let facts = RunFacts::read(&dir)?;
    let mut metrics: BTreeMap<String, f64> = summary
        .test_metrics
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    if let Some(l) = summary.test_loss.filter(|l| l.is_finite()) {
        metrics.insert("loss".into(), f64::from(l));
    }
    let step_ms = std::fs::read_to_string(dir.join("metrics.jsonl"))
        .ok()
        .and_then(|t| step_ms(&t));
    Ok(CellRecord {
        id: p.id.clone(),
        key: p.key.clone(),
        machine: machine.to_owned(),
        dir: PathBuf::from("cells").join(&p.id),
        mode: facts.mode,
        origin: facts.origin,
        steps: summary.steps,
        fingerprint: summary.fingerprint,
        metrics,
        step_ms,
        backend: facts.env.backend,
        workers: facts.env.workers,
        parallel: facts.env.parallel,
        env: facts.env.facts,
    })
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
