//! The canonical kernels' one error type.

use std::fmt;

/// Class: not applicable (an error value). An error from a canonical kernel.
///
/// The error is opaque: inspect it through [`Error::kind`] and its `Display` text, which names
/// the operation and the shapes involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    op: &'static str,
    context: String,
}

/// Class: not applicable (an error classification). What kind of error an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A buffer's length does not match the shape it was given with.
    Shape,
    /// The operation is not defined on an empty input (max, min, argmax of nothing).
    Empty,
    /// An index (scatter, gather, embedding) is out of range.
    Index,
    /// A parameter is outside its domain (zero stride, zero kernel size, ...).
    InvalidParameter,
    /// An environment variable the kernels read has a value they do not accept
    /// (`DITTO_SIMD`, see [`crate::canonical::simd::SimdLevel`]).
    InvalidEnvironment,
}

impl Error {
    /// Class: not applicable. The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Class: not applicable. The name of the kernel that refused its input.
    pub fn op(&self) -> &'static str {
        self.op
    }

    pub(crate) fn new(kind: ErrorKind, op: &'static str, context: impl Into<String>) -> Self {
        Self {
            kind,
            op,
            context: context.into(),
        }
    }

    pub(crate) fn shape(op: &'static str, context: impl Into<String>) -> Self {
        Self::new(ErrorKind::Shape, op, context)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::Shape => "shape mismatch",
            ErrorKind::Empty => "empty input",
            ErrorKind::Index => "index out of range",
            ErrorKind::InvalidParameter => "invalid parameter",
            ErrorKind::InvalidEnvironment => "invalid environment",
        };
        write!(f, "canonical {}: {what}: {}", self.op, self.context)
    }
}

impl std::error::Error for Error {}

/// Checks that `buf` has exactly `len` elements.
pub(crate) fn check_len(op: &'static str, what: &str, got: usize, len: usize) -> Result<(), Error> {
    if got == len {
        Ok(())
    } else {
        Err(Error::shape(
            op,
            format!("{what} has {got} elements, the shape needs {len}"),
        ))
    }
}

/// The product of `dims`, or a shape error if it overflows `usize`.
pub(crate) fn numel(op: &'static str, dims: &[usize]) -> Result<usize, Error> {
    dims.iter().try_fold(1usize, |acc, &d| {
        acc.checked_mul(d)
            .ok_or_else(|| Error::shape(op, format!("shape {dims:?} overflows usize")))
    })
}
