//! The seed tree of one run: every stream a run draws from, derived from its root seed here and
//! nowhere else.

use ditto_rng::Seed;

/// Class: portable. The seeds of one run, all derived from `TrainConfig::seed`:
///
/// | label | derived as | used for |
/// |---|---|---|
/// | `init` | `root/init` | parameter initialisation (`ditto_rng::reinit`, by parameter path) |
/// | `backend` | `root/backend` | the decorator's random ops (dropout), `RngState` |
/// | `data` | `root/data/<epoch>` | the epoch's sample order (`ditto_data::Loader`) |
/// | `augment` | `root/augment/<epoch>/<sample>` | augmentation (`ditto_data::Augmenter`) |
/// | `split` | `root/split` (per class `/<class>`) | the train/test split (`ditto_data::split`) |
///
/// The last three are derived inside `ditto-data` from the root this type hands over
/// ([`RunSeeds::data_root`]); the table is also in REPRODUCIBILITY.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSeeds {
    root: Seed,
}

impl RunSeeds {
    /// Class: portable. The seed tree of a run with root seed `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            root: Seed::from_u64(seed),
        }
    }

    /// Class: portable. `root/init`: parameter initialisation.
    pub fn init(&self) -> Seed {
        self.root.derive("init")
    }

    /// Class: portable. `root/backend`: the decorator's random state (dropout).
    pub fn backend(&self) -> Seed {
        self.root.derive("backend")
    }

    /// Class: portable. The root that `ditto-data`'s loader, augmenter and split derive their
    /// `data`, `augment` and `split` children from.
    pub fn data_root(&self) -> Seed {
        self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stability() {
        let s = RunSeeds::new(0);
        assert_eq!(s.init(), Seed::from_u64(0).derive("init"));
        assert_eq!(s.backend(), Seed::from_u64(0).derive("backend"));
        assert_ne!(s.init(), s.backend());
        assert_eq!(s.data_root(), Seed::from_u64(0));
    }
}
