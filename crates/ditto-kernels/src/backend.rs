//! `Ditto<B>`: the backend decorator.

use core::marker::PhantomData;

use burn_backend::{Backend, BackendTypes, DTypeUsageSet, ExecutionError, TensorData};
use burn_std::DType;

use crate::config::DittoConfig;
use crate::context;
use crate::inner::Inner;
use crate::refusal::Refusal;
use crate::rng_state::RngState;

/// Class: run-to-run (each op keeps the class given for it and for `B` in `DETERMINISM.md`;
/// random ops are portable). A Burn backend that wraps `B` and removes its sources of
/// non-reproducibility.
///
/// It forwards every op to `B` except:
/// * random ops (`float_random`, `int_random`, so `Tensor::random`, dropout and Burn's own
///   initialisers), which draw on the host from a ditto-rng stream owned by the device (see
///   [`RngState`]) and upload: the same seed gives the same random tensors and dropout masks
///   on every backend;
/// * full reductions `float_sum` and `float_mean`, which go through the backend's
///   `sum_dim` on the flattened tensor (Wgpu's own full sum uses atomic adds);
/// * ops classed non-deterministic for `B`, which strict mode ([`DittoConfig`]) refuses.
///
/// It uses `B`'s tensor primitives and devices as they are, so wrapping costs one inlined call.
///
/// ```
/// use burn::backend::{Autodiff, NdArray};
/// use burn::tensor::{Distribution, Tensor, backend::Backend};
/// use ditto_kernels::Ditto;
///
/// type B = Autodiff<Ditto<NdArray>>;
/// let device = Default::default();
/// B::seed(&device, 42); // installs ditto's stream for this device on this thread
/// let x = Tensor::<B, 2>::random([2, 3], Distribution::Default, &device);
/// B::seed(&device, 42);
/// let y = Tensor::<B, 2>::random([2, 3], Distribution::Default, &device);
/// assert_eq!(x.into_data(), y.into_data());
/// ```
#[derive(Debug)]
pub struct Ditto<B> {
    _inner: PhantomData<B>,
}

impl<B> Clone for Ditto<B> {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl<B> Default for Ditto<B> {
    fn default() -> Self {
        Self {
            _inner: PhantomData,
        }
    }
}

impl<B: Inner> Ditto<B> {
    /// Class: portable. Installs `state` as the device's random state on this thread.
    ///
    /// State is per (device, thread): set it on the thread that runs the model.
    pub fn set_rng_state(device: &B::Device, state: RngState) {
        context::with::<B, _>(device, |c| c.rng = Some(state));
    }

    /// Class: portable. The device's random state on this thread, if one was installed (by
    /// [`Ditto::set_rng_state`] or `Backend::seed`). Save it in checkpoints.
    pub fn rng_state(device: &B::Device) -> Option<RngState> {
        context::with::<B, _>(device, |c| c.rng)
    }

    /// Class: not applicable (configuration). Sets the decorator's config for the device on
    /// this thread (and forgets its warnings and any refusal not yet taken).
    pub fn configure(device: &B::Device, config: DittoConfig) {
        context::with::<B, _>(device, |c| {
            c.config = config;
            c.warned.clear();
            c.refused = None;
        });
    }

    /// Class: not applicable. The first op strict mode refused on this thread since the last
    /// call (or since [`Ditto::configure`]), when the config records refusals
    /// ([`crate::OnRefusal::Record`]); `None` when nothing was refused. Call it after a
    /// group of ops (a training step): their results are not to be used when it is `Some`.
    pub fn take_refusal(device: &B::Device) -> Option<Refusal> {
        context::with::<B, _>(device, |c| c.refused.take())
    }

    /// Class: portable (a recorder). Starts the op-level trace on this thread: every top-level
    /// `Ditto<B>` op that runs from now on is recorded with the shapes and bit hashes of its
    /// tensor inputs and outputs (and the bits of float outputs), until
    /// [`Ditto::take_op_trace`]. Each op reads its tensors back to the host: use it for a few
    /// steps. Ops of every device of `B` on this thread are recorded (`device` names the one
    /// the caller trains on; a trace started for another backend type is replaced).
    pub fn start_op_trace(device: &B::Device) {
        let _ = device;
        crate::trace::start::<B>();
    }

    /// Class: portable (a recorder). Stops the op-level trace started by
    /// [`Ditto::start_op_trace`] on this thread and returns it (empty if none was started
    /// for `B`). Compare two traces with [`crate::compare_traces`].
    pub fn take_op_trace(device: &B::Device) -> Vec<crate::OpRecord> {
        let _ = device;
        crate::trace::take::<B>()
    }

    /// Class: not applicable (configuration). The device's config on this thread (the
    /// default, `Strict::Error`, when none was set).
    pub fn config(device: &B::Device) -> DittoConfig {
        context::with::<B, _>(device, |c| c.config)
    }
}

impl<B: Inner> BackendTypes for Ditto<B> {
    type Device = B::Device;
    type FloatTensorPrimitive = B::FloatTensorPrimitive;
    type FloatElem = B::FloatElem;
    type IntTensorPrimitive = B::IntTensorPrimitive;
    type IntElem = B::IntElem;
    type BoolTensorPrimitive = B::BoolTensorPrimitive;
    type BoolElem = B::BoolElem;
    type QuantizedTensorPrimitive = B::QuantizedTensorPrimitive;
}

impl<B: Inner> Backend for Ditto<B> {
    fn ad_enabled(device: &Self::Device) -> bool {
        B::ad_enabled(device)
    }

    fn memory_persistent_allocations<
        Output: Send,
        Input: Send,
        Func: Fn(Input) -> Output + Send,
    >(
        device: &Self::Device,
        input: Input,
        func: Func,
    ) -> Output {
        B::memory_persistent_allocations(device, input, func)
    }

    fn memory_cleanup(device: &Self::Device) {
        B::memory_cleanup(device)
    }

    fn name(device: &Self::Device) -> String {
        format!("ditto<{}>", B::name(device))
    }

    /// Installs [`RngState::from_u64`]`(seed)` for the device on this thread (Burn's global
    /// backend RNG is not touched).
    fn seed(device: &Self::Device, seed: u64) {
        Self::set_rng_state(device, RngState::from_u64(seed));
    }

    fn sync(device: &Self::Device) -> Result<(), ExecutionError> {
        B::sync(device)
    }

    fn staging<'a, Iter>(data: Iter, device: &Self::Device)
    where
        Iter: Iterator<Item = &'a mut TensorData>,
    {
        B::staging(data, device)
    }

    fn supports_dtype(device: &Self::Device, dtype: DType) -> bool {
        B::supports_dtype(device, dtype)
    }

    fn dtype_usage(device: &Self::Device, dtype: DType) -> DTypeUsageSet {
        B::dtype_usage(device, dtype)
    }

    fn device_count(type_id: u16) -> usize {
        B::device_count(type_id)
    }
}
