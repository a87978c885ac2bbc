//! `--backend`: the backends this build of the binary can run.

use clap::ValueEnum;
use ditto_train::BackendKind;

/// A backend named on the command line (`wgpu` only in builds with the `wgpu` feature).
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum BackendArg {
    Ndarray,
    #[cfg(feature = "wgpu")]
    Wgpu,
}

impl BackendArg {
    /// The config's backend.
    pub(crate) fn kind(self) -> BackendKind {
        match self {
            Self::Ndarray => BackendKind::Ndarray,
            #[cfg(feature = "wgpu")]
            Self::Wgpu => BackendKind::Wgpu,
        }
    }
}
