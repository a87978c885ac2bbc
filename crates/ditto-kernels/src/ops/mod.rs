//! The ops `Ditto<B>` implements itself instead of forwarding.

pub(crate) mod canonical;
pub(crate) mod composite;
pub(crate) mod feature_proof;
pub(crate) mod random;
pub(crate) mod reduce;
