//! The ops `Ditto<B>` implements itself instead of forwarding.

pub(crate) mod random;
pub(crate) mod reduce;
