//! What the run loop needs from the backend beyond Burn's API: its random state, the op
//! trace, the decorator's config on peer threads, strict mode's refusals and the GPU adapter,
//! as plain functions (set by `fit.rs`, `None`/no-ops without ditto's decorator).

use ditto_kernels::{DittoConfig, GpuAdapter, OpRecord, Refusal, RngState};

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
    /// Takes the first op strict mode refused on this thread (`Ditto::take_refusal`).
    pub(crate) refusal: fn(&D) -> Option<Refusal>,
    /// The device's GPU adapter, for the provenance (`Inner::adapter`).
    pub(crate) adapter: fn(&D) -> Option<GpuAdapter>,
}
