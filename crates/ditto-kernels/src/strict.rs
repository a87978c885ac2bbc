//! Applying strict mode to an op classed non-deterministic: a warning, a panic, or a
//! [`Refusal`] recorded when the op cannot panic ([`OnRefusal::Record`]).

use crate::audit::{CanonicalClass, OpClass, op_class};
use crate::config::{KernelMode, OnRefusal, Strict};
use crate::context;
use crate::inner::Inner;
use crate::refusal::Refusal;

/// Refuses `op` as the device's config says: panics ([`OnRefusal::Panic`]) or records the
/// refusal on this thread, keeping the first one, and returns ([`OnRefusal::Record`]).
pub(crate) fn refuse<B: Inner>(device: &B::Device, refusal: Refusal) {
    let record = context::with::<B, _>(device, |c| {
        let record = c.config.on_refusal == OnRefusal::Record;
        if record && c.refused.is_none() {
            c.refused = Some(refusal.clone());
        }
        record
    });
    if !record {
        panic!(
            "ditto strict mode: {refusal}. In code, allow it with \
             `Ditto::configure(&device, DittoConfig {{ strict: Strict::Warn, ..Default::default() }})`."
        );
    }
}

/// Applies strict mode to `op` if the audit classes it non-deterministic on `B`.
pub(crate) fn check_op<B: Inner>(device: &B::Device, op: &'static str) {
    if let (OpClass::NonDeterministic, why) = op_class(op, B::KIND) {
        nondeterministic::<B>(device, op, why);
    }
}

/// Applies strict mode, in canonical mode only, to `op` of canonical-mode class `class`: an
/// op that is neither canonical nor exact on this backend is refused (`Strict::Error`),
/// warned about or let through.
pub(crate) fn check_canonical<B: Inner>(
    device: &B::Device,
    op: &'static str,
    class: CanonicalClass,
) {
    if class.allowed(B::KIND) {
        return;
    }
    let canonical = context::with::<B, _>(device, |c| c.config.kernels == KernelMode::Canonical);
    if canonical {
        nondeterministic::<B>(
            device,
            op,
            &format!(
                "canonical mode: it is classed {} (not canonical, not exact on every device), so \
                 its bits may differ between backends and machines",
                class.name()
            ),
        );
    }
}

/// Called before running `op` on a backend where it is non-deterministic (`why` says how).
fn nondeterministic<B: Inner>(device: &B::Device, op: &'static str, why: &str) {
    let action = context::with::<B, _>(device, |c| match c.config.strict {
        Strict::Off => None,
        Strict::Warn => c.warned.insert(op).then_some(Strict::Warn),
        Strict::Error => Some(Strict::Error),
    });
    match action {
        None => {}
        Some(Strict::Warn) => tracing::warn!(
            op,
            backend = %B::name(device),
            "ditto: `{op}` is non-deterministic on this backend ({why}); results may differ \
             between runs"
        ),
        Some(_) => refuse::<B>(
            device,
            Refusal {
                op,
                backend: B::name(device),
                why: format!(
                    "non-deterministic on this backend ({why}). Use a deterministic \
                     alternative (see crates/ditto-kernels/DETERMINISM.md), run this op on \
                     NdArray, or allow it with strict mode `warn` (or `off`), which gives up the \
                     bit-reproducibility of this run"
                ),
            },
        ),
    }
}
