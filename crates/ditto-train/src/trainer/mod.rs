//! The trainer: [`Trainer`] (a builder), the run loop, the run state saved and restored,
//! evaluation and the run directory, one file each (as burn-train's `learner/`).

mod batch;
mod bundled;
mod clip;
mod eval;
mod fresh;
#[cfg(test)]
mod legacy_tests;
mod micro;
mod optim;
mod run;
mod rundir;
mod snapshot;
mod trace_writer;

use std::path::{Path, PathBuf};

use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use ditto_kernels::{BackendKind, Ditto, DittoConfig, Inner, KernelMode, Strict};

use crate::checkpoint::Checkpoint;
use crate::config::{CustomModelConfig, DataSource, Mode, ModelConfig, TrainConfig};
use crate::data::TrainData;
use crate::error::{Error, ErrorKind};
use crate::lock::RunLock;
use crate::model_record::{ModelOrigin, type_name_of};
use crate::objective::{Classification, Objective};
use crate::op_trace::StepRange;
use crate::provenance::BuildInfo;
use crate::records::RunSummary;
pub use fresh::RUN_FILES;
use fresh::{Replacement, refuse_existing_run};
use run::{Ctx, Hooks};
pub use rundir::locate_checkpoint;

/// The backend the trainer runs a model on: Burn's autodiff over ditto's decorator.
pub type TrainBackend<I> = Autodiff<Ditto<I>>;

/// Class: run-to-run (portable parts: init, data order, augmentation, dropout; with
/// `mode = canonical` also the kernels, see `ditto_kernels`; `mode = off`: Burn's own
/// guarantees only). Trains a Burn model: yours (any [`crate::TrainModel`]) or a bundled one,
/// with a loss of your choice ([`Objective`]; [`Classification`] by default), writing a run
/// directory (config, manifest, trace, metrics, checkpoints, report) and giving the trained
/// model back.
///
/// ```no_run
/// # fn main() -> Result<(), ditto_train::Error> {
/// use burn::backend::NdArray;
/// use ditto_train::{Mlp, TrainConfig, TrainData, Trainer};
///
/// let config = TrainConfig::default(); // the bundled digits, Adam, 20 epochs
/// let data = TrainData::bundled(&config)?;
/// let device = Default::default();
/// let model = Mlp::new(data.features(), &[64], data.classes(), 0.1, &device);
/// let trained = Trainer::new(config)?
///     .out("runs/mine")
///     .fit::<NdArray, _>(model, &data, &device)?;
/// println!("{}", trained.summary.fingerprint);
/// let for_inference = trained.valid(); // Mlp<Ditto<NdArray>>, no autodiff
/// # Ok(()) }
/// ```
///
/// The model is re-initialised from the run's seed (`ditto_rng::reinit`), so how it was built
/// only has to be the same each time, not seeded. [`Trainer::resume`] continues a run from
/// its newest checkpoint with the same bits as an uninterrupted run.
#[derive(Clone, Debug)]
pub struct Trainer<O = Classification> {
    config: TrainConfig,
    objective: O,
    out: PathBuf,
    resume: Option<Checkpoint>,
    stop_at: Option<usize>,
    verbose: bool,
    trace_ops: Option<StepRange>,
    overwrite: bool,
    origin: ModelOrigin,
    program: Option<BuildInfo>,
}

/// Class: as the run. A finished run: the trained model, its summary and its directory.
#[derive(Clone, Debug)]
pub struct Trained<M> {
    /// The trained model (on the autodiff backend; [`Trained::valid`] for inference).
    pub model: M,
    /// What the run reports (`summary.json`).
    pub summary: RunSummary,
    /// The run directory.
    pub run_dir: PathBuf,
}

impl<M> Trained<M> {
    /// Class: as the run. The model without autodiff, for inference.
    pub fn valid<B: AutodiffBackend>(&self) -> M::InnerModule
    where
        M: AutodiffModule<B>,
    {
        self.model.valid()
    }
}

impl Trainer<Classification> {
    /// Class: portable. A trainer for `config` (validated), classifying, writing to
    /// `runs/run-seed<N>` unless [`Trainer::out`] says otherwise.
    pub fn new(config: TrainConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(Self {
            out: PathBuf::from(format!("runs/run-seed{}", config.seed)),
            config,
            objective: Classification,
            resume: None,
            stop_at: None,
            verbose: false,
            trace_ops: None,
            overwrite: false,
            origin: ModelOrigin::Program,
            program: None,
        })
    }

    /// Class: portable. A trainer that continues the run at `path` (a run directory: its
    /// newest checkpoint; or a checkpoint file) with the config stored in the checkpoint,
    /// writing into the checkpoint's run directory. Build the model and the data the same way
    /// as for the first run and call [`Trainer::fit`] (with the same objective).
    pub fn resume(path: impl AsRef<Path>) -> Result<Self, Error> {
        let (file, out) = locate_checkpoint(path.as_ref())?;
        let ck = Checkpoint::read(&file)?;
        let config = ck.run_state().map_err(|e| e.at(&file))?.config;
        let mut t = Self::new(config)?;
        t.out = out;
        t.resume = Some(ck);
        Ok(t)
    }
}

impl<O> Trainer<O> {
    /// Class: not applicable. The run directory.
    pub fn out(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out = dir.into();
        self
    }

    /// Class: not applicable. What to minimise (see [`Objective`]).
    pub fn objective<P>(self, objective: P) -> Trainer<P> {
        Trainer {
            config: self.config,
            objective,
            out: self.out,
            resume: self.resume,
            stop_at: self.stop_at,
            verbose: self.verbose,
            trace_ops: self.trace_ops,
            overwrite: self.overwrite,
            origin: self.origin,
            program: self.program,
        }
    }

    /// Class: not applicable (a record). The project whose program runs this trainer, as
    /// `ditto::build_info!()` ([`crate::build_info!`]) captured it in the caller's crate: the
    /// run records its name, version, source directory and `Cargo.lock` hash, and the commit
    /// and dirty flag of the git checkout holding that directory (`manifest.json`, every checkpoint, `ditto
    /// attest`). Without it the run records no project and no commit: ditto cannot tell
    /// where an installed program's source is.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), ditto_train::Error> {
    /// let trainer = ditto_train::Trainer::new(Default::default())?
    ///     .program_info(ditto_train::build_info!());
    /// # Ok(()) }
    /// ```
    pub fn program_info(mut self, info: BuildInfo) -> Self {
        self.program = Some(info);
        self
    }

    /// Class: not applicable. Whether a fresh run may replace a run already in its directory
    /// (default `false`: such a directory is refused with [`ErrorKind::RunExists`], naming
    /// what is there). With `true`, the new run is written into `.<name>.ditto-new` beside the
    /// directory and swapped in when it ends (or stops at [`Trainer::stop_at`]): until then
    /// the old run stays complete, and if training fails it is kept and the partial new one
    /// removed. A directory holding files ditto did not write is never replaced. Resuming
    /// ignores this setting.
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// Class: not applicable. Continue from `checkpoint` (read with [`Checkpoint::read`]);
    /// the trainer's config must be the checkpoint's for an exact resume.
    pub fn from_checkpoint(mut self, checkpoint: Checkpoint) -> Self {
        self.resume = Some(checkpoint);
        self
    }

    /// Class: not applicable. Stop (after writing `last.safetensors`) at this step, before the
    /// config's end; [`Trainer::resume`] continues.
    pub fn stop_at(mut self, step: usize) -> Self {
        self.stop_at = Some(step);
        self
    }

    /// Class: not applicable. Report progress on stderr (a bar on a terminal, lines
    /// otherwise).
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// Class: not applicable (a recorder; the run's results do not change). Record every
    /// top-level backend op of steps `steps` (batch upload, forward, backward, optimiser
    /// update) with its inputs' and outputs' hashes into `ops.jsonl`, and the outputs' f32
    /// bits into `ops.bin`, in the run directory (fresh files per process; see
    /// [`crate::OpTrace`]). Each recorded op reads its tensors back to the host: meant for a
    /// few steps. Needs ditto's decorator ([`Trainer::fit`]; [`Trainer::fit_plain`] refuses it).
    pub fn trace_ops(mut self, steps: StepRange) -> Self {
        self.trace_ops = Some(steps);
        self
    }

    /// Class: not applicable. The config.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Class: not applicable. The run directory.
    pub fn run_dir(&self) -> &Path {
        &self.out
    }

    /// Class: as [`Trainer`]. Trains `model` on `Autodiff<Ditto<I>>` (modes `run-to-run` and
    /// `canonical`) on `data`, from scratch or from the checkpoint being resumed.
    ///
    /// Errors: a Cargo feature of Burn that ditto refuses is on in this build
    /// ([`ErrorKind::Features`], `ditto_kernels::build_check`: autotune, fusion; burn-ndarray's
    /// `simd` is neutralised and, with [`Trainer::verbose`], noted on stderr); the config's
    /// mode is `off` (use [`Trainer::fit_plain`]); in canonical mode on a
    /// device other than the CPU, a device that fails the conformance probe
    /// (`ditto_kernels::conformance::probe`; with `strict = "warn"` a warning instead, with
    /// `"off"` no probe); the objective's targets do not match the data's; the checkpoint
    /// does not fit the model; I/O.
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
        let build = ditto_kernels::build_check::<I>()
            .map_err(|e| Error::with_source(ErrorKind::Features, None, "build check", e))?;
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
            Ditto::<I>::configure(device, ditto);
            if self.config.mode == Mode::Canonical {
                check_conformance::<I>(self.config.strict, device)?;
            }
            let hooks = Hooks {
                get: Ditto::<I>::rng_state,
                set: Ditto::<I>::set_rng_state,
                trace_start: Ditto::<I>::start_op_trace,
                trace_take: Ditto::<I>::take_op_trace,
                configure: Some((Ditto::<I>::configure, ditto)),
                adapter: I::adapter,
            };
            self.go::<TrainBackend<I>, M>(model, data, device, hooks)
        })
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
        let hooks = Hooks {
            get: |_| None,
            set: |device, state| {
                let s = state.seed.derive_index(state.calls).stream().next_u64();
                <B as Backend>::seed(device, s);
            },
            trace_start: |_| {},
            trace_take: |_| Vec::new(),
            configure: None,
            adapter: |_| None,
        };
        in_pool(move || self.go::<B, M>(model, data, device, hooks))
    }

    fn go<B, M>(
        self,
        model: M,
        data: &TrainData,
        device: &B::Device,
        hooks: Hooks<B::Device>,
    ) -> Result<Trained<M>, Error>
    where
        B: AutodiffBackend,
        M: AutodiffModule<B>,
        O: Objective<B, M> + Objective<B::InnerBackend, M::InnerModule>,
    {
        let fresh = self.resume.is_none();
        let config = recorded_config(
            &self.config,
            data,
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
            data,
            config: &config,
            resume: self.resume.as_ref(),
            out: &dir,
            device,
            stop_at: self.stop_at,
            verbose: self.verbose,
            trace_ops: self.trace_ops,
            hooks,
            origin: self.origin,
            program: self.program.as_ref(),
        };
        match run::run::<B, M, O>(model, &self.objective, &cx) {
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

/// Runs `f` on a thread of rayon's current pool (on this one if it is already a pool thread)
/// and returns its result. Burn's CPU ops start parallel work with `rayon::scope` / `join`:
/// from a thread outside the pool each such call hands a job to a pool thread and sleeps
/// until it is done (two context switches per op, about half of a small model's step); from
/// inside, the calling thread works too and the others join it. The thread does not change
/// the bits (every kernel is thread-count invariant or sequential).
fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

/// The config a run records: `config` with the data source `data` came from (each file's pin,
/// or in-memory data's content hash), and, for a model a program built (`origin`), `[model]`
/// as `kind = "custom"` named by the program's config or the model's type `model_type`: the
/// config's bundled-model fields did not build it. Refuses data that differs from a pin in
/// `config` or in the checkpoint being resumed.
fn recorded_config(
    config: &TrainConfig,
    data: &TrainData,
    resume: Option<&Checkpoint>,
    origin: ModelOrigin,
    model_type: &str,
) -> Result<TrainConfig, Error> {
    let name = match &config.data.source {
        DataSource::InMemory { name, .. } => name.as_str(),
        _ => "unnamed",
    };
    let found = data.source(name);
    let mut recorded = vec![("the config", config.data.source.clone())];
    if let Some(ck) = resume {
        recorded.push(("the checkpoint", ck.run_state()?.config.data.source));
    }
    for (whose, source) in &recorded {
        let mut changes: Vec<String> = crate::data::pin_changes(source, &found)
            .into_iter()
            .map(|(role, want, got)| {
                let got = got.map_or("no such file".to_owned(), |p| p.to_string());
                format!("data.{role}: recorded {want}, found {got}")
            })
            .collect();
        changes.extend(crate::data::class_name_change(source, &found));
        if let (
            DataSource::InMemory {
                content: Some(want),
                ..
            },
            DataSource::InMemory {
                content: Some(got), ..
            },
        ) = (source, &found)
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
    out.data.source = found;
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

/// Canonical mode forwards IEEE-exact ops to the device: refuse (strict `error`) or warn
/// (`warn`) when the device does not give the host's bits for them. The CPU backend is the
/// host: nothing to probe.
fn check_conformance<I: Inner>(strict: Strict, device: &I::Device) -> Result<(), Error> {
    if I::KIND == BackendKind::NdArray || strict == Strict::Off {
        return Ok(());
    }
    let report = ditto_kernels::conformance::probe::<I>(device);
    if report.passed() {
        return Ok(());
    }
    let shown: Vec<String> = report
        .failures
        .iter()
        .take(4)
        .map(|f| f.to_string())
        .collect();
    let msg = format!(
        "canonical mode on {}: the device fails the conformance probe ({} of {} results differ \
         from the host's bits): {}; see CANONICAL.md, \"Device conformance\"",
        I::name(device),
        report.failures.len(),
        report.checked,
        shown.join("; ")
    );
    if strict == Strict::Error {
        return Err(Error::new(ErrorKind::Invalid, None, msg));
    }
    eprintln!("warning: {msg}");
    Ok(())
}

/// The decorator's settings for a run.
fn ditto_config(config: &TrainConfig) -> DittoConfig {
    DittoConfig {
        strict: config.strict,
        kernels: match config.mode {
            Mode::Canonical => KernelMode::Canonical,
            Mode::RunToRun | Mode::Off => KernelMode::RunToRun,
        },
    }
}
