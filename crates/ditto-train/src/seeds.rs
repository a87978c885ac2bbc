//! The seed tree of one run: every stream a run draws from, derived from its root seed here and
//! nowhere else.

use ditto_rng::Seed;
use serde::{Deserialize, Serialize};

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

    /// Class: portable. The seed tree's branches as REPRODUCIBILITY.md's table lists them:
    /// each label, how it is derived, what it drives, and the seed of the branch (the
    /// children per parameter, epoch, sample or class derive from it as `derived_as` says),
    /// for a run's record (`ditto attest`).
    pub fn labels(&self) -> Vec<SeedLabel> {
        let row = |label: &str, derived_as: &str, used_for: &str| SeedLabel {
            label: label.to_owned(),
            derived_as: derived_as.to_owned(),
            used_for: used_for.to_owned(),
            seed: self.root.derive(label).to_hex(),
        };
        vec![
            row(
                "init",
                "root/init/<parameter path>",
                "parameter initialisation (ditto_rng::reinit)",
            ),
            row(
                "backend",
                "root/backend, then RngState { seed, calls }",
                "the decorator's random ops (dropout)",
            ),
            row(
                "data",
                "root/data/<epoch>",
                "the epoch's sample order (ditto_data::Loader)",
            ),
            row(
                "augment",
                "root/augment/<epoch>/<sample>",
                "augmentation (ditto_data::Augmenter)",
            ),
            row(
                "split",
                "root/split (per class /<class>)",
                "the train/test split (ditto_data::split)",
            ),
        ]
    }
}

/// Class: portable (a function of the root seed). One branch of a run's seed tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedLabel {
    /// The label (`init`, `backend`, `data`, `augment`, `split`).
    pub label: String,
    /// How the streams under it are derived.
    pub derived_as: String,
    /// What it drives.
    pub used_for: String,
    /// `root.derive(label)`, 64 hex digits.
    pub seed: String,
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

    #[test]
    fn labels_are_the_branches_the_loader_and_trainer_derive() {
        let s = RunSeeds::new(7);
        let labels = s.labels();
        let names: Vec<&str> = labels.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(names, ["init", "backend", "data", "augment", "split"]);
        assert_eq!(labels[0].seed, s.init().to_hex());
        assert_eq!(labels[1].seed, s.backend().to_hex());
        // ditto-data derives epoch 0's order as root/data/0 (`loader.rs`).
        let data: Seed = labels[2].seed.parse().unwrap();
        assert_eq!(
            data.derive_index(0),
            Seed::from_u64(7).derive("data").derive_index(0)
        );
    }
}
