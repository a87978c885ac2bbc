//! What a checkpoint reader accepts that it cannot verify: format-version-1 files, whose
//! header (config, state, provenance, tensor table) has no hash. Refused unless asked for.

use std::path::Path;

use crate::error::{Error, ErrorKind};
use crate::integrity::Integrity;

/// Class: not applicable (configuration). Options of the checkpoint readers
/// ([`crate::Checkpoint::read_with`], [`crate::Checkpoint::read_header_with`],
/// [`crate::locate_checkpoint_with`], [`crate::compare_runs_with`]). The default verifies
/// everything and refuses what it cannot: so [`crate::Trainer::resume`] refuses a version-1
/// checkpoint; to resume one, read it with these options and train from it
/// ([`crate::Trainer::from_checkpoint`], with [`crate::Trainer::out`] its run directory).
///
/// ```
/// use ditto_train::ReadOptions;
///
/// assert!(!ReadOptions::default().allow_unverified_header);
/// assert!(ReadOptions::allowing_unverified_header().allow_unverified_header);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Load format-version-1 checkpoints (written before header hashes): their tensor bytes
    /// are verified, their header (config, state, provenance, tensor table) is not, so a
    /// change to it cannot be detected. `false` (the default) refuses them with
    /// [`ErrorKind::Unverified`]. Opt in only for files whose origin you trust; the readers
    /// report [`Integrity::NoHeaderHash`] and the CLI prints a warning
    /// (`--allow-unverified-header`).
    pub allow_unverified_header: bool,
}

impl ReadOptions {
    /// Class: not applicable. Options that also load version-1 checkpoints (see
    /// [`ReadOptions::allow_unverified_header`]).
    pub fn allowing_unverified_header() -> Self {
        Self {
            allow_unverified_header: true,
        }
    }

    /// Admits a header verified as `integrity`, or refuses it ([`ErrorKind::Unverified`]).
    pub(crate) fn admit(self, integrity: &Integrity, path: Option<&Path>) -> Result<(), Error> {
        match integrity {
            Integrity::HeaderHash(_) => Ok(()),
            Integrity::NoHeaderHash if self.allow_unverified_header => Ok(()),
            Integrity::NoHeaderHash => Err(Error::new(
                ErrorKind::Unverified,
                path,
                "format version 1 (written before header hashes): its header (config, state, \
                 provenance, tensor table) cannot be verified, so a change to it would go \
                 unnoticed. If you trust where the file came from, load it explicitly: \
                 `--allow-unverified-header` (ditto resume, replay, inspect, verify) or \
                 `ReadOptions::allowing_unverified_header()` (library); writing it again \
                 (resume) gives version-2 checkpoints",
            )),
        }
    }
}
