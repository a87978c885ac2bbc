//! The checkpoint file readers: a file's bytes through the verifying parser
//! ([`Checkpoint::from_bytes_with`]).

use std::fs;
use std::path::Path;

use crate::checkpoint::Checkpoint;
use crate::error::Error;
use crate::integrity::Integrity;
use crate::read_options::ReadOptions;

/// The checkpoint file readers (the parser is [`Checkpoint::from_bytes_with`]).
impl Checkpoint {
    /// Class: portable. Reads and verifies a checkpoint file (a version-1 file is refused:
    /// see [`Checkpoint::read_with`]).
    pub fn read(path: &Path) -> Result<Self, Error> {
        Self::read_verified(path).map(|(ck, _)| ck)
    }

    /// Class: portable. Reads and verifies a checkpoint file, and says how its header was
    /// verified (see [`Checkpoint::from_bytes_verified`]).
    pub fn read_verified(path: &Path) -> Result<(Self, Integrity), Error> {
        Self::read_with(path, ReadOptions::default())
    }

    /// Class: portable. [`Checkpoint::read_verified`] with `options` (see
    /// [`Checkpoint::from_bytes_with`]): a version-1 file loads only with
    /// [`ReadOptions::allow_unverified_header`].
    pub fn read_with(path: &Path, options: ReadOptions) -> Result<(Self, Integrity), Error> {
        let bytes = fs::read(path).map_err(|e| Error::io(path, "reading checkpoint", e))?;
        Self::from_bytes_with(&bytes, Some(path), options)
    }
}
