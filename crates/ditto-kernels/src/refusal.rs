//! [`Refusal`]: what an op that strict mode refused records when it cannot panic
//! ([`crate::OnRefusal::Record`]).

use std::fmt;

/// Class: not applicable (a record). An op that strict mode ([`crate::Strict::Error`]) refused,
/// recorded on its thread with [`crate::OnRefusal::Record`] and taken with
/// [`crate::Ditto::take_refusal`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The backend op (`float_sin`, ...).
    pub op: &'static str,
    /// The backend's name (`ditto<ndarray>`, ...).
    pub backend: String,
    /// Why it was refused, and the way out.
    pub why: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` on {}: {}", self.op, self.backend, self.why)
    }
}
