//! One step's arithmetic, in order: the step's items -> their batch -> the loss -> the
//! gradients (in one piece, or cut into micro-batches on peers, checked against one piece on
//! the first cut step) -> global-norm clipping -> the optimiser's update.

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use ditto_kernels::RngState;

use crate::config::{ClipScope, TrainConfig};
use crate::error::Error;
use crate::objective::scalar;
use crate::task::Task;
use crate::timing::{Clock, Phase};
use crate::trainer::clip::clip_global_norm;
use crate::trainer::cut_check;
use crate::trainer::hooks::Hooks;
use crate::trainer::init_policy::drop_frozen;
use crate::trainer::micro::{self, Peers};
use crate::trainer::optim::AnyOptim;

/// What a run's steps share.
pub(crate) struct Stepper<'a, D> {
    pub(crate) config: &'a TrainConfig,
    pub(crate) device: &'a D,
    pub(crate) hooks: &'a Hooks<D>,
    /// `[parallel]`'s peers; `None` for one batch per step.
    pub(crate) peers: Option<Peers<D>>,
    /// Whether this process has done its cut check (`cut_check.rs`).
    pub(crate) cut_checked: bool,
}

impl<D> Stepper<'_, D> {
    /// The loss and gradients of one step over `items`. `rng` is the backend's random state
    /// at the step's start (restored after a cut step as after one pass over the batch).
    pub(crate) fn gradients<B, M, T>(
        &mut self,
        model: &M,
        task: &T,
        items: &[T::Item],
        rng: RngState,
        clock: &mut Clock,
    ) -> Result<(f32, GradientsParams), Error>
    where
        B: AutodiffBackend<Device = D>,
        M: AutodiffModule<B>,
        T: Task<B, M>,
    {
        let device = self.device;
        let Some(peers) = &self.peers else {
            let batch = task.batch(items, device);
            clock.charge(Phase::Loop);
            let loss = task.loss(model, &batch);
            let value = scalar(loss.clone());
            return Ok((value, GradientsParams::from_grads(loss.backward(), model)));
        };
        clock.charge(Phase::Loop);
        let start = (self.hooks.get)(device).unwrap_or(rng);
        let hooks = (self.hooks.get, self.hooks.set, self.hooks.refusal);
        let out = micro::step::<B, M, T>(peers, false, model, task, items, device, start, hooks)?;
        if !self.cut_checked {
            let whole =
                micro::step::<B, M, T>(peers, true, model, task, items, device, start, hooks)?;
            cut_check::compare::<B, M>(
                model,
                &out.grads,
                &whole.grads,
                self.config.parallel.micro_batches(),
            )?;
            self.cut_checked = true;
        }
        (self.hooks.set)(device, out.rng);
        Ok((out.loss, out.grads))
    }

    /// Clips `grads` (`grad_clip_norm` with the global scope; per-tensor clipping is the
    /// optimiser's) and applies the optimiser's update at learning rate `lr`.
    pub(crate) fn update<B, M>(
        &self,
        model: M,
        optim: &mut AnyOptim<M, B>,
        grads: GradientsParams,
        lr: f64,
    ) -> M
    where
        B: AutodiffBackend<Device = D>,
        M: AutodiffModule<B>,
    {
        let grads = drop_frozen::<B, M>(&model, grads, &self.config.init);
        let grads = match self.config.grad_clip() {
            Some((max, ClipScope::Global)) => clip_global_norm::<B, M>(&model, grads, max).0,
            Some((_, ClipScope::PerTensor)) | None => grads,
        };
        optim.step(lr, model, grads)
    }
}
