//! The run loop, one straight line per step: the loader's batch of items -> the step's
//! gradients and update (`step.rs`) -> what the step leaves behind (`record.rs`); from a fresh
//! start or a checkpoint, then the test split once, when training has ended.

use std::path::Path;
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use ditto_data::{Dataset, LoaderState};
use ditto_kernels::RngState;
use ditto_rng::{param_infos, reinit};

use crate::checkpoint::Checkpoint;
use crate::config::TrainConfig;
use crate::error::{Error, ErrorKind};
use crate::manifest::{Manifest, Program};
use crate::model_record::{ModelOrigin, ModelRecord};
use crate::monitor::MonitorState;
use crate::op_trace::{OpTraceWriter, StepRange};
use crate::params::{fingerprint, read_params};
use crate::progress::Progress;
use crate::provenance::{BuildInfo, Provenance};
use crate::records::{MetricsLine, RunSummary, Split, TraceLine};
use crate::run_id::RunId;
use crate::schedule::learning_rate;
use crate::seeds::RunSeeds;
use crate::task::Task;
use crate::timing::{Clock, Phase};
use crate::trainer::eval::evaluate;
use crate::trainer::feed::Feed;
use crate::trainer::hooks::Hooks;
use crate::trainer::init_policy::{Policy, UserRule};
use crate::trainer::micro::Peers;
use crate::trainer::optim::AnyOptim;
use crate::trainer::record::{Flow, Position, Recorder, StepFacts, drop_stale_best, eval_line};
use crate::trainer::rundir::{Jsonl, write_json, write_text};
use crate::trainer::snapshot;
use crate::trainer::step::Stepper;
use crate::trainer::trace_writer::TraceWriter;

/// Everything a run needs besides the model, the task and the data.
pub(crate) struct Ctx<'a, D> {
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
    /// The user's init rule (`Trainer::init_rule`), if any.
    pub(crate) init_rule: Option<&'a UserRule>,
    /// The caller's project (`Trainer::program_info`).
    pub(crate) program: Option<&'a BuildInfo>,
}

/// `model` as the run starts from it: every parameter drawn from `root/init` by the user's
/// rule (or Burn's defaults), except those `[init] keep` (or the rule) keeps. Patterns of
/// `[init]` that match no parameter are refused (a typo would silently train another run).
fn start<B: AutodiffBackend, M: AutodiffModule<B>>(
    model: M,
    config: &TrainConfig,
    seeds: &RunSeeds,
    rule: Option<&UserRule>,
) -> Result<M, Error> {
    let paths: Vec<String> = param_infos::<B, M>(&model)
        .into_iter()
        .map(|p| p.path)
        .collect();
    for (field, patterns) in [("keep", &config.init.keep), ("frozen", &config.init.frozen)] {
        if let Some(p) = patterns
            .iter()
            .find(|p| !paths.iter().any(|path| p.matches(path)))
        {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!(
                    "config `init.{field}`: the pattern {:?} matches no parameter of the model \
                     (its parameters: {})",
                    p.as_str(),
                    crate::trainer::fresh::listed(&paths)
                ),
            ));
        }
    }
    let policy = Policy {
        config: &config.init,
        rule,
    };
    reinit(model, &seeds.init(), &policy).map_err(|(_, e)| {
        let hint = match e.kind() {
            ditto_rng::ErrorKind::NoRule => {
                ": give the trainer a rule for it (`Trainer::init_rule`) or keep the value it \
                 holds (`[init] keep`)"
            }
            _ => "",
        };
        Error::with_source(
            ErrorKind::Invalid,
            None,
            &format!("initialising the model{hint}"),
            e,
        )
    })
}

/// Trains `model` on `task` over `feed`'s data as `cx` says and returns it with the run's
/// summary.
pub(crate) fn run<B, M, T, D>(
    model: M,
    task: &T,
    feed: &Feed<D>,
    cx: &Ctx<'_, B::Device>,
) -> Result<(M, RunSummary), Error>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    T: Task<B, M> + Task<B::InnerBackend, M::InnerModule, Item = <T as Task<B, M>>::Item>,
    D: Dataset<Item = <T as Task<B, M>>::Item> + 'static,
{
    let &Ctx {
        config,
        resume,
        out,
        device,
        ..
    } = cx;
    if config.validation.decides() && feed.valid.is_none() {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            "config `validation`: early stopping (`patience`) and best checkpoints \
             (`keep_best`) watch the validation split, and this data has none: set \
             `validation.fraction` (data read from the config or `TrainData`) or give \
             `TaskData::valid`",
        ));
    }
    let seeds = RunSeeds::of(config);
    let model = start(model, config, &seeds, cx.init_rule)?;
    // Taken from the module itself, at initialisation (a function of the seed and of the
    // kept weights, so the same for a resumed run's process: checked below).
    let record = ModelRecord::of(&model, cx.origin);
    let start_fingerprint = fingerprint(&read_params(&model));
    if let Some(ck) = resume
        && let Some(want) = ck.run_state()?.start_fingerprint
        && want != start_fingerprint
    {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "the model starts from other weights than the run being resumed (starting \
                 fingerprint {start_fingerprint}, the run's {want}): a parameter `[init] keep` \
                 keeps holds other values (load the same pretrained weights), or the model or \
                 its init rule changed"
            ),
        ));
    }
    let mut model = model;
    let run_id = match resume {
        Some(ck) => ck.run_state()?.run_id,
        None => Some(RunId::derive(config)?),
    };
    let mut optim = AnyOptim::<M, B>::new(config);
    let mut loader = feed.loader(config)?;
    let per_epoch = loader.batches_per_epoch();
    let total_steps = config.max_steps.unwrap_or(config.epochs * per_epoch);
    let (mut step, mut epoch, mut batch) = (0usize, 0u64, 0usize);
    let mut rng = RngState::new(seeds.backend());
    let mut monitor = MonitorState::default();
    if let Some(ck) = resume {
        let (m, o, state) = snapshot::restore(ck, model, optim, device)?;
        // Range-checked before any arithmetic on it (step, epoch, batch, random calls).
        state.check_position(per_epoch)?;
        (model, optim) = (m, o);
        (step, epoch, batch, rng) = (state.step, state.epoch, state.batch, state.backend_rng);
        monitor = state.monitor;
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
    drop_stale_best(out, &monitor)?;
    let trace = TraceWriter::start(Jsonl::open::<TraceLine>(&out.join("trace.jsonl"), step)?)?;
    let metrics = Jsonl::open::<MetricsLine>(&out.join("metrics.jsonl"), step)?;

    // A run that early stopping ended is over: resuming it trains nothing more.
    let stop = match monitor.stopped_at {
        Some(at) => at.min(step),
        None => cx.stop_at.map_or(total_steps, |s| s.min(total_steps)),
    };
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
    let mut rec = Recorder {
        out,
        config,
        trace,
        metrics,
        progress: Progress::new(cx.verbose, step, stop),
        provenance: manifest.provenance.clone(),
        run_id,
        monitor,
        started: Instant::now(),
        start_fingerprint,
    };
    let mut stepper = Stepper {
        config,
        device,
        hooks: &cx.hooks,
        peers,
        cut_checked: false,
    };
    let mut clock = Clock::start();
    let mut finished = step >= total_steps || rec.monitor.stopped_at.is_some();
    'epochs: while step < stop {
        if batch >= per_epoch {
            (epoch, batch) = (epoch + 1, 0);
        }
        loader
            .restore(LoaderState { epoch, batch })
            .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "loader position", e))?;
        let mut batches = loader.epoch();
        while step < stop {
            let Some(b) = batches.next() else { break };
            let traced_ops = ops.as_ref().is_some_and(|(r, _)| r.contains(step + 1));
            if traced_ops {
                (cx.hooks.trace_start)(device);
            }
            // batch -> loss -> gradients -> update
            let (loss, grads) =
                stepper.gradients::<B, M, _>(&model, task, &b.items, rng, &mut clock)?;
            let lr = learning_rate(&config.schedule, config.optimizer.lr(), step, total_steps);
            model = stepper.update(model, &mut optim, grads, lr);
            crate::refusal::refused(cx.hooks.refusal, device, || format!("step {}", step + 1))?;
            clock.charge(Phase::Step);
            if let (true, Some((_, w))) = (traced_ops, ops.as_mut()) {
                w.step(step + 1, &(cx.hooks.trace_take)(device))?;
            }
            step += 1;
            batch += 1;
            // -> record
            let at = Position {
                step,
                epoch,
                batch,
                per_epoch,
                stop,
                total: total_steps,
            };
            let facts = StepFacts {
                loss,
                lr,
                rng: (cx.hooks.get)(device).unwrap_or(rng),
                refusal: cx.hooks.refusal,
            };
            let flow = rec.after_step::<B, M, T, D>(
                &at, &facts, &model, &optim, task, feed, device, &mut clock,
            )?;
            if step == total_steps || flow == Flow::Stop {
                finished = true;
            }
            if flow == Flow::Stop {
                break 'epochs;
            }
        }
    }
    rec.trace.finish()?;
    clock.charge(Phase::Loop);
    rec.progress.finish(&clock.times());
    // The test split, once, when training has ended.
    let test = match (&feed.test, finished) {
        (Some(set), true) => {
            let eval = evaluate::<B::InnerBackend, _, _, _>(
                &model.valid(),
                task,
                set.as_ref(),
                feed.classes,
                device,
            );
            crate::refusal::refused(cx.hooks.refusal, device, || {
                format!("test evaluation after step {step}")
            })?;
            rec.progress.evaluated(
                "test",
                step,
                eval.metrics.get("accuracy").copied(),
                eval.loss,
            );
            Some(eval)
        }
        _ => None,
    };
    if let Some(eval) = &test {
        let line = eval_line(
            step,
            epoch + u64::from(batch >= per_epoch),
            Split::Test,
            eval.clone(),
        );
        rec.metrics.line(&MetricsLine::Eval(line))?;
    }
    let summary = RunSummary {
        steps: step,
        fingerprint: fingerprint(&read_params(&model)),
        test_loss: test.as_ref().map(|e| e.loss),
        test_metrics: test.as_ref().map(|e| e.metrics.clone()).unwrap_or_default(),
        confusion: test.and_then(|e| e.confusion),
        best: rec.monitor.best,
        stopped_early_at: rec.monitor.stopped_at,
    };
    write_json(&out.join("summary.json"), &summary)?;
    crate::report::write_report(out)?;
    Ok((model, summary))
}
