//! The optimiser of a run, one type for every kind so the run loop is compiled once per
//! (backend, model) rather than once per optimiser too.

use std::collections::BTreeMap;

use burn::grad_clipping::GradientClippingConfig;
use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{
    Adam, AdamConfig, AdamW, AdamWConfig, GradientsParams, Optimizer, Sgd, SgdConfig,
    SimpleOptimizer,
};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;

use crate::checkpoint::TensorEntry;
use crate::config::{ClipScope, OptimizerConfig, TrainConfig};
use crate::error::{Error, ErrorKind};
use crate::params::param_ids;

/// Burn's optimiser for the configured kind.
pub(crate) enum AnyOptim<M: AutodiffModule<B>, B: AutodiffBackend> {
    Adam(OptimizerAdaptor<Adam, M, B>),
    AdamW(OptimizerAdaptor<AdamW, M, B>),
    Sgd(OptimizerAdaptor<Sgd<B::InnerBackend>, M, B>),
}

macro_rules! each {
    ($self:expr, $o:ident => $body:expr) => {
        match $self {
            AnyOptim::Adam($o) => $body,
            AnyOptim::AdamW($o) => $body,
            AnyOptim::Sgd($o) => $body,
        }
    };
}

impl<M: AutodiffModule<B>, B: AutodiffBackend> AnyOptim<M, B> {
    pub(crate) fn new(config: &TrainConfig) -> Self {
        // Burn clips each gradient on its own; the global norm is the loop's (`clip.rs`).
        let clip = match config.grad_clip() {
            Some((norm, ClipScope::PerTensor)) => Some(GradientClippingConfig::Norm(norm)),
            Some((_, ClipScope::Global)) | None => None,
        };
        match &config.optimizer {
            OptimizerConfig::Sgd(o) => {
                let momentum =
                    (o.momentum > 0.0).then(|| MomentumConfig::new().with_momentum(o.momentum));
                let decay = (o.weight_decay > 0.0).then(|| WeightDecayConfig::new(o.weight_decay));
                AnyOptim::Sgd(
                    SgdConfig::new()
                        .with_momentum(momentum)
                        .with_weight_decay(decay)
                        .with_gradient_clipping(clip)
                        .init(),
                )
            }
            OptimizerConfig::Adamw(o) => AnyOptim::AdamW(
                AdamWConfig::new()
                    .with_weight_decay(o.weight_decay)
                    .with_grad_clipping(clip)
                    .init(),
            ),
            OptimizerConfig::Adam(o) => {
                let decay = (o.weight_decay > 0.0).then(|| WeightDecayConfig::new(o.weight_decay));
                AnyOptim::Adam(
                    AdamConfig::new()
                        .with_grad_clipping(clip)
                        .with_weight_decay(decay)
                        .init(),
                )
            }
        }
    }

    pub(crate) fn step(&mut self, lr: f64, model: M, grads: GradientsParams) -> M {
        each!(self, o => o.step(lr, model, grads))
    }

    /// Adds the state of every parameter of `model` to `tensors` (as `optimizer.<path>.*`)
    /// and returns the skeletons by path (see `optim_state`).
    pub(crate) fn save(
        &self,
        model: &M,
        tensors: &mut BTreeMap<String, TensorEntry>,
    ) -> Result<BTreeMap<String, serde_json::Value>, Error> {
        each!(self, o => save_records::<B, M, _>(o, model, tensors))
    }

    /// Installs the state saved by [`AnyOptim::save`] (or, from older checkpoints, Burn's
    /// record blob per parameter).
    pub(crate) fn restore(
        self,
        model: &M,
        skeletons: &BTreeMap<String, serde_json::Value>,
        tensors: &BTreeMap<String, TensorEntry>,
        device: &B::Device,
    ) -> Result<Self, Error> {
        Ok(match self {
            AnyOptim::Adam(o) => AnyOptim::Adam(load(o, model, skeletons, tensors, device)?),
            AnyOptim::AdamW(o) => AnyOptim::AdamW(load(o, model, skeletons, tensors, device)?),
            AnyOptim::Sgd(o) => AnyOptim::Sgd(load(o, model, skeletons, tensors, device)?),
        })
    }
}

fn save_records<B, M, X>(
    optim: &OptimizerAdaptor<X, M, B>,
    model: &M,
    tensors: &mut BTreeMap<String, TensorEntry>,
) -> Result<BTreeMap<String, serde_json::Value>, Error>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    X: SimpleOptimizer<B::InnerBackend>,
{
    let mut record = optim.to_record();
    let mut skeletons = BTreeMap::new();
    for (path, id) in param_ids(model) {
        if let Some(r) = record.remove(&id) {
            let skeleton =
                crate::optim_state::split::<B, _>(r, &format!("optimizer.{path}"), tensors)?;
            skeletons.insert(path, skeleton);
        }
    }
    Ok(skeletons)
}

fn load<B, M, X>(
    optim: OptimizerAdaptor<X, M, B>,
    model: &M,
    skeletons: &BTreeMap<String, serde_json::Value>,
    tensors: &BTreeMap<String, TensorEntry>,
    device: &B::Device,
) -> Result<OptimizerAdaptor<X, M, B>, Error>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    X: SimpleOptimizer<B::InnerBackend>,
{
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let mut record = optim.to_record();
    record.clear();
    for (path, id) in param_ids(model) {
        if let Some(skeleton) = skeletons.get(&path) {
            let r = crate::optim_state::join::<B, _>(skeleton, tensors, device)?;
            record.insert(id, r);
        } else if let Some(blob) = tensors.get(&format!("optimizer.{path}")) {
            // Checkpoints written before the state was split into tensors.
            let r = Recorder::<B>::load(&recorder, blob.bytes.clone(), device).map_err(|e| {
                Error::with_source(
                    ErrorKind::Invalid,
                    None,
                    &format!("optimizer state of {path}"),
                    e,
                )
            })?;
            record.insert(id, r);
        }
    }
    Ok(optim.load_record(record))
}
