//! The trainer: [`Trainer`] (a builder), the run loop, the run state saved and restored,
//! evaluation and the run directory, one file each (as burn-train's `learner/`).

mod batch;
mod bundled;
mod clip;
mod cut_check;
mod eval;
mod feed;
mod fit;
mod fresh;
mod hooks;
mod init_policy;
#[cfg(test)]
mod legacy_tests;
mod micro;
mod objective_task;
mod optim;
mod record;
mod run;
mod rundir;
mod snapshot;
mod step;
mod trace_writer;

use std::path::{Path, PathBuf};

use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use ditto_kernels::{BackendKind, Ditto, DittoConfig, Inner, KernelMode, Strict};

use crate::checkpoint::Checkpoint;
use crate::config::{Mode, TrainConfig};
use crate::error::{Error, ErrorKind};
use crate::model_record::ModelOrigin;
use crate::objective::Classification;
use crate::op_trace::StepRange;
use crate::provenance::BuildInfo;
use crate::records::RunSummary;
pub(crate) use feed::loader;
pub use fresh::RUN_FILES;
pub use rundir::{locate_checkpoint, locate_checkpoint_with};

/// The backend the trainer runs a model on: Burn's autodiff over ditto's decorator.
pub type TrainBackend<I> = Autodiff<Ditto<I>>;

/// Class: run-to-run (portable parts: init, data order, augmentation, dropout; with
/// `mode = canonical` also the kernels, see `ditto_kernels`; `mode = off`: Burn's own
/// guarantees only). Trains a Burn model: yours (any [`crate::TrainModel`]) or a bundled one,
/// with a loss of your choice ([`crate::Objective`]; [`Classification`] by default), writing a
/// run directory (config, manifest, trace, metrics, checkpoints, report) and giving the
/// trained model back.
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
    init_rule: Option<init_policy::UserRule>,
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
            init_rule: None,
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

    /// Class: not applicable. What to minimise (see [`crate::Objective`]).
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
            init_rule: self.init_rule,
            program: self.program,
        }
    }

    /// Class: not applicable (a record). The project whose program runs this trainer, as
    /// `ditto::build_info!()` ([`crate::build_info!`]) captured it in the caller's crate: the
    /// run records its name, version, source directory and `Cargo.lock` hash, and the commit
    /// and dirty flag of the git checkout holding that directory (`manifest.json`, every
    /// checkpoint, `ditto attest`). Without it the run records no project and no commit: ditto
    /// cannot tell where an installed program's source is.
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

    /// Class: portable (the rule is a function of each parameter's path and shape). The rule
    /// that chooses the initialiser of every parameter ditto draws from the seed (those
    /// `[init] keep` does not keep), instead of [`ditto_rng::BurnDefaults`]: for a model with
    /// parameters Burn's defaults do not know (a raw `Param`, a module of your own). A closure
    /// `|p: &ParamInfo, siblings: &[ParamInfo]| -> Result<(Init, Fans), _>` is a rule; wrap
    /// `BurnDefaults` in it for the other parameters. A rule may also keep parameters
    /// ([`ditto_rng::InitRule::keeps`], e.g. [`ditto_rng::KeepPaths`]). The rule is not
    /// recorded: a run it initialised is reproduced by rerunning the program.
    pub fn init_rule(mut self, rule: impl ditto_rng::InitRule + Send + Sync + 'static) -> Self {
        self.init_rule = Some(init_policy::UserRule(std::sync::Arc::new(rule)));
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
pub(crate) fn ditto_config(config: &TrainConfig) -> DittoConfig {
    DittoConfig {
        strict: config.strict,
        kernels: match config.mode {
            Mode::Canonical => KernelMode::Canonical,
            Mode::RunToRun | Mode::Off => KernelMode::RunToRun,
        },
        ..DittoConfig::default()
    }
}
