//! The crate's one error type.

use std::fmt;

/// Class: not applicable (an error value). An error from `ditto-rng`.
///
/// The error is opaque: inspect it through [`Error::kind`] and its `Display` text, which names
/// the operation and the offending value.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    context: String,
}

/// Class: not applicable (an error classification). What kind of error an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A sampler was given parameters outside its domain (an empty range, a negative standard
    /// deviation, a probability outside `[0, 1]`, a non-finite bound, ...).
    InvalidParameter,
    /// A textual seed or stream state could not be parsed.
    Parse,
    /// An initialiser needs a fan-in or fan-out that was not given or is zero.
    MissingFan,
    /// No initialisation rule matched a module parameter.
    NoRule,
    /// A parameter's shape does not fit the initialiser chosen for it.
    Shape,
}

impl Error {
    /// Class: not applicable. The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub(crate) fn new(kind: ErrorKind, context: impl Into<String>) -> Self {
        Self {
            kind,
            context: context.into(),
        }
    }

    pub(crate) fn invalid(context: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameter, context)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::InvalidParameter => "invalid sampler parameter",
            ErrorKind::Parse => "parse error",
            ErrorKind::MissingFan => "missing fan for initialiser",
            ErrorKind::NoRule => "no initialisation rule",
            ErrorKind::Shape => "shape does not fit initialiser",
        };
        write!(f, "{what}: {}", self.context)
    }
}

impl std::error::Error for Error {}
