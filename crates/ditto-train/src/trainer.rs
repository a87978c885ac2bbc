//! The training loop: deterministic, checkpointed at any step, resumable with identical bits.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::backend::Autodiff;
use burn::grad_clipping::GradientClippingConfig;
use burn::module::AutodiffModule;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{
    AdamConfig, AdamWConfig, GradientsParams, Optimizer, SgdConfig, SimpleOptimizer,
};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use ditto_data::LoaderState;
use ditto_kernels::{Ditto, DittoConfig, Inner, KernelMode, RngState};
use ditto_rng::{BurnDefaults, Seed, reinit};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, TensorEntry};
use crate::config::TrainConfig;
use crate::data::{Batch, TrainData};
use crate::error::{Error, ErrorKind};
use crate::model::{Cnn, Mlp, TrainModel};
use crate::params::{ParamValues, fingerprint, param_ids, read_params, write_params};
use crate::progress::Progress;
use crate::provenance::Provenance;
use crate::schedule::learning_rate;

/// Class: portable. Where a run stands: the state document stored in every checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// The complete resolved config.
    pub config: TrainConfig,
    /// Optimiser steps done.
    pub step: usize,
    /// The epoch of the next batch.
    pub epoch: u64,
    /// The index of the next batch within `epoch`.
    pub batch: usize,
    /// The decorator's random state (dropout), to restore before the next step.
    pub backend_rng: RngState,
    /// The fingerprint of all parameters at `step`.
    pub fingerprint: String,
    /// Per parameter path: the optimiser state's skeleton (counters; its tensors are the
    /// checkpoint's `optimizer.<path>.*` tensors). Empty in checkpoints that hold the state
    /// as one Burn record blob per parameter (`optimizer.<path>`, read as well).
    #[serde(default)]
    pub optimizer: BTreeMap<String, serde_json::Value>,
}

/// Class: portable. What a finished run reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Optimiser steps done.
    pub steps: usize,
    /// Fingerprint of the final parameters (BLAKE3, see [`fingerprint`]).
    pub fingerprint: String,
    /// Mean cross-entropy on the test split.
    pub test_loss: f32,
    /// Accuracy on the test split.
    pub test_accuracy: f32,
    /// `confusion[true][predicted]` counts on the test split.
    pub confusion: Vec<Vec<u64>>,
}

/// Class: not applicable (options that never change results).
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Stop (after checkpointing) at this step even if the config says more: for tests and
    /// for `--max-steps` on resume.
    pub stop_at: Option<usize>,
    /// Report progress on stderr: a progress bar on a terminal, plain lines otherwise.
    pub verbose: bool,
}

/// The type the trainer runs: Burn's autodiff over ditto's decorator.
pub type TrainBackend<I> = Autodiff<Ditto<I>>;

/// Class: run-to-run (portable parts: init, data order, augmentation, dropout; `canonical`
/// mode: see `ditto_kernels`; `off` mode: Burn's own guarantees only). Trains the bundled
/// model `config.model` on `data`, from scratch or from `resume`, on backend `I`, writing
/// the run directory `out` (see the crate docs for its layout).
///
/// `config.mode` picks `Autodiff<Ditto<I>>` (`run-to-run`) or the plain `Autodiff<I>`
/// (`off`); `config.backend` is recorded but the caller chooses `I`.
pub fn train<I: Inner>(
    data: &TrainData,
    config: &TrainConfig,
    resume: Option<&Checkpoint>,
    out: &Path,
    device: &I::Device,
    opts: &RunOptions,
) -> Result<RunSummary, Error> {
    config.validate()?;
    let m = &config.model;
    if m.kind == "custom" {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            "config `model.kind`: `custom` models are trained with `train_model`",
        ));
    }
    let cnn_dims = match (m.kind.as_str(), data.dims()) {
        ("cnn", &[h, w]) => {
            if Cnn::<I>::flat_features(h, w, &m.channels).is_none() {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    None,
                    format!(
                        "config `model.channels`: {} poolings shrink {h}x{w} images to nothing",
                        m.channels.len()
                    ),
                ));
            }
            Some((h, w))
        }
        ("cnn", dims) => {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("config `model.kind`: a CNN needs 2-D images, samples are {dims:?}"),
            ));
        }
        _ => None,
    };
    macro_rules! go {
        ($b:ty, $hooks:expr) => {{
            let cx = Ctx {
                data,
                config,
                resume,
                out,
                device,
                opts,
                hooks: $hooks,
            };
            match cnn_dims {
                Some((h, w)) => {
                    let model = Cnn::<$b>::new(
                        h,
                        w,
                        &m.channels,
                        m.dense,
                        data.classes(),
                        m.dropout,
                        device,
                    );
                    with_optimizer::<$b, _>(model, &cx)
                }
                None => {
                    let model = Mlp::<$b>::new(
                        data.features(),
                        &m.hidden,
                        data.classes(),
                        m.dropout,
                        device,
                    );
                    with_optimizer::<$b, _>(model, &cx)
                }
            }
        }};
    }
    if config.mode == "off" {
        go!(Autodiff<I>, plain_hooks::<I>())
    } else {
        Ditto::<I>::configure(device, ditto_config(config));
        go!(TrainBackend<I>, ditto_hooks::<I>())
    }
}

/// Class: run-to-run (as [`train`]). Trains a model of your own on `Autodiff<Ditto<I>>`:
/// `model` is built by the caller (any [`TrainModel`] whose parameters
/// [`ditto_rng::BurnDefaults`] can initialise; the trainer re-initialises them from the seed),
/// everything else is as [`train`], including exact resume (the model must be built the same
/// way again). `config.model` is ignored (only recorded).
pub fn train_model<I: Inner, M>(
    model: M,
    data: &TrainData,
    config: &TrainConfig,
    resume: Option<&Checkpoint>,
    out: &Path,
    device: &I::Device,
    opts: &RunOptions,
) -> Result<RunSummary, Error>
where
    M: TrainModel<TrainBackend<I>> + AutodiffModule<TrainBackend<I>>,
    M::InnerModule: TrainModel<Ditto<I>>,
{
    config.validate()?;
    Ditto::<I>::configure(device, ditto_config(config));
    with_optimizer::<TrainBackend<I>, M>(
        model,
        &Ctx {
            data,
            config,
            resume,
            out,
            device,
            opts,
            hooks: ditto_hooks::<I>(),
        },
    )
}

/// The decorator's settings for a run.
fn ditto_config(config: &TrainConfig) -> DittoConfig {
    DittoConfig {
        strict: config.strict,
        kernels: if config.mode == "canonical" {
            KernelMode::Canonical
        } else {
            KernelMode::RunToRun
        },
    }
}

/// How the loop reads and installs the backend's random state (dropout).
struct Hooks<D> {
    get: fn(&D) -> Option<RngState>,
    set: fn(&D, RngState),
}

fn ditto_hooks<I: Inner>() -> Hooks<I::Device> {
    Hooks {
        get: Ditto::<I>::rng_state,
        set: Ditto::<I>::set_rng_state,
    }
}

/// `off` mode: Burn's global RNG cannot be read back; installing a state reseeds it from the
/// state (so a resumed run is seeded, but not identical to the uninterrupted one).
fn plain_hooks<I: Inner>() -> Hooks<I::Device> {
    Hooks {
        get: |_| None,
        set: |device, state| {
            let s = state.seed.derive_index(state.calls).stream().next_u64();
            <I as Backend>::seed(device, s);
        },
    }
}

/// Everything a run needs besides the model and the optimiser.
struct Ctx<'a, D> {
    data: &'a TrainData,
    config: &'a TrainConfig,
    resume: Option<&'a Checkpoint>,
    out: &'a Path,
    device: &'a D,
    opts: &'a RunOptions,
    hooks: Hooks<D>,
}

fn with_optimizer<B, M>(model: M, cx: &Ctx<'_, B::Device>) -> Result<RunSummary, Error>
where
    B: AutodiffBackend,
    M: TrainModel<B> + AutodiffModule<B>,
    M::InnerModule: TrainModel<B::InnerBackend>,
{
    let config = cx.config;
    let clip = config.grad_clip_norm.map(GradientClippingConfig::Norm);
    let o = &config.optimizer;
    let decay = (o.weight_decay > 0.0).then(|| WeightDecayConfig::new(o.weight_decay));
    match o.kind.as_str() {
        "sgd" => {
            let momentum =
                (o.momentum > 0.0).then(|| MomentumConfig::new().with_momentum(o.momentum));
            let c = SgdConfig::new()
                .with_momentum(momentum)
                .with_weight_decay(decay)
                .with_gradient_clipping(clip);
            run(model, c.init(), cx)
        }
        "adamw" => {
            let c = AdamWConfig::new()
                .with_weight_decay(o.weight_decay)
                .with_grad_clipping(clip);
            run(model, c.init(), cx)
        }
        _ => {
            let c = AdamConfig::new()
                .with_grad_clipping(clip)
                .with_weight_decay(decay);
            run(model, c.init(), cx)
        }
    }
}

fn run<B, M, X>(
    model: M,
    mut optim: OptimizerAdaptor<X, M, B>,
    cx: &Ctx<'_, B::Device>,
) -> Result<RunSummary, Error>
where
    B: AutodiffBackend,
    M: TrainModel<B> + AutodiffModule<B>,
    M::InnerModule: TrainModel<B::InnerBackend>,
    X: SimpleOptimizer<B::InnerBackend>,
{
    let &Ctx {
        data,
        config,
        resume,
        out,
        device,
        opts,
        ref hooks,
    } = cx;
    let root = Seed::from_u64(config.seed);
    fs::create_dir_all(out.join("checkpoints"))
        .map_err(|e| Error::io(out, "creating run directory", e))?;
    let mut model = reinit(model, &root.derive("init"), &BurnDefaults).map_err(|(_, e)| {
        Error::new(
            ErrorKind::Invalid,
            None,
            format!("initialising the model: {e}"),
        )
    })?;
    let mut loader = data.loader(config)?;
    let per_epoch = loader.batches_per_epoch();
    let total_steps = config.max_steps.unwrap_or(config.epochs * per_epoch);
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let (mut step, mut epoch, mut batch) = (0usize, 0u64, 0usize);
    let mut rng = RngState::new(root.derive("backend"));
    if let Some(ck) = resume {
        let state: RunState = serde_json::from_value(ck.state.clone())
            .map_err(|e| Error::new(ErrorKind::Invalid, None, format!("checkpoint state: {e}")))?;
        let mut values: BTreeMap<String, ParamValues> = BTreeMap::new();
        for (name, t) in &ck.tensors {
            if let Some(path) = name.strip_prefix("model.") {
                values.insert(path.to_owned(), (t.shape.clone(), t.to_f32()?));
            }
        }
        let (m, missing) = write_params(model, &values);
        if !missing.is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("checkpoint lacks parameters (or has other shapes): {missing:?}"),
            ));
        }
        model = m;
        let mut record = optim.to_record();
        record.clear();
        for (path, id) in param_ids(&model) {
            if let Some(skeleton) = state.optimizer.get(&path) {
                let r = crate::optim_state::join::<B, _>(skeleton, &ck.tensors, device)?;
                record.insert(id, r);
            } else if let Some(blob) = ck.tensors.get(&format!("optimizer.{path}")) {
                let r =
                    Recorder::<B>::load(&recorder, blob.bytes.clone(), device).map_err(|e| {
                        Error::new(
                            ErrorKind::Invalid,
                            None,
                            format!("optimizer state of {path}: {e}"),
                        )
                    })?;
                record.insert(id, r);
            }
        }
        optim = optim.load_record(record);
        (step, epoch, batch, rng) = (state.step, state.epoch, state.batch, state.backend_rng);
        if fingerprint(&read_params(&model)) != state.fingerprint {
            return Err(Error::new(
                ErrorKind::Corrupted,
                None,
                "restored parameters do not match the checkpoint's fingerprint",
            ));
        }
    }
    (hooks.set)(device, rng);

    write_text(&out.join("config.toml"), &config.to_toml())?;
    let manifest = Provenance::collect(&B::name(device), &format!("{device:?}"));
    write_text(
        &out.join("manifest.json"),
        &serde_json::to_string_pretty(&manifest).unwrap_or_default(),
    )?;
    let mut trace = Jsonl::open(&out.join("trace.jsonl"), step)?;
    let mut metrics = Jsonl::open(&out.join("metrics.jsonl"), step)?;

    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let stop = opts.stop_at.map_or(total_steps, |s| s.min(total_steps));
    let mut progress = Progress::new(opts.verbose, step, stop);
    let started = Instant::now();
    while step < stop {
        if batch >= per_epoch {
            (epoch, batch) = (epoch + 1, 0);
        }
        loader.restore(LoaderState { epoch, batch });
        let mut batches = loader.epoch();
        while step < stop {
            let Some(b) = batches.next() else { break };
            let b = data.to_batch(&b);
            let (x, y) = tensors::<B>(&b, data.features(), device);
            let logits = model.forward(x);
            let loss = loss_fn.forward(logits, y);
            let loss_value = scalar(loss.clone());
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let lr = learning_rate(&config.schedule, config.optimizer.lr, step, total_steps);
            model = optim.step(lr, model, grads);
            step += 1;
            batch += 1;
            let params = read_params(&model);
            let fp = fingerprint(&params);
            trace.line(&serde_json::json!({
                "step": step,
                "loss_bits": format!("{:#010x}", loss_value.to_bits()),
                "fingerprint": fp,
            }))?;
            if step % config.log_every == 0 || step == stop {
                metrics.line(&serde_json::json!({
                    "step": step, "epoch": epoch, "loss": loss_value, "lr": lr,
                    "elapsed_s": started.elapsed().as_secs_f64(),
                }))?;
                progress.log(step, epoch, loss_value, lr);
            }
            progress.tick(step, loss_value);
            if batch == per_epoch {
                let eval = evaluate::<B::InnerBackend, _>(&model.valid(), data, device);
                metrics.line(&serde_json::json!({
                    "step": step, "epoch": epoch + 1,
                    "test_loss": eval.loss, "test_accuracy": eval.accuracy,
                }))?;
                progress.epoch(epoch + 1, eval.accuracy);
            }
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
                backend_rng: (hooks.get)(device).unwrap_or(rng),
                fingerprint: fp,
                optimizer: BTreeMap::new(),
            };
            let periodic = config.checkpoint_every > 0 && step % config.checkpoint_every == 0;
            if periodic || step == stop {
                let ck = checkpoint(&model, &params, &optim, &state, &manifest)?;
                if periodic {
                    let name = format!("step-{step:08}.safetensors");
                    ck.write(&out.join("checkpoints").join(name))?;
                    prune(&out.join("checkpoints"), config.keep_checkpoints)?;
                }
                if step == stop {
                    ck.write(&out.join(if stop == total_steps {
                        "final.safetensors"
                    } else {
                        "last.safetensors"
                    }))?;
                }
            }
        }
    }
    progress.finish();
    let eval = evaluate::<B::InnerBackend, _>(&model.valid(), data, device);
    let summary = RunSummary {
        steps: step,
        fingerprint: fingerprint(&read_params(&model)),
        test_loss: eval.loss,
        test_accuracy: eval.accuracy,
        confusion: eval.confusion,
    };
    write_text(
        &out.join("summary.json"),
        &serde_json::to_string_pretty(&summary).unwrap_or_default(),
    )?;
    crate::report::write_report(out)?;
    Ok(summary)
}

fn scalar<B: Backend>(t: Tensor<B, 1>) -> f32 {
    t.into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .unwrap_or_default()
        .first()
        .copied()
        .unwrap_or(f32::NAN)
}

/// The optimiser state of each parameter goes in as f32 tensors `optimizer.<path>.<field>`
/// plus a skeleton in the state document (see `optim_state`), so the file's bytes are
/// canonical and every moment is readable from Python.
fn checkpoint<B, M, X>(
    model: &M,
    params: &BTreeMap<String, ParamValues>,
    optim: &OptimizerAdaptor<X, M, B>,
    state: &RunState,
    provenance: &Provenance,
) -> Result<Checkpoint, Error>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    X: SimpleOptimizer<B::InnerBackend>,
{
    let mut tensors = BTreeMap::new();
    for (path, (shape, values)) in params {
        tensors.insert(
            format!("model.{path}"),
            TensorEntry::f32(shape.clone(), values)?,
        );
    }
    let mut record = optim.to_record();
    let mut state = state.clone();
    for (path, id) in param_ids(model) {
        if let Some(r) = record.remove(&id) {
            let skeleton =
                crate::optim_state::split::<B, _>(r, &format!("optimizer.{path}"), &mut tensors)?;
            state.optimizer.insert(path, skeleton);
        }
    }
    Ok(Checkpoint {
        state: serde_json::to_value(&state).unwrap_or_default(),
        provenance: provenance.clone(),
        tensors,
    })
}

fn tensors<B: Backend>(
    b: &Batch,
    features: usize,
    device: &B::Device,
) -> (Tensor<B, 2>, Tensor<B, 1, Int>) {
    let x = Tensor::from_data(TensorData::new(b.x.clone(), [b.rows, features]), device);
    let y = Tensor::from_data(TensorData::new(b.y.clone(), [b.rows]), device);
    (x, y)
}

struct Eval {
    loss: f32,
    accuracy: f32,
    confusion: Vec<Vec<u64>>,
}

/// Test loss (mean cross-entropy) and accuracy, in chunks of 1000 samples whose loss sums are
/// added in order in f64, so the result does not depend on memory limits.
fn evaluate<B: Backend, M: TrainModel<B>>(model: &M, data: &TrainData, device: &B::Device) -> Eval {
    const CHUNK: usize = 1000;
    let classes = data.classes();
    let n = data.test_len();
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut confusion = vec![vec![0u64; classes]; classes];
    let (mut loss_sum, mut correct) = (0f64, 0usize);
    for lo in (0..n).step_by(CHUNK) {
        let test = data.test_batch(lo..(lo + CHUNK).min(n));
        let (x, y) = tensors::<B>(&test, data.features(), device);
        let logits = model.forward(x);
        let loss = scalar(loss_fn.forward(logits.clone(), y));
        loss_sum += f64::from(loss) * test.rows as f64;
        let pred: Vec<i64> = logits
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .to_vec()
            .unwrap_or_default();
        for (t, p) in test.y.iter().zip(&pred) {
            let (t, p) = (*t as usize, *p as usize);
            if t < classes && p < classes {
                confusion[t][p] += 1;
            }
            correct += usize::from(t == p);
        }
    }
    Eval {
        loss: (loss_sum / n.max(1) as f64) as f32,
        accuracy: correct as f32 / n.max(1) as f32,
        confusion,
    }
}

fn write_text(path: &Path, text: &str) -> Result<(), Error> {
    crate::checkpoint::write_atomic(path, text.as_bytes())
}

/// Keeps the `keep` newest `step-*.safetensors` (0: all).
fn prune(dir: &Path, keep: usize) -> Result<(), Error> {
    if keep == 0 {
        return Ok(());
    }
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| Error::io(dir, "listing checkpoints", e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("step-"))
        })
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(keep);
    for f in &files[..excess] {
        fs::remove_file(f).map_err(|e| Error::io(f, "removing old checkpoint", e))?;
    }
    Ok(())
}

/// An append-only JSON-lines file that, on resume, first drops lines past the resume step.
struct Jsonl {
    path: PathBuf,
    file: fs::File,
}

impl Jsonl {
    fn open(path: &Path, resume_step: usize) -> Result<Self, Error> {
        let kept: String = fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .ok()
                    .and_then(|v| v["step"].as_u64())
                    .is_some_and(|s| s as usize <= resume_step)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        crate::checkpoint::write_atomic(path, kept.as_bytes())?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, "opening", e))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    fn line(&mut self, v: &serde_json::Value) -> Result<(), Error> {
        writeln!(self.file, "{v}").map_err(|e| Error::io(&self.path, "appending", e))
    }
}
