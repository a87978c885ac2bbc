//! The entry points of training: [`Trainer::fit`] (a [`TrainData`] and an objective),
//! [`Trainer::fit_task`] (your own items, batches and loss), [`Trainer::fit_plain`] (mode
//! `off`), and what they share up to the run loop: the record of the config, the run
//! directory and its lock.

use std::sync::Arc;

use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use ditto_data::Dataset;
use ditto_kernels::{Ditto, Inner};

use super::feed::Feed;
use super::fresh::{self, Replacement, refuse_existing_run};
use super::hooks::Hooks;
use super::objective_task::ObjectiveTask;
use super::run::{self, Ctx};
use super::{TrainBackend, Trained, Trainer, check_conformance, ditto_config, in_pool};
use crate::checkpoint::Checkpoint;
use crate::config::{CustomModelConfig, DataSource, Mode, ModelConfig, TrainConfig};
use crate::data::{TaskData, TrainData};
use crate::error::{Error, ErrorKind};
use crate::lock::RunLock;
use crate::model_record::{ModelOrigin, type_name_of};
use crate::objective::{Classification, Objective};
use crate::task::Task;

impl<O> Trainer<O> {
    /// Class: as [`Trainer`]. Trains `model` on `Autodiff<Ditto<I>>` (modes `run-to-run` and
    /// `canonical`) on `data`, from scratch or from the checkpoint being resumed.
    ///
    /// Errors: a Cargo feature of Burn that ditto refuses is on in this build
    /// ([`ErrorKind::Features`], `ditto_kernels::build_check`: autotune, fusion; burn-ndarray's
    /// `simd` is neutralised and, with [`Trainer::verbose`], noted on stderr); `DITTO_SIMD`
    /// holds a value that is not a SIMD level ([`ErrorKind::Environment`]); the config's
    /// mode is `off` (use [`Trainer::fit_plain`]); in canonical mode on a
    /// device other than the CPU, a device that fails the conformance probe
    /// (`ditto_kernels::conformance::probe`; with `strict = "warn"` a warning instead, with
    /// `"off"` no probe); an op that strict mode refuses ([`ErrorKind::Strict`], naming the
    /// op and the step: returned once the step's ops have run, before the optimiser update is
    /// kept or anything of the step is written); the objective's targets do not match the
    /// data's; the checkpoint does not fit the model; I/O.
    pub fn fit<I: Inner, M>(
        self,
        model: M,
        data: &TrainData,
        device: &I::Device,
    ) -> Result<Trained<M>, Error>
    where
        M: AutodiffModule<TrainBackend<I>>,
        O: Objective<TrainBackend<I>, M> + Objective<Ditto<I>, M::InnerModule>,
    {
        let want = <O as Objective<TrainBackend<I>, M>>::targets(&self.objective);
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
        let feed = data.feed(&self.config, in_memory_name(&self.config))?;
        let (objective, trainer) = self.take_objective();
        let task = ObjectiveTask {
            objective: &objective,
            data,
        };
        trainer.fit_feed::<I, M, _, _>(model, &task, &feed, device)
    }

    /// Class: Burn's own guarantees only. Trains `model` on the plain autodiff backend `B`
    /// without ditto's decorator (mode `off`, the baseline). Burn's global RNG drives dropout
    /// and cannot be saved: a resumed run is seeded but not identical.
    pub fn fit_plain<B, M>(
        self,
        model: M,
        data: &TrainData,
        device: &B::Device,
    ) -> Result<Trained<M>, Error>
    where
        B: AutodiffBackend,
        M: AutodiffModule<B>,
        O: Objective<B, M> + Objective<B::InnerBackend, M::InnerModule>,
    {
        if self.config.mode != Mode::Off {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!(
                    "config `mode`: `{}` needs ditto's decorator: use `Trainer::fit`",
                    self.config.mode
                ),
            ));
        }
        if let Some(steps) = self.trace_ops {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!(
                    "op tracing (steps {steps}) records the ops of ditto's decorator, which \
                     mode `off` does not use: trace a `run-to-run` or `canonical` run"
                ),
            ));
        }
        let want = <O as Objective<B, M>>::targets(&self.objective);
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
        let feed = data.feed(&self.config, in_memory_name(&self.config))?;
        let (objective, trainer) = self.take_objective();
        let hooks = Hooks {
            get: |_| None,
            set: |device, state| {
                let s = state.seed.derive_index(state.calls).stream().next_u64();
                <B as Backend>::seed(device, s);
            },
            trace_start: |_| {},
            trace_take: |_| Vec::new(),
            configure: None,
            refusal: |_| None,
            adapter: |_| None,
        };
        in_pool(move || {
            let task = ObjectiveTask {
                objective: &objective,
                data,
            };
            trainer.go::<B, M, _, _>(model, &task, &feed, device, hooks)
        })
    }

    /// The objective, and the trainer's other settings.
    fn take_objective(self) -> (O, Trainer<()>) {
        let Trainer {
            config,
            objective,
            out,
            resume,
            stop_at,
            verbose,
            trace_ops,
            overwrite,
            origin,
            init_rule,
            program,
        } = self;
        let trainer = Trainer {
            config,
            objective: (),
            out,
            resume,
            stop_at,
            verbose,
            trace_ops,
            overwrite,
            origin,
            init_rule,
            program,
        };
        (objective, trainer)
    }
}

impl Trainer<Classification> {
    /// Class: as [`Trainer`]. Trains `model` on `Autodiff<Ditto<I>>` (modes `run-to-run` and
    /// `canonical`) on your own items: `data`'s training set, batched and scored by `task` (see
    /// [`Task`]), from scratch or from the checkpoint being resumed. The general form of
    /// [`Trainer::fit`], whose `TrainData` and objective are one such task.
    ///
    /// Errors: those of [`Trainer::fit`], and `[parallel]` with a task without
    /// [`Task::item_loss`] or a model whose reductions over the batch ditto does not carry
    /// (the cut check of the first step).
    pub fn fit_task<I: Inner, M, D, T>(
        self,
        model: M,
        data: &TaskData<D>,
        task: &T,
        device: &I::Device,
    ) -> Result<Trained<M>, Error>
    where
        M: AutodiffModule<TrainBackend<I>>,
        D: Dataset<Item = <T as Task<TrainBackend<I>, M>>::Item> + 'static,
        T: Task<TrainBackend<I>, M>
            + Task<Ditto<I>, M::InnerModule, Item = <T as Task<TrainBackend<I>, M>>::Item>,
    {
        let feed = Feed {
            train: Arc::clone(&data.train),
            valid: data.valid.clone(),
            test: data.test.clone(),
            transform: data.transform.clone(),
            classes: None,
            source: DataSource::InMemory {
                name: data.name.clone(),
                content: data.content,
            },
        };
        self.take_objective()
            .1
            .fit_feed::<I, M, D, T>(model, task, &feed, device)
    }
}

impl Trainer<()> {
    /// What [`Trainer::fit`] and [`Trainer::fit_task`] share.
    fn fit_feed<I: Inner, M, D, T>(
        self,
        model: M,
        task: &T,
        feed: &Feed<D>,
        device: &I::Device,
    ) -> Result<Trained<M>, Error>
    where
        M: AutodiffModule<TrainBackend<I>>,
        D: Dataset<Item = <T as Task<TrainBackend<I>, M>>::Item> + 'static,
        T: Task<TrainBackend<I>, M>
            + Task<Ditto<I>, M::InnerModule, Item = <T as Task<TrainBackend<I>, M>>::Item>,
    {
        let build = ditto_kernels::build_check::<I>()
            .map_err(|e| Error::with_source(ErrorKind::Features, None, "build check", e))?;
        // An unknown `DITTO_SIMD` is refused here, before anything runs or is written.
        ditto_kernels::canonical::Isa::try_active()
            .map_err(|e| Error::with_source(ErrorKind::Environment, None, "DITTO_SIMD", e))?;
        if self.verbose && !build.is_clean() {
            eprintln!("note: {build}");
        }
        if self.config.mode == Mode::Off {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                "config `mode`: `off` trains on the plain backend: use `Trainer::fit_plain`",
            ));
        }
        // The decorator's state is per thread: configured here for the caller (who runs the
        // trained model afterwards) and again on the pool thread the loop runs on.
        let ditto = ditto_config(&self.config);
        Ditto::<I>::configure(device, ditto);
        in_pool(move || {
            // The loop's threads record refusals (returned as errors at the step's
            // boundaries); this one panics on them again once the loop is over.
            Ditto::<I>::configure(device, crate::refusal::recording(ditto));
            let _after = crate::refusal::PanicAgain::<I> {
                device,
                config: ditto,
            };
            if self.config.mode == Mode::Canonical {
                check_conformance::<I>(self.config.strict, device)?;
            }
            let hooks = Hooks {
                get: Ditto::<I>::rng_state,
                set: Ditto::<I>::set_rng_state,
                trace_start: Ditto::<I>::start_op_trace,
                trace_take: Ditto::<I>::take_op_trace,
                configure: Some((Ditto::<I>::configure, crate::refusal::recording(ditto))),
                refusal: Ditto::<I>::take_refusal,
                adapter: I::adapter,
            };
            self.go::<TrainBackend<I>, M, T, D>(model, task, feed, device, hooks)
        })
    }

    fn go<B, M, T, D>(
        self,
        model: M,
        task: &T,
        feed: &Feed<D>,
        device: &B::Device,
        hooks: Hooks<B::Device>,
    ) -> Result<Trained<M>, Error>
    where
        B: AutodiffBackend,
        M: AutodiffModule<B>,
        T: Task<B, M> + Task<B::InnerBackend, M::InnerModule, Item = <T as Task<B, M>>::Item>,
        D: Dataset<Item = <T as Task<B, M>>::Item> + 'static,
    {
        let fresh = self.resume.is_none();
        let config = recorded_config(
            &self.config,
            &feed.source,
            self.resume.as_ref(),
            self.origin,
            &type_name_of::<M>(),
        )?;
        // One writer per run directory (this also fails early on a directory that cannot be
        // created or written), and a fresh run never mixes with another: a directory holding
        // a run is refused before anything is written, or replaced as a whole (overwrite).
        let replacing = fresh && self.overwrite && fresh::holds_run(&self.out)?;
        let (lock, replacement) = if replacing {
            let (replacement, lock) = Replacement::start(&self.out)?;
            (lock, Some(replacement))
        } else {
            if fresh {
                refuse_existing_run(&self.out)?;
            }
            let lock = RunLock::acquire(&self.out)?;
            // A run may have been written between the check and the lock.
            if fresh && let Err(e) = refuse_existing_run(&self.out) {
                drop(lock);
                return Err(e);
            }
            (lock, None)
        };
        let took_over = replacement
            .as_ref()
            .and_then(Replacement::took_over)
            .or(lock.took_over());
        if let Some(pid) = took_over
            && self.verbose
        {
            eprintln!("note: took over the stale lock of process {pid}, which no longer runs");
        }
        let dir = replacement
            .as_ref()
            .map_or_else(|| self.out.clone(), |r| r.aside().to_path_buf());
        let cx = Ctx {
            config: &config,
            resume: self.resume.as_ref(),
            out: &dir,
            device,
            stop_at: self.stop_at,
            verbose: self.verbose,
            trace_ops: self.trace_ops,
            hooks,
            origin: self.origin,
            init_rule: self.init_rule.as_ref(),
            program: self.program.as_ref(),
        };
        match run::run::<B, M, T, D>(model, task, feed, &cx) {
            Ok((model, summary)) => {
                match replacement {
                    Some(r) => r.commit(lock)?,
                    None => drop(lock),
                }
                Ok(Trained {
                    model,
                    summary,
                    run_dir: self.out,
                })
            }
            Err(e) => {
                if let Some(r) = replacement {
                    r.abandon(lock);
                }
                Err(e)
            }
        }
    }
}

/// The name in-memory data is recorded under: the config's, else `unnamed`.
fn in_memory_name(config: &TrainConfig) -> &str {
    match &config.data.source {
        DataSource::InMemory { name, .. } => name.as_str(),
        _ => "unnamed",
    }
}

/// The config a run records: `config` with the data source `found` (each file's pin, or
/// in-memory data's content hash), and, for a model a program built (`origin`), `[model]`
/// as `kind = "custom"` named by the program's config or the model's type `model_type`: the
/// config's bundled-model fields did not build it. Refuses data that differs from a pin in
/// `config` or in the checkpoint being resumed.
fn recorded_config(
    config: &TrainConfig,
    found: &DataSource,
    resume: Option<&Checkpoint>,
    origin: ModelOrigin,
    model_type: &str,
) -> Result<TrainConfig, Error> {
    let mut recorded = vec![("the config", config.data.source.clone())];
    if let Some(ck) = resume {
        recorded.push(("the checkpoint", ck.run_state()?.config.data.source));
    }
    for (whose, source) in &recorded {
        let mut changes: Vec<String> = crate::data::pin_changes(source, found)
            .into_iter()
            .map(|(role, want, got)| {
                let got = got.map_or("no such file".to_owned(), |p| p.to_string());
                format!("data.{role}: recorded {want}, found {got}")
            })
            .collect();
        changes.extend(crate::data::class_name_change(source, found));
        if let (
            DataSource::InMemory {
                content: Some(want),
                ..
            },
            DataSource::InMemory {
                content: Some(got), ..
            },
        ) = (source, found)
            && want != got
        {
            changes.push(format!(
                "in-memory data: recorded content sha256 {want}, found {got}"
            ));
        }
        if !changes.is_empty() {
            return Err(Error::new(
                ErrorKind::DataChanged,
                None,
                format!(
                    "the data differs from what {whose} records: {}",
                    changes.join("; ")
                ),
            ));
        }
    }
    let mut out = config.clone();
    out.data.source = found.clone();
    // Recorded explicitly, so that the record keeps its meaning if the default changes.
    if let Some((_, scope)) = config.grad_clip() {
        out.grad_clip_scope = Some(scope);
    }
    if origin == ModelOrigin::Program {
        let name = match &config.model {
            ModelConfig::Custom(c) => c.name.clone(),
            _ => None,
        };
        out.model = ModelConfig::Custom(CustomModelConfig {
            name: Some(name.unwrap_or_else(|| model_type.to_owned())),
        });
    }
    Ok(out)
}
