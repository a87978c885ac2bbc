//! The crate's one error type.

use std::fmt;
use std::path::{Path, PathBuf};

/// Class: not applicable (an error value). An error from `ditto-train`: what went wrong, with
/// the file it concerns.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: Option<PathBuf>,
    detail: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Class: not applicable (an error classification). What kind of error an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    Io,
    /// The file is not a ditto checkpoint (no or foreign `ditto` metadata, not safetensors).
    Foreign,
    /// The file ends early: a partial write or a cut copy.
    Truncated,
    /// The file is damaged: its header (config, state, provenance, tensor table) does not
    /// match its recorded header hash, or a tensor's bytes do not match their BLAKE3 hash.
    Corrupted,
    /// The checkpoint's format version is newer than this ditto understands.
    Version,
    /// The checkpoint's header cannot be verified (format version 1, written before header
    /// hashes) and the reader was not asked to accept that
    /// ([`crate::ReadOptions::allow_unverified_header`]).
    Unverified,
    /// A value is malformed (metadata JSON, a tensor's dtype or shape, a config field).
    Invalid,
    /// A data set could not be read (missing, truncated, corrupt or failing its checksum).
    Data,
    /// Another live process holds the run directory's lock (`ditto.lock`).
    Locked,
    /// The data differs from what the run recorded: a data file's SHA-256 or length, or
    /// in-memory data's content hash.
    DataChanged,
    /// A fresh run's directory already holds a run (or, to be replaced, files ditto did not
    /// write).
    RunExists,
    /// A Cargo feature of Burn that ditto refuses is on in this build (burn-cubecl's
    /// `autotune`, Burn's `fusion`; `ditto_kernels::build_check`): the message names it and
    /// how to turn it off.
    Features,
    /// An environment variable ditto reads has a value it does not accept (`DITTO_SIMD`: the
    /// message names the allowed values).
    Environment,
    /// An output file already exists and replacing it was not asked for (`ditto export`
    /// without `--force`, [`crate::export_weights`] without `overwrite`).
    Exists,
    /// Strict mode (`strict = "error"`) refused an op the model ran (non-deterministic on the
    /// backend, or not canonical in canonical mode): the message names the op, the step and
    /// why. Nothing of that step was kept or written.
    Strict,
}

impl Error {
    /// Class: not applicable. The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Class: not applicable. The file the error concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub(crate) fn new(kind: ErrorKind, path: Option<&Path>, detail: impl Into<String>) -> Self {
        Self {
            kind,
            path: path.map(Path::to_path_buf),
            detail: detail.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(
        kind: ErrorKind,
        path: Option<&Path>,
        what: &str,
        e: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind,
            path: path.map(Path::to_path_buf),
            detail: format!("{what}: {e}"),
            source: Some(Box::new(e)),
        }
    }

    /// The same error, of another kind.
    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The same error, about `path` (when it names no file yet).
    pub(crate) fn at(mut self, path: &Path) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_path_buf());
        }
        self
    }

    pub(crate) fn io(path: &Path, what: &str, e: std::io::Error) -> Self {
        Self {
            kind: ErrorKind::Io,
            path: Some(path.to_path_buf()),
            detail: format!("{what}: {e}"),
            source: Some(Box::new(e)),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::Io => "I/O error",
            ErrorKind::Foreign => "not a ditto checkpoint",
            ErrorKind::Truncated => "truncated file",
            ErrorKind::Corrupted => "damaged file (corrupted data)",
            ErrorKind::Version => "unsupported format version",
            ErrorKind::Unverified => "unverified header refused",
            ErrorKind::Invalid => "invalid value",
            ErrorKind::Data => "data set error",
            ErrorKind::Locked => "run directory locked",
            ErrorKind::DataChanged => "data changed since the run recorded it",
            ErrorKind::RunExists => "run directory not empty",
            ErrorKind::Features => "Burn feature refused",
            ErrorKind::Environment => "invalid environment",
            ErrorKind::Exists => "output file exists",
            ErrorKind::Strict => "strict mode refused an op",
        };
        match &self.path {
            Some(p) => write!(f, "{}: {what}: {}", p.display(), self.detail),
            None => write!(f, "{what}: {}", self.detail),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
