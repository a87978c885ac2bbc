//! What a step leaves behind, in order: its trace line, its metrics line, the validation
//! split's evaluation and what the monitor decides from it (best checkpoints, early
//! stopping), and the step's checkpoints (periodic, best, and `final` or `last` at the end).

use std::path::Path;
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use ditto_data::Dataset;
use ditto_kernels::{Refusal, RngState};

use crate::config::TrainConfig;
use crate::error::{Error, ErrorKind};
use crate::monitor::{Decision, MonitorState, Scored};
use crate::params::{fingerprint, read_params};
use crate::progress::Progress;
use crate::provenance::Provenance;
use crate::records::{EvalLine, MetricsLine, Split, TraceLine, TrainLine};
use crate::run_id::RunId;
use crate::state::RunState;
use crate::task::Task;
use crate::timing::{Clock, Phase};
use crate::trainer::eval::{Eval, evaluate};
use crate::trainer::feed::Feed;
use crate::trainer::optim::AnyOptim;
use crate::trainer::rundir::{Jsonl, prune};
use crate::trainer::snapshot;
use crate::trainer::trace_writer::TraceWriter;

/// Where the loop stands after a step.
pub(crate) struct Position {
    /// Steps done.
    pub(crate) step: usize,
    /// The step's epoch.
    pub(crate) epoch: u64,
    /// Batches of the epoch done.
    pub(crate) batch: usize,
    /// Batches per epoch.
    pub(crate) per_epoch: usize,
    /// The step the loop stops at this process (`stop_at` or the end).
    pub(crate) stop: usize,
    /// The run's last step.
    pub(crate) total: usize,
}

/// The run's records, open for appending.
pub(crate) struct Recorder<'a> {
    pub(crate) out: &'a Path,
    pub(crate) config: &'a TrainConfig,
    pub(crate) trace: TraceWriter,
    pub(crate) metrics: Jsonl,
    pub(crate) progress: Progress,
    pub(crate) provenance: Provenance,
    pub(crate) run_id: Option<RunId>,
    pub(crate) monitor: MonitorState,
    pub(crate) started: Instant,
    /// The fingerprint of the parameters the run started from (`RunState::start_fingerprint`).
    pub(crate) start_fingerprint: String,
}

/// Whether the run goes on after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    /// Early stopping ended the run.
    Stop,
}

/// What [`Recorder::after_step`] needs of the step besides the model.
pub(crate) struct StepFacts<D> {
    pub(crate) loss: f32,
    pub(crate) lr: f64,
    /// The backend's random state after the step (what a checkpoint restores).
    pub(crate) rng: RngState,
    /// Takes the op strict mode refused on this thread (checked after an evaluation).
    pub(crate) refusal: fn(&D) -> Option<Refusal>,
}

impl Recorder<'_> {
    /// Records step `at`: its trace and metrics lines, the validation evaluation when one is
    /// due, and its checkpoints.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn after_step<B, M, T, D>(
        &mut self,
        at: &Position,
        facts: &StepFacts<B::Device>,
        model: &M,
        optim: &AnyOptim<M, B>,
        task: &T,
        feed: &Feed<D>,
        device: &B::Device,
        clock: &mut Clock,
    ) -> Result<Flow, Error>
    where
        B: AutodiffBackend,
        M: AutodiffModule<B>,
        T: Task<B::InnerBackend, M::InnerModule>,
        D: Dataset<Item = T::Item>,
    {
        let c = self.config;
        let step = at.step;
        let epoch_end = at.batch == at.per_epoch;
        // The validation split and the monitor's decision come first: they decide which
        // checkpoints this step writes.
        let due = match c.validation.every {
            0 => epoch_end,
            n => step.is_multiple_of(n),
        };
        let mut decision = Decision::default();
        let mut valid_line = None;
        if let (true, Some(set)) = (due, feed.valid.as_ref()) {
            clock.charge(Phase::Loop);
            let eval = evaluate::<B::InnerBackend, _, _, _>(
                &model.valid(),
                task,
                set.as_ref(),
                feed.classes,
                device,
            );
            crate::refusal::refused(facts.refusal, device, || {
                format!("validation after step {step}")
            })?;
            self.progress.evaluated(
                "validation",
                step,
                eval.metrics.get("accuracy").copied(),
                eval.loss,
            );
            let value = monitored(c, &eval)?;
            decision = self.monitor.record(&c.validation, Scored { step, value });
            valid_line = Some(eval_line(
                step,
                at.epoch + u64::from(epoch_end),
                Split::Valid,
                eval,
            ));
            clock.charge(Phase::Eval);
        }
        let end = step == at.stop || decision.stop;
        let periodic = c.checkpoint_every > 0 && step.is_multiple_of(c.checkpoint_every);
        let traced = c.trace.every > 0 && step.is_multiple_of(c.trace.every);
        // A checkpoint needs the fingerprint now; a trace line alone is hashed and written on
        // the trace writer's thread.
        let saves = periodic || end || decision.keep;
        let mut params = (traced || saves).then(|| read_params(model));
        let mut fp = None;
        if saves && let Some(p) = &params {
            let f = fingerprint(p);
            self.trace.line(TraceLine {
                step,
                loss_bits: facts.loss.to_bits(),
                fingerprint: f.clone(),
            })?;
            fp = Some(f);
        } else if let Some(p) = params.take() {
            self.trace.params(step, facts.loss.to_bits(), p)?;
        }
        if step.is_multiple_of(c.log_every) || end {
            self.metrics.line(&MetricsLine::Train(TrainLine {
                step,
                epoch: at.epoch,
                loss: facts.loss,
                lr: facts.lr,
                elapsed_s: self.started.elapsed().as_secs_f64(),
                times: Some(clock.times()),
            }))?;
            self.progress.log(step, at.epoch, facts.loss, facts.lr);
        }
        self.progress.tick(step, facts.loss);
        if let Some(line) = valid_line {
            self.metrics.line(&MetricsLine::Eval(line))?;
        }
        let (Some(params), Some(fp)) = (params, fp) else {
            return Ok(flow(&decision));
        };
        clock.charge(Phase::Loop);
        // The trace reaches every step a checkpoint records before the checkpoint does.
        self.trace.flush()?;
        let (epoch, batch) = match epoch_end {
            true => (at.epoch + 1, 0),
            false => (at.epoch, at.batch),
        };
        let state = RunState {
            config: c.clone(),
            step,
            epoch,
            batch,
            backend_rng: facts.rng,
            fingerprint: fp,
            optimizer: Default::default(),
            run_id: self.run_id.clone(),
            monitor: self.monitor.clone(),
            start_fingerprint: Some(self.start_fingerprint.clone()),
        };
        let ck = snapshot::save(model, &params, optim, &state, &self.provenance)?;
        let dir = self.out.join("checkpoints");
        if periodic {
            ck.write(&dir.join(format!("step-{step:08}.safetensors")))?;
            prune(&dir, c.keep_checkpoints, self.run_id.as_ref())?;
        }
        if decision.keep {
            // The new best first, then the evicted ones go: never fewer than k on disk.
            ck.write(&dir.join(best_name(step)))?;
            for evicted in &decision.evict {
                remove_best(&dir, *evicted)?;
            }
        }
        if end {
            let finished = step == at.total || decision.stop;
            let name = if finished {
                "final.safetensors"
            } else {
                "last.safetensors"
            };
            ck.write(&self.out.join(name))?;
        }
        clock.charge(Phase::Checkpoint);
        Ok(flow(&decision))
    }
}

fn flow(d: &Decision) -> Flow {
    if d.stop { Flow::Stop } else { Flow::Continue }
}

/// The file name of step `step`'s best checkpoint.
pub(crate) fn best_name(step: usize) -> String {
    format!("best-{step:08}.safetensors")
}

fn remove_best(dir: &Path, step: usize) -> Result<(), Error> {
    let path = dir.join(best_name(step));
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(&path, "removing a best checkpoint pushed out", e)),
    }
}

/// A resumed run's best checkpoints are those its state lists: files of later steps (written
/// by the process that was stopped after its last checkpoint) are removed; the resumed run
/// writes them again, with the same bits, when it reaches them.
pub(crate) fn drop_stale_best(out: &Path, monitor: &MonitorState) -> Result<(), Error> {
    let dir = out.join("checkpoints");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(step) = name
            .strip_prefix("best-")
            .and_then(|n| n.strip_suffix(".safetensors"))
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        if !monitor.top.iter().any(|s| s.step == step) {
            remove_best(&dir, step)?;
        }
    }
    Ok(())
}

/// The monitored metric's value in `eval`; an error naming the metrics there are when the
/// task does not report it.
fn monitored(c: &TrainConfig, eval: &Eval) -> Result<f64, Error> {
    let metric = &c.validation.metric;
    eval.value(metric).ok_or_else(|| {
        let mut names: Vec<&str> = vec!["loss"];
        names.extend(eval.metrics.keys().map(String::as_str));
        Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "config `validation.metric`: `{metric}` is not among the metrics the \
                 evaluation reports ({})",
                names.join(", ")
            ),
        )
    })
}

/// An evaluation as a metrics line.
pub(crate) fn eval_line(step: usize, epoch: u64, split: Split, eval: Eval) -> EvalLine {
    EvalLine {
        step,
        epoch,
        split,
        loss: eval.loss,
        metrics: eval.metrics,
        test_accuracy: None,
    }
}
