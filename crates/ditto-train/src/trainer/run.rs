//! The run loop: one pass over the steps from a fresh start or a checkpoint.

use std::path::Path;
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use ditto_data::LoaderState;
use ditto_kernels::{DittoConfig, GpuAdapter, OpRecord, RngState};
use ditto_rng::{BurnDefaults, reinit};

use crate::checkpoint::Checkpoint;
use crate::config::{ClipScope, TrainConfig};
use crate::data::TrainData;
use crate::error::{Error, ErrorKind};
use crate::manifest::{Manifest, Program};
use crate::model_record::{ModelOrigin, ModelRecord};
use crate::objective::{Objective, scalar};
use crate::op_trace::{OpTraceWriter, StepRange};
use crate::params::{fingerprint, read_params};
use crate::progress::Progress;
use crate::provenance::{BuildInfo, Provenance};
use crate::records::{EvalLine, MetricsLine, RunSummary, TraceLine, TrainLine};
use crate::run_id::RunId;
use crate::schedule::learning_rate;
use crate::seeds::RunSeeds;
use crate::state::RunState;
use crate::timing::{Clock, Phase};
use crate::trainer::batch::to_tensors;
use crate::trainer::clip::clip_global_norm;
use crate::trainer::eval::evaluate;
use crate::trainer::micro::{self, Peers};
use crate::trainer::optim::AnyOptim;
use crate::trainer::rundir::{Jsonl, prune, write_json, write_text};
use crate::trainer::snapshot;
use crate::trainer::trace_writer::TraceWriter;

/// Sets up ditto's decorator on a thread, with the run's decorator config.
pub(crate) type Configure<D> = (fn(&D, DittoConfig), DittoConfig);

/// How the loop reads and installs the backend's random state (dropout).
pub(crate) struct Hooks<D> {
    pub(crate) get: fn(&D) -> Option<RngState>,
    pub(crate) set: fn(&D, RngState),
    /// Starts / takes the op trace (`Ditto::start_op_trace`, `take_op_trace`).
    pub(crate) trace_start: fn(&D),
    pub(crate) trace_take: fn(&D) -> Vec<OpRecord>,
    /// Configures ditto's decorator on a peer thread, with the run's config; `None` without
    /// the decorator (which cannot cut batches).
    pub(crate) configure: Option<Configure<D>>,
    /// The device's GPU adapter, for the provenance (`Inner::adapter`).
    pub(crate) adapter: fn(&D) -> Option<GpuAdapter>,
}

/// Everything a run needs besides the model and the objective.
pub(crate) struct Ctx<'a, D> {
    pub(crate) data: &'a TrainData,
    pub(crate) config: &'a TrainConfig,
    pub(crate) resume: Option<&'a Checkpoint>,
    pub(crate) out: &'a Path,
    pub(crate) device: &'a D,
    pub(crate) stop_at: Option<usize>,
    pub(crate) verbose: bool,
    pub(crate) trace_ops: Option<StepRange>,
    pub(crate) hooks: Hooks<D>,
    /// Where the model came from (what `model.json` and the report say).
    pub(crate) origin: ModelOrigin,
    /// The caller's project (`Trainer::program_info`).
    pub(crate) program: Option<&'a BuildInfo>,
}

/// Trains `model` as `cx` says and returns it with the run's summary.
pub(crate) fn run<B, M, O>(
    model: M,
    objective: &O,
    cx: &Ctx<'_, B::Device>,
) -> Result<(M, RunSummary), Error>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    O: Objective<B, M> + Objective<B::InnerBackend, M::InnerModule>,
{
    let &Ctx {
        data,
        config,
        resume,
        out,
        device,
        ..
    } = cx;
    let want = <O as Objective<B, M>>::targets(objective);
    if want != data.target_kind() {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "the objective needs {want:?} targets, the data has {:?}",
                data.target_kind()
            ),
        ));
    }
    let seeds = RunSeeds::new(config.seed);
    let mut model = reinit(model, &seeds.init(), &BurnDefaults).map_err(|(_, e)| {
        Error::with_source(ErrorKind::Invalid, None, "initialising the model", e)
    })?;
    // Taken from the module itself, at initialisation (a function of the seed, so the same
    // for a resumed run's process).
    let record = ModelRecord::of(&model, cx.origin);
    let run_id = match resume {
        Some(ck) => ck.run_state()?.run_id,
        None => Some(RunId::derive(config)?),
    };
    let mut optim = AnyOptim::<M, B>::new(config);
    let mut loader = data.loader(config)?;
    let per_epoch = loader.batches_per_epoch();
    let total_steps = config.max_steps.unwrap_or(config.epochs * per_epoch);
    let (mut step, mut epoch, mut batch) = (0usize, 0u64, 0usize);
    let mut rng = RngState::new(seeds.backend());
    if let Some(ck) = resume {
        let (m, o, state) = snapshot::restore(ck, model, optim, device)?;
        (model, optim) = (m, o);
        (step, epoch, batch, rng) = (state.step, state.epoch, state.batch, state.backend_rng);
    }
    (cx.hooks.set)(device, rng);

    // `[parallel]` is checked before anything is written to the run directory.
    let peers = match cx.hooks.configure {
        Some((configure, ditto)) => Peers::new(config.parallel, configure, ditto)?,
        None if config.parallel.is_single() => None,
        None => {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                "config `parallel`: peers or accumulate above 1 need ditto's decorator",
            ));
        }
    };
    if peers.is_some() && record.has_module("BatchNorm") {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            "config `parallel`: the model has a BatchNorm, whose batch statistics would be \
             those of each micro-batch: train it with peers = accumulate = 1",
        ));
    }
    if let (Some(_), Some(r)) = (&peers, cx.trace_ops) {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "op tracing (steps {r}) records one thread's ops: trace a run without `[parallel]`"
            ),
        ));
    }
    std::fs::create_dir_all(out.join("checkpoints"))
        .map_err(|e| Error::io(out, "creating run directory", e))?;
    write_text(&out.join("config.toml"), &config.to_toml()?)?;
    let manifest = Manifest {
        provenance: Provenance::collect(&B::name(device), &format!("{device:?}"))
            .with_gpu((cx.hooks.adapter)(device))
            .with_project(cx.program),
        run_id: run_id.clone(),
        program: Some(Program::current()),
    };
    write_json(&out.join("manifest.json"), &manifest)?;
    write_json(&out.join("model.json"), &record)?;
    let mut trace = TraceWriter::start(Jsonl::open::<TraceLine>(&out.join("trace.jsonl"), step)?)?;
    let mut metrics = Jsonl::open::<MetricsLine>(&out.join("metrics.jsonl"), step)?;

    let stop = cx.stop_at.map_or(total_steps, |s| s.min(total_steps));
    let mut ops = match cx.trace_ops {
        Some(r) if r.first() > stop || r.last() <= step => {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!(
                    "op trace steps {r}: this run does steps {}..{stop}",
                    step + 1
                ),
            ));
        }
        Some(r) => Some((r, OpTraceWriter::create(out, r, &B::name(device))?)),
        None => None,
    };
    let mut progress = Progress::new(cx.verbose, step, stop);
    let started = Instant::now();
    let mut clock = Clock::start();
    while step < stop {
        if batch >= per_epoch {
            (epoch, batch) = (epoch + 1, 0);
        }
        loader.restore(LoaderState { epoch, batch });
        let mut batches = loader.epoch();
        while step < stop {
            let Some(b) = batches.next() else { break };
            let traced_ops = ops.as_ref().is_some_and(|(r, _)| r.contains(step + 1));
            if traced_ops {
                (cx.hooks.trace_start)(device);
            }
            let host_batch = data.to_batch(&b);
            let (loss_value, grads) = match &peers {
                Some(peers) => {
                    clock.charge(Phase::Loop);
                    let start = (cx.hooks.get)(device).unwrap_or(rng);
                    let hooks = (cx.hooks.get, cx.hooks.set);
                    let out = micro::step::<B, M, O>(
                        peers,
                        &model,
                        objective,
                        &host_batch,
                        data,
                        device,
                        start,
                        hooks,
                    )?;
                    (cx.hooks.set)(device, out.rng);
                    (out.loss, out.grads)
                }
                None => {
                    let tb = to_tensors::<B>(&host_batch, data, device);
                    clock.charge(Phase::Loop);
                    let loss = <O as Objective<B, M>>::loss(objective, &model, &tb);
                    let loss_value = scalar(loss.clone());
                    (
                        loss_value,
                        GradientsParams::from_grads(loss.backward(), &model),
                    )
                }
            };
            let grads = match config.grad_clip() {
                Some((max, ClipScope::Global)) => clip_global_norm::<B, M>(&model, grads, max).0,
                Some((_, ClipScope::PerTensor)) | None => grads,
            };
            let lr = learning_rate(&config.schedule, config.optimizer.lr(), step, total_steps);
            model = optim.step(lr, model, grads);
            clock.charge(Phase::Step);
            if let (true, Some((_, w))) = (traced_ops, ops.as_mut()) {
                w.step(step + 1, &(cx.hooks.trace_take)(device))?;
            }
            step += 1;
            batch += 1;
            let periodic = config.checkpoint_every > 0 && step % config.checkpoint_every == 0;
            let traced = config.trace.every > 0 && step % config.trace.every == 0;
            // A checkpoint needs the fingerprint now; a trace line alone is hashed and
            // written on the trace writer's thread.
            let saves = periodic || step == stop;
            let mut params = (traced || saves).then(|| read_params(&model));
            let mut fp = None;
            if saves && let Some(p) = &params {
                let f = fingerprint(p);
                trace.line(TraceLine {
                    step,
                    loss_bits: loss_value.to_bits(),
                    fingerprint: f.clone(),
                })?;
                fp = Some(f);
            } else if let Some(p) = params.take() {
                trace.params(step, loss_value.to_bits(), p)?;
            }
            if step % config.log_every == 0 || step == stop {
                metrics.line(&MetricsLine::Train(TrainLine {
                    step,
                    epoch,
                    loss: loss_value,
                    lr,
                    elapsed_s: started.elapsed().as_secs_f64(),
                    times: Some(clock.times()),
                }))?;
                progress.log(step, epoch, loss_value, lr);
            }
            progress.tick(step, loss_value);
            if batch == per_epoch {
                clock.charge(Phase::Loop);
                let eval =
                    evaluate::<B::InnerBackend, _, _>(&model.valid(), objective, data, device);
                progress.epoch(epoch + 1, eval.metrics.get("accuracy").copied(), eval.loss);
                metrics.line(&MetricsLine::Eval(EvalLine {
                    step,
                    epoch: epoch + 1,
                    test_loss: eval.loss,
                    test_metrics: eval.metrics,
                    test_accuracy: None,
                }))?;
                clock.charge(Phase::Eval);
            }
            let (Some(params), Some(fp)) = (params, fp) else {
                continue;
            };
            clock.charge(Phase::Loop);
            // The trace reaches every step a checkpoint records before the checkpoint does.
            trace.flush()?;
            let (next_epoch, next_batch) = if batch == per_epoch {
                (epoch + 1, 0)
            } else {
                (epoch, batch)
            };
            let state = RunState {
                config: config.clone(),
                step,
                epoch: next_epoch,
                batch: next_batch,
                backend_rng: (cx.hooks.get)(device).unwrap_or(rng),
                fingerprint: fp,
                optimizer: Default::default(),
                run_id: run_id.clone(),
            };
            let ck = snapshot::save(&model, &params, &optim, &state, &manifest.provenance)?;
            if periodic {
                let name = format!("step-{step:08}.safetensors");
                ck.write(&out.join("checkpoints").join(name))?;
                prune(
                    &out.join("checkpoints"),
                    config.keep_checkpoints,
                    run_id.as_ref(),
                )?;
            }
            if step == stop {
                let name = if stop == total_steps {
                    "final.safetensors"
                } else {
                    "last.safetensors"
                };
                ck.write(&out.join(name))?;
            }
            clock.charge(Phase::Checkpoint);
        }
    }
    trace.finish()?;
    clock.charge(Phase::Loop);
    progress.finish(&clock.times());
    let eval = evaluate::<B::InnerBackend, _, _>(&model.valid(), objective, data, device);
    let summary = RunSummary {
        steps: step,
        fingerprint: fingerprint(&read_params(&model)),
        test_loss: eval.loss,
        test_metrics: eval.metrics,
        confusion: eval.confusion,
    };
    write_json(&out.join("summary.json"), &summary)?;
    crate::report::write_report(out)?;
    Ok((model, summary))
}
