//! A run's identity: which run a checkpoint, a manifest and a run directory belong to.

use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::error::Error;

/// Class: portable (a function of the seed and the config). The identity of a training run:
/// BLAKE3 (`derive_key` context `"ditto run id v1"`) of the seed as 8 little-endian bytes
/// followed by the run's recorded config as TOML, as 32 hex digits (128 bits).
///
/// It is derived, never drawn from a clock or an entropy source, so two runs of the same
/// seed and config get the same identity and write the same checkpoint bytes, while two runs
/// that differ in any setting (seed, data, model, schedule, `max_steps`, ...) get different
/// ones. A run keeps the identity of its start when it is resumed, even with other peers,
/// threads or backend. Every checkpoint and `manifest.json` carry it; the trainer prunes and
/// resumes only the checkpoints of the run directory's own run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(String);

impl RunId {
    /// Class: portable. The identity of a run that starts with `config` (the config as
    /// recorded, with its data pins).
    pub fn derive(config: &TrainConfig) -> Result<Self, Error> {
        let mut h = blake3::Hasher::new_derive_key("ditto run id v1");
        h.update(&config.seed.to_le_bytes());
        h.update(config.to_toml()?.as_bytes());
        let hex = h.finalize().to_hex();
        Ok(Self(hex[..32].to_owned()))
    }

    /// Class: not applicable. The identity as written (32 hex digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_from_seed_and_config_only() {
        let a = TrainConfig::default();
        let id = RunId::derive(&a).unwrap();
        assert_eq!(id, RunId::derive(&a.clone()).unwrap());
        assert_eq!(id.as_str().len(), 32);
        assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        let mut b = a.clone();
        b.seed = 1;
        assert_ne!(id, RunId::derive(&b).unwrap());
        let mut c = a.clone();
        c.max_steps = Some(100);
        assert_ne!(id, RunId::derive(&c).unwrap());
        // The value itself: BLAKE3 derive_key("ditto run id v1", seed LE || TOML), computed
        // independently of `derive` here.
        let mut h = blake3::Hasher::new_derive_key("ditto run id v1");
        h.update(&0u64.to_le_bytes());
        h.update(a.to_toml().unwrap().as_bytes());
        assert_eq!(id.as_str(), &h.finalize().to_hex()[..32]);
    }
}
