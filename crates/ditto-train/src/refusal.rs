//! Strict mode's refusals as errors: an op that strict mode refuses cannot return an error
//! through Burn's backend traits, so on the threads the trainer runs ops on it records itself
//! (`ditto_kernels::OnRefusal::Record`), and the loop turns the record into
//! [`ErrorKind::Strict`] at the step's boundaries ([`refused`]), before anything of the step
//! is kept or written. Outside the loop a refusal panics as before ([`PanicAgain`]).

use ditto_kernels::{Ditto, DittoConfig, Inner, OnRefusal, Refusal};

use crate::error::{Error, ErrorKind};

/// [`ErrorKind::Strict`] if strict mode refused an op on this thread since the last check
/// (`take` is `Ditto::take_refusal`): called at the step's boundaries (`when` names the step
/// and its ops), before anything of the step is kept or written.
pub(crate) fn refused<D>(
    take: fn(&D) -> Option<Refusal>,
    device: &D,
    when: impl FnOnce() -> String,
) -> Result<(), Error> {
    match take(device) {
        None => Ok(()),
        Some(r) => Err(Error::new(
            ErrorKind::Strict,
            None,
            format!(
                "{}: {r}. Nothing of this step was kept or written; checkpoints of earlier \
                 steps stay valid",
                when()
            ),
        )),
    }
}

/// The decorator's config for the loop's threads: `config` with refusals recorded.
pub(crate) fn recording(config: DittoConfig) -> DittoConfig {
    DittoConfig {
        on_refusal: OnRefusal::Record,
        ..config
    }
}

/// While alive, nothing; dropped (the loop returned, failed or panicked), configures the
/// decorator on this thread as `config` with refusals panicking again: the thread (a pool
/// thread the loop borrowed, or the caller's) runs other code afterwards, whose refused ops
/// must not pass silently.
pub(crate) struct PanicAgain<'a, I: Inner> {
    pub(crate) device: &'a I::Device,
    pub(crate) config: DittoConfig,
}

impl<I: Inner> Drop for PanicAgain<'_, I> {
    fn drop(&mut self) {
        let config = DittoConfig {
            on_refusal: OnRefusal::Panic,
            ..self.config
        };
        Ditto::<I>::configure(self.device, config);
    }
}
