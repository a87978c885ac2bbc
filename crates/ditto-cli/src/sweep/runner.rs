//! Running the grid's cells, each as a child `ditto train` process.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use ditto_train::{Checkpoint, TrainConfig};

use super::{Cell, Report, Res, Sweep};

impl Sweep {
    pub(super) fn cells(&self) -> Vec<Cell> {
        let mut v = Vec::new();
        for mode in &self.modes {
            for backend in &self.backends {
                for &threads in &self.threads {
                    for &workers in &self.workers {
                        for simd in &self.simd {
                            for (peers, accumulate) in self.parallel() {
                                for &seed in &self.seeds {
                                    v.push(Cell {
                                        mode: mode.clone(),
                                        backend: backend.clone(),
                                        threads,
                                        workers,
                                        simd: simd.clone(),
                                        peers,
                                        accumulate,
                                        seed,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        v
    }

    /// Every (peers, accumulate) pair of the grid.
    fn parallel(&self) -> Vec<(usize, usize)> {
        self.peers
            .iter()
            .flat_map(|&w| self.accumulate.iter().map(move |&k| (w, k)))
            .collect()
    }

    /// The config `ditto train` resolves for a cell.
    pub(super) fn cell_config(&self, c: &Cell) -> TrainConfig {
        let mut cfg = self.config.clone();
        cfg.seed = c.seed;
        cfg.workers = c.workers;
        cfg.backend = c.backend.parse().unwrap_or(cfg.backend);
        cfg.mode = c.mode.parse().unwrap_or(cfg.mode);
        cfg.parallel.peers = c.peers;
        cfg.parallel.accumulate = c.accumulate;
        if self.max_steps.is_some() {
            cfg.max_steps = self.max_steps;
        }
        cfg
    }

    pub(super) fn cell_dir(&self, c: &Cell) -> PathBuf {
        self.out.join("cells").join(c.id())
    }

    /// A cell is finished when its final checkpoint reads back (every tensor hash verified)
    /// and was made from this cell's config and thread count, and its summary exists.
    pub(super) fn finished(&self, c: &Cell) -> bool {
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
            c.mode = m.parse()?;
            c.validate()?;
        }
        std::fs::create_dir_all(self.out.join("cells"))
            .map_err(|e| format!("{}: {e}", self.out.display()))?;
        let base = self.out.join("sweep-config.toml");
        ditto_train::write_atomic(&base, self.config.to_toml()?.as_bytes())?;
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
                    .args(["--peers", &c.peers.to_string()])
                    .args(["--accumulate", &c.accumulate.to_string()])
                    .arg("--out")
                    .arg(&dir)
                    .stdout(Stdio::null())
                    .stderr(log);
                if let Some(m) = self.max_steps {
                    cmd.args(["--max-steps", &m.to_string()]);
                }
                if c.simd == "auto" {
                    cmd.env_remove("DITTO_SIMD");
                } else {
                    cmd.env("DITTO_SIMD", &c.simd);
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
}
