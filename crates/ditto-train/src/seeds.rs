//! The seed tree of one run: every stream a run draws from, derived from its root seed (and
//! the config's per-source overrides, `[seeds]`) here and nowhere else.

use ditto_rng::Seed;
use serde::{Deserialize, Serialize};

use crate::config::{SeedsConfig, TrainConfig};

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
/// The last three are derived inside `ditto-data` from the roots this type hands over
/// ([`RunSeeds::data_root`], [`RunSeeds::augment_root`], [`RunSeeds::split_root`]); the
/// table is also in REPRODUCIBILITY.md. A config's `[seeds]` table ([`SeedsConfig`]) gives a
/// source a root of its own: with `[seeds] init = 3` the `init` branch is
/// `Seed::from_u64(3)/init`, the initial weights of a run whose seed is 3; sources it does not
/// name derive from the root seed as above ([`RunSeeds::of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSeeds {
    root: Seed,
    overrides: SeedsConfig,
}

impl RunSeeds {
    /// Class: portable. The seed tree of a run with root seed `seed` and no per-source
    /// overrides.
    pub fn new(seed: u64) -> Self {
        Self {
            root: Seed::from_u64(seed),
            overrides: SeedsConfig::default(),
        }
    }

    /// Class: portable. The seed tree of a run with `config`: its root seed and its `[seeds]`
    /// overrides. Without overrides, the same tree as [`RunSeeds::new`]`(config.seed)`.
    pub fn of(config: &TrainConfig) -> Self {
        Self::new(config.seed).with(config.seeds)
    }

    /// Class: portable. The same tree with `overrides`: each source they name takes its
    /// branch from `Seed::from_u64(s)` instead of the root seed.
    pub fn with(mut self, overrides: SeedsConfig) -> Self {
        self.overrides = overrides;
        self
    }

    /// The root a source's branch derives from: its override's, or the run's.
    fn source(&self, over: Option<u64>) -> Seed {
        over.map_or(self.root, Seed::from_u64)
    }

    /// Class: portable. `root/init` (or `[seeds] init`'s): parameter initialisation.
    pub fn init(&self) -> Seed {
        self.source(self.overrides.init).derive("init")
    }

    /// Class: portable. `root/backend` (or `[seeds] dropout`'s): the decorator's random state
    /// (dropout).
    pub fn backend(&self) -> Seed {
        self.source(self.overrides.dropout).derive("backend")
    }

    /// Class: portable. The root that `ditto-data`'s loader derives the sample order from
    /// (`data/<epoch>`): the root seed, or `[seeds] data_order`'s.
    pub fn data_root(&self) -> Seed {
        self.source(self.overrides.data_order)
    }

    /// Class: portable. The root that `ditto-data`'s augmenter derives its draws from
    /// (`augment/<epoch>/<sample>`): the root seed, or `[seeds] augment`'s.
    pub fn augment_root(&self) -> Seed {
        self.source(self.overrides.augment)
    }

    /// Class: portable. The root that the train/test split (`split`) and the validation
    /// hold-out (`valid/split`) derive from: the root seed, or `[seeds] split`'s.
    pub fn split_root(&self) -> Seed {
        self.source(self.overrides.split)
    }

    /// Class: portable. The seed tree's branches as REPRODUCIBILITY.md's table lists them:
    /// each label, how it is derived, what it drives, and the seed of the branch (the
    /// children per parameter, epoch, sample or class derive from it as `derived_as` says),
    /// for a run's record (`ditto attest`). A branch taken from a `[seeds]` override says so
    /// in `derived_as`.
    pub fn labels(&self) -> Vec<SeedLabel> {
        let o = self.overrides;
        let row = |label: &str, key: &str, over: Option<u64>, below: &str, used_for: &str| {
            let derived_as = match over {
                None => format!("root/{label}{below}"),
                Some(s) => format!("Seed::from_u64({s})/{label}{below} ([seeds] {key} = {s})"),
            };
            SeedLabel {
                label: label.to_owned(),
                derived_as,
                used_for: used_for.to_owned(),
                seed: self.source(over).derive(label).to_hex(),
            }
        };
        vec![
            row(
                "init",
                "init",
                o.init,
                "/<parameter path>",
                "parameter initialisation (ditto_rng::reinit)",
            ),
            row(
                "backend",
                "dropout",
                o.dropout,
                ", then RngState { seed, calls }",
                "the decorator's random ops (dropout)",
            ),
            row(
                "data",
                "data_order",
                o.data_order,
                "/<epoch>",
                "the epoch's sample order (ditto_data::Loader)",
            ),
            row(
                "augment",
                "augment",
                o.augment,
                "/<epoch>/<sample>",
                "augmentation (ditto_data::Augmenter)",
            ),
            row(
                "split",
                "split",
                o.split,
                " (per class /<class>)",
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

    /// The `derived_as` texts are those REPRODUCIBILITY.md's table gives (they were written
    /// out literally before overrides existed, and statements carry them).
    #[test]
    fn labels_without_overrides_read_as_before() {
        let derived: Vec<String> = RunSeeds::new(0)
            .labels()
            .into_iter()
            .map(|l| l.derived_as)
            .collect();
        assert_eq!(
            derived,
            [
                "root/init/<parameter path>",
                "root/backend, then RngState { seed, calls }",
                "root/data/<epoch>",
                "root/augment/<epoch>/<sample>",
                "root/split (per class /<class>)",
            ]
        );
    }

    /// An override takes its source's branch from its own seed: the branch of a run whose
    /// root seed is that value; the other sources keep the root's.
    #[test]
    fn each_override_moves_its_own_branch_only() {
        let seven = RunSeeds::new(7);
        let zero = RunSeeds::new(0);
        let mut cfg = TrainConfig::default();
        assert_eq!(RunSeeds::of(&cfg), zero);
        cfg.seeds.init = Some(7);
        let s = RunSeeds::of(&cfg);
        assert_eq!(s.init(), seven.init());
        assert_eq!(
            (s.backend(), s.data_root(), s.augment_root(), s.split_root()),
            (
                zero.backend(),
                zero.data_root(),
                zero.augment_root(),
                zero.split_root()
            )
        );
        let all = SeedsConfig {
            init: Some(7),
            data_order: Some(7),
            dropout: Some(7),
            augment: Some(7),
            split: Some(7),
        };
        let s = RunSeeds::new(0).with(all);
        assert_eq!(
            (
                s.init(),
                s.backend(),
                s.data_root(),
                s.augment_root(),
                s.split_root()
            ),
            (
                seven.init(),
                seven.backend(),
                seven.data_root(),
                seven.augment_root(),
                seven.split_root()
            )
        );
        // The seeds are the same as a seed-7 run's; the text says where they came from.
        let (a, b) = (s.labels(), seven.labels());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((&x.label, &x.seed), (&y.label, &y.seed));
        }
        assert_eq!(
            a[2].derived_as,
            "Seed::from_u64(7)/data/<epoch> ([seeds] data_order = 7)"
        );
        assert_eq!(
            a[1].derived_as,
            "Seed::from_u64(7)/backend, then RngState { seed, calls } ([seeds] dropout = 7)"
        );
    }
}
