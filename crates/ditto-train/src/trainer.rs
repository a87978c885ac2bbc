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
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use ditto_kernels::{Ditto, Inner, RngState};
use ditto_rng::{BurnDefaults, Seed, reinit};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, TensorEntry};
use crate::config::TrainConfig;
use crate::error::{Error, ErrorKind};
use crate::model::{Mlp, TrainModel};
use crate::params::{ParamValues, fingerprint, param_ids, read_params, write_params};
use crate::provenance::Provenance;
use crate::schedule::learning_rate;
use crate::source::{Batch, DataSource};

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
    /// Print progress lines to stderr.
    pub verbose: bool,
}

/// The type the trainer runs: Burn's autodiff over ditto's decorator.
pub type TrainBackend<I> = Autodiff<Ditto<I>>;

/// Class: run-to-run (portable parts: init, data order, dropout). Trains from scratch, or from
/// `resume`, writing the run directory `out` (see the crate docs for its layout).
pub fn train<I: Inner>(
    data: &dyn DataSource,
    config: &TrainConfig,
    resume: Option<&Checkpoint>,
    out: &Path,
    device: &I::Device,
    opts: &RunOptions,
) -> Result<RunSummary, Error> {
    config.validate()?;
    let total_steps = total_steps(config, data);
    match config.optimizer.kind.as_str() {
        "sgd" => {
            let mut c = SgdConfig::new();
            if config.optimizer.momentum > 0.0 {
                c = c.with_momentum(Some(
                    MomentumConfig::new().with_momentum(config.optimizer.momentum),
                ));
            }
            if config.optimizer.weight_decay > 0.0 {
                c = c
                    .with_weight_decay(Some(WeightDecayConfig::new(config.optimizer.weight_decay)));
            }
            let c = c.with_gradient_clipping(clip(config));
            run::<I, _>(
                data,
                config,
                resume,
                out,
                device,
                opts,
                c.init(),
                total_steps,
            )
        }
        "adamw" => {
            let c = AdamWConfig::new()
                .with_weight_decay(config.optimizer.weight_decay)
                .with_grad_clipping(clip(config));
            run::<I, _>(
                data,
                config,
                resume,
                out,
                device,
                opts,
                c.init(),
                total_steps,
            )
        }
        _ => {
            let mut c = AdamConfig::new().with_grad_clipping(clip(config));
            if config.optimizer.weight_decay > 0.0 {
                c = c
                    .with_weight_decay(Some(WeightDecayConfig::new(config.optimizer.weight_decay)));
            }
            run::<I, _>(
                data,
                config,
                resume,
                out,
                device,
                opts,
                c.init(),
                total_steps,
            )
        }
    }
}

fn clip(config: &TrainConfig) -> Option<GradientClippingConfig> {
    config.grad_clip_norm.map(GradientClippingConfig::Norm)
}

fn total_steps(config: &TrainConfig, data: &dyn DataSource) -> usize {
    let by_epochs = config.epochs * data.batches_per_epoch();
    config
        .max_steps
        .map_or(by_epochs, |m| m.min(by_epochs.max(m)))
}

#[allow(clippy::too_many_arguments)]
fn run<I: Inner, X>(
    data: &dyn DataSource,
    config: &TrainConfig,
    resume: Option<&Checkpoint>,
    out: &Path,
    device: &I::Device,
    opts: &RunOptions,
    mut optim: OptimizerAdaptor<X, Mlp<TrainBackend<I>>, TrainBackend<I>>,
    total_steps: usize,
) -> Result<RunSummary, Error>
where
    X: SimpleOptimizer<Ditto<I>>,
{
    type B<I> = TrainBackend<I>;
    let root = Seed::from_u64(config.seed);
    fs::create_dir_all(out.join("checkpoints"))
        .map_err(|e| Error::io(out, "creating run directory", e))?;
    let model = Mlp::<B<I>>::new(
        data.features(),
        &config.model.hidden,
        data.classes(),
        config.model.dropout,
        device,
    );
    let mut model = reinit(model, &root.derive("init"), &BurnDefaults).map_err(|(_, e)| {
        Error::new(
            ErrorKind::Invalid,
            None,
            format!("initialising the model: {e}"),
        )
    })?;
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
            if let Some(blob) = ck.tensors.get(&format!("optimizer.{path}")) {
                let r =
                    Recorder::<B<I>>::load(&recorder, blob.bytes.clone(), device).map_err(|e| {
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
    Ditto::<I>::set_rng_state(device, rng);

    write_text(&out.join("config.toml"), &config.to_toml())?;
    let manifest =
        Provenance::collect(&<Ditto<I> as Backend>::name(device), &format!("{device:?}"));
    write_text(
        &out.join("manifest.json"),
        &serde_json::to_string_pretty(&manifest).unwrap_or_default(),
    )?;
    let mut trace = Jsonl::open(&out.join("trace.jsonl"), step)?;
    let mut metrics = Jsonl::open(&out.join("metrics.jsonl"), step)?;

    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let stop = opts.stop_at.map_or(total_steps, |s| s.min(total_steps));
    let per_epoch = data.batches_per_epoch();
    let started = Instant::now();
    while step < stop {
        let b = data.train_batch(epoch, batch);
        let (x, y) = tensors::<B<I>>(&b, data.features(), device);
        let logits = model.forward(x);
        let loss = loss_fn.forward(logits, y);
        let loss_value: f32 = loss
            .clone()
            .into_data()
            .convert::<f32>()
            .to_vec::<f32>()
            .unwrap_or_default()[0];
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let lr = learning_rate(&config.schedule, config.optimizer.lr, step, total_steps);
        model = optim.step(lr, model, grads);
        step += 1;
        batch += 1;
        if batch == per_epoch {
            batch = 0;
            epoch += 1;
        }
        let params = read_params(&model);
        let fp = fingerprint(&params);
        trace.line(
            step,
            &serde_json::json!({
                "step": step,
                "loss_bits": format!("{:#010x}", loss_value.to_bits()),
                "fingerprint": fp,
            }),
        )?;
        if step % config.log_every == 0 || step == stop {
            metrics.line(
                step,
                &serde_json::json!({
                    "step": step, "epoch": epoch, "loss": loss_value, "lr": lr,
                    "elapsed_s": started.elapsed().as_secs_f64(),
                }),
            )?;
            if opts.verbose {
                eprintln!(
                    "step {step:>6}/{stop} epoch {epoch:>3} loss {loss_value:.5} lr {lr:.2e}"
                );
            }
        }
        let state = RunState {
            config: config.clone(),
            step,
            epoch,
            batch,
            backend_rng: Ditto::<I>::rng_state(device).unwrap_or(rng),
            fingerprint: fp,
        };
        if config.checkpoint_every > 0 && step % config.checkpoint_every == 0 {
            let name = format!("step-{step:08}.safetensors");
            let ck = checkpoint::<I, X>(&model, &params, &optim, &recorder, &state, &manifest)?;
            ck.write(&out.join("checkpoints").join(name))?;
            prune(&out.join("checkpoints"), config.keep_checkpoints)?;
        }
        if step == stop {
            let ck = checkpoint::<I, X>(&model, &params, &optim, &recorder, &state, &manifest)?;
            ck.write(&out.join(if stop == total_steps {
                "final.safetensors"
            } else {
                "last.safetensors"
            }))?;
        }
    }
    let summary = evaluate::<I>(&model.valid(), data, device, step);
    write_text(
        &out.join("summary.json"),
        &serde_json::to_string_pretty(&summary).unwrap_or_default(),
    )?;
    Ok(summary)
}

/// The optimiser state goes in one blob per parameter (`optimizer.<path>`, Burn's record of
/// that parameter's state, bincode), in path order, so the file's bytes are canonical.
fn checkpoint<I: Inner, X>(
    model: &Mlp<TrainBackend<I>>,
    params: &BTreeMap<String, ParamValues>,
    optim: &OptimizerAdaptor<X, Mlp<TrainBackend<I>>, TrainBackend<I>>,
    recorder: &BinBytesRecorder<FullPrecisionSettings>,
    state: &RunState,
    provenance: &Provenance,
) -> Result<Checkpoint, Error>
where
    X: SimpleOptimizer<Ditto<I>>,
{
    let mut tensors = BTreeMap::new();
    for (path, (shape, values)) in params {
        tensors.insert(
            format!("model.{path}"),
            TensorEntry::f32(shape.clone(), values)?,
        );
    }
    let mut record = optim.to_record();
    for (path, id) in param_ids(model) {
        if let Some(r) = record.remove(&id) {
            let blob = Recorder::<TrainBackend<I>>::record(recorder, r, ()).map_err(|e| {
                Error::new(
                    ErrorKind::Invalid,
                    None,
                    format!("optimizer state of {path}: {e}"),
                )
            })?;
            tensors.insert(format!("optimizer.{path}"), TensorEntry::bytes(blob));
        }
    }
    Ok(Checkpoint {
        state: serde_json::to_value(state).unwrap_or_default(),
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

fn evaluate<I: Inner>(
    model: &Mlp<Ditto<I>>,
    data: &dyn DataSource,
    device: &I::Device,
    steps: usize,
) -> RunSummary {
    let test = data.test_set();
    let (x, y) = tensors::<Ditto<I>>(&test, data.features(), device);
    let logits = model.forward(x);
    let loss = CrossEntropyLossConfig::new()
        .init(device)
        .forward(logits.clone(), y);
    let pred: Vec<i64> = logits
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .to_vec()
        .unwrap_or_default();
    let classes = data.classes();
    let mut confusion = vec![vec![0u64; classes]; classes];
    let mut correct = 0usize;
    for (t, p) in test.y.iter().zip(&pred) {
        let (t, p) = (*t as usize, *p as usize);
        if t < classes && p < classes {
            confusion[t][p] += 1;
        }
        correct += usize::from(t == p);
    }
    RunSummary {
        steps,
        fingerprint: fingerprint(&read_params(model)),
        test_loss: loss
            .into_data()
            .convert::<f32>()
            .to_vec::<f32>()
            .unwrap_or_default()[0],
        test_accuracy: correct as f32 / test.rows.max(1) as f32,
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

    fn line(&mut self, _step: usize, v: &serde_json::Value) -> Result<(), Error> {
        writeln!(self.file, "{v}").map_err(|e| Error::io(&self.path, "appending", e))
    }
}
