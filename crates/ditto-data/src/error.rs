//! The crate's one error type.

use std::fmt;
use std::path::PathBuf;

/// Class: not applicable (an error value). An error from `ditto-data`.
///
/// Opaque: inspect it through [`Error::kind`], [`Error::path`] and its `Display` text, which
/// names the path (when there is one) and what was wrong.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: Option<PathBuf>,
    context: String,
    source: Option<std::io::Error>,
}

/// Class: not applicable (an error classification). What kind of error an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// The file ended before the length its header announces.
    Truncated,
    /// The file is longer than its header announces, or is not valid gzip.
    Corrupt,
    /// The IDX magic number is wrong.
    BadMagic,
    /// Image and label counts differ.
    CountMismatch,
    /// A label is not below the number of classes, or (CSV) not one of the class names.
    LabelOutOfRange,
    /// The dataset has no samples.
    Empty,
    /// A loader configuration value is invalid (batch size 0, rank >= world, world 0), or a
    /// value in a data description is (a SHA-256 that is not 64 hex digits, an unknown CSV
    /// column, CSV class names that are empty, repeat or disagree with the class count).
    InvalidConfig,
    /// A file's content differs from the pin recorded for it (see [`crate::read_pinned`]).
    Changed,
    /// A restored loader position is out of range: its batch lies past the epoch's end
    /// (see [`crate::Loader::restore`]).
    InvalidState,
}

impl Error {
    /// Class: not applicable. The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Class: not applicable. The file the error is about, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }

    pub(crate) fn new(kind: ErrorKind, path: Option<PathBuf>, context: impl Into<String>) -> Self {
        Self {
            kind,
            path,
            context: context.into(),
            source: None,
        }
    }

    /// The same error, about `path` (when it names none yet).
    pub(crate) fn at(mut self, path: &std::path::Path) -> Self {
        self.path.get_or_insert_with(|| path.to_path_buf());
        self
    }

    pub(crate) fn io(path: PathBuf, source: std::io::Error) -> Self {
        Self {
            kind: ErrorKind::Io,
            path: Some(path),
            context: "cannot read file".into(),
            source: Some(source),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::Io => "i/o error",
            ErrorKind::Truncated => "truncated file",
            ErrorKind::Corrupt => "corrupt file",
            ErrorKind::BadMagic => "wrong magic number",
            ErrorKind::CountMismatch => "count mismatch",
            ErrorKind::LabelOutOfRange => "label out of range",
            ErrorKind::Empty => "empty dataset",
            ErrorKind::InvalidConfig => "invalid configuration",
            ErrorKind::Changed => "content changed",
            ErrorKind::InvalidState => "invalid loader state",
        };
        match &self.path {
            Some(p) => write!(f, "{}: {what}: {}", p.display(), self.context),
            None => write!(f, "{what}: {}", self.context),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
