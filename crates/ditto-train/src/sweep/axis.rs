//! The axes of a sweep: what each varies, what role it plays in the analysis (a source of
//! randomness, a hyperparameter, the mode, or the environment, whose differences are judged
//! against the mode's promise), and how a cell's value is applied.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::{BackendKind, Mode, TrainConfig};
use crate::error::{Error, ErrorKind};

/// Class: not applicable. An edit of a cell's config, for [`Axis::Custom`].
pub type ConfigEdit = Arc<dyn Fn(&mut TrainConfig) + Send + Sync>;

/// Class: not applicable (a grid definition). One axis of a [`crate::sweep::Sweep`]: the
/// values it takes, each cell of the grid taking one value of every axis.
///
/// The seed axes set one source of randomness each (`[seeds]`, [`crate::SeedsConfig`]);
/// [`Axis::Seed`] sets the root seed, so every source at once. [`Axis::Threads`] and
/// [`Axis::Simd`] are settings of a process (the thread pools and `DITTO_SIMD` are fixed when
/// a process starts): the sweep hands them to the run factory ([`crate::sweep::CellRun`]),
/// which must start a process with them, as `ditto sweep` does; the sweep checks each run's
/// recorded thread count and refuses a cell that did not get its own.
#[derive(Clone)]
#[non_exhaustive]
pub enum Axis {
    /// The root seed (`seed`): every source of randomness at once.
    Seed(Vec<u64>),
    /// `[seeds] init`: the initial weights.
    InitSeed(Vec<u64>),
    /// `[seeds] data_order`: the sample order.
    DataOrderSeed(Vec<u64>),
    /// `[seeds] dropout`: the backend's random ops (dropout masks).
    DropoutSeed(Vec<u64>),
    /// `[seeds] augment`: augmentation draws.
    AugmentSeed(Vec<u64>),
    /// `[seeds] split`: the train/test split and the validation hold-out.
    SplitSeed(Vec<u64>),
    /// A config field by its dotted path (`optimizer.lr`, `batch_size`, `model.hidden`), set
    /// to each value (as the TOML/JSON value it is); unknown fields and invalid values are
    /// refused when the grid is built.
    Field {
        /// The field's path.
        path: String,
        /// Its values.
        values: Vec<serde_json::Value>,
    },
    /// Any change of the config, by closure: `(label, edit)` per value.
    Custom {
        /// The axis's name in reports.
        name: String,
        /// Each value's label and edit.
        values: Vec<(String, ConfigEdit)>,
    },
    /// The kernel mode: which promise each cell's run makes.
    Mode(Vec<Mode>),
    /// The backend (`config.backend`; the factory trains on it).
    Backend(Vec<BackendKind>),
    /// Threads of the cell's process (a process setting; see the type's doc).
    Threads(Vec<usize>),
    /// Data-loader workers.
    Workers(Vec<usize>),
    /// Data-parallel peers (`[parallel] peers`).
    Peers(Vec<usize>),
    /// Micro-batches per peer (`[parallel] accumulate`).
    Accumulate(Vec<usize>),
    /// `DITTO_SIMD` of the cell's process: `auto`, `avx2`, `off` or `scalar` (a process
    /// setting; see the type's doc).
    Simd(Vec<String>),
}

/// Class: not applicable. The kind of an axis, as results files record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AxisKind {
    /// [`Axis::Seed`].
    Seed,
    /// [`Axis::InitSeed`].
    InitSeed,
    /// [`Axis::DataOrderSeed`].
    DataOrderSeed,
    /// [`Axis::DropoutSeed`].
    DropoutSeed,
    /// [`Axis::AugmentSeed`].
    AugmentSeed,
    /// [`Axis::SplitSeed`].
    SplitSeed,
    /// [`Axis::Field`].
    Field,
    /// [`Axis::Custom`].
    Custom,
    /// [`Axis::Mode`].
    Mode,
    /// [`Axis::Backend`].
    Backend,
    /// [`Axis::Threads`].
    Threads,
    /// [`Axis::Workers`].
    Workers,
    /// [`Axis::Peers`].
    Peers,
    /// [`Axis::Accumulate`].
    Accumulate,
    /// [`Axis::Simd`].
    Simd,
    /// The machine a sweep ran on: added by `ditto sweep merge` ([`crate::sweep::merge()`]).
    Machine,
}

/// Class: not applicable. What an axis is to the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A source of randomness: legitimate spread, over which means and intervals are taken.
    Randomness,
    /// A hyperparameter: another experiment; reported per value.
    Hyperparameter,
    /// The kernel mode: another promise.
    Mode,
    /// The environment (threads, workers, peers, SIMD level, backend, machine): a difference
    /// is judged against what the cell's mode promises for it.
    Environment,
}

/// Class: not applicable (a record). An axis as a results file records it: name, kind and
/// its values as text, in the grid's order (the first is the reference).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxisInfo {
    /// The axis's name (`seed`, `init_seed`, `optimizer.lr`, `threads`, ...).
    pub name: String,
    /// Its kind.
    pub kind: AxisKind,
    /// Its values as text.
    pub values: Vec<String>,
}

/// The `DITTO_SIMD` levels [`Axis::Simd`] takes.
pub const SIMD_LEVELS: &[&str] = &["auto", "avx2", "off", "scalar"];

impl AxisKind {
    /// Class: not applicable. The axis's role in the analysis.
    pub fn role(self) -> Role {
        match self {
            AxisKind::Seed
            | AxisKind::InitSeed
            | AxisKind::DataOrderSeed
            | AxisKind::DropoutSeed
            | AxisKind::AugmentSeed
            | AxisKind::SplitSeed => Role::Randomness,
            AxisKind::Field | AxisKind::Custom => Role::Hyperparameter,
            AxisKind::Mode => Role::Mode,
            AxisKind::Backend
            | AxisKind::Threads
            | AxisKind::Workers
            | AxisKind::Peers
            | AxisKind::Accumulate
            | AxisKind::Simd
            | AxisKind::Machine => Role::Environment,
        }
    }

    /// The prefix of the axis's part of a cell's directory name.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            AxisKind::Seed => "s",
            AxisKind::InitSeed => "init",
            AxisKind::DataOrderSeed => "order",
            AxisKind::DropoutSeed => "dropout",
            AxisKind::AugmentSeed => "aug",
            AxisKind::SplitSeed => "split",
            AxisKind::Mode | AxisKind::Backend | AxisKind::Field | AxisKind::Custom => "",
            AxisKind::Threads => "t",
            AxisKind::Workers => "w",
            AxisKind::Peers => "p",
            AxisKind::Accumulate => "k",
            AxisKind::Simd => "simd",
            AxisKind::Machine => "m",
        }
    }
}

/// What one cell's value sets: the config, and the process settings the factory applies.
pub(crate) struct Setting<'a> {
    pub(crate) config: &'a mut TrainConfig,
    pub(crate) threads: &'a mut Option<usize>,
    pub(crate) simd: &'a mut Option<String>,
}

impl Axis {
    /// Class: not applicable. A [`Axis::Field`] axis: `path` set to each of `values`.
    pub fn field<V: Into<serde_json::Value>>(
        path: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Axis::Field {
            path: path.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// Class: not applicable. The axis's kind.
    pub fn kind(&self) -> AxisKind {
        match self {
            Axis::Seed(_) => AxisKind::Seed,
            Axis::InitSeed(_) => AxisKind::InitSeed,
            Axis::DataOrderSeed(_) => AxisKind::DataOrderSeed,
            Axis::DropoutSeed(_) => AxisKind::DropoutSeed,
            Axis::AugmentSeed(_) => AxisKind::AugmentSeed,
            Axis::SplitSeed(_) => AxisKind::SplitSeed,
            Axis::Field { .. } => AxisKind::Field,
            Axis::Custom { .. } => AxisKind::Custom,
            Axis::Mode(_) => AxisKind::Mode,
            Axis::Backend(_) => AxisKind::Backend,
            Axis::Threads(_) => AxisKind::Threads,
            Axis::Workers(_) => AxisKind::Workers,
            Axis::Peers(_) => AxisKind::Peers,
            Axis::Accumulate(_) => AxisKind::Accumulate,
            Axis::Simd(_) => AxisKind::Simd,
        }
    }

    /// Class: not applicable. The axis's name in reports and results.
    pub fn name(&self) -> String {
        match self {
            Axis::Seed(_) => "seed".into(),
            Axis::InitSeed(_) => "init_seed".into(),
            Axis::DataOrderSeed(_) => "data_order_seed".into(),
            Axis::DropoutSeed(_) => "dropout_seed".into(),
            Axis::AugmentSeed(_) => "augment_seed".into(),
            Axis::SplitSeed(_) => "split_seed".into(),
            Axis::Field { path, .. } => path.clone(),
            Axis::Custom { name, .. } => name.clone(),
            Axis::Mode(_) => "mode".into(),
            Axis::Backend(_) => "backend".into(),
            Axis::Threads(_) => "threads".into(),
            Axis::Workers(_) => "workers".into(),
            Axis::Peers(_) => "peers".into(),
            Axis::Accumulate(_) => "accumulate".into(),
            Axis::Simd(_) => "simd".into(),
        }
    }

    /// Class: not applicable. The values as text, in order.
    pub fn labels(&self) -> Vec<String> {
        fn text<T: ToString>(v: &[T]) -> Vec<String> {
            v.iter().map(ToString::to_string).collect()
        }
        match self {
            Axis::Seed(v)
            | Axis::InitSeed(v)
            | Axis::DataOrderSeed(v)
            | Axis::DropoutSeed(v)
            | Axis::AugmentSeed(v)
            | Axis::SplitSeed(v) => text(v),
            Axis::Field { values, .. } => values
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            Axis::Custom { values, .. } => values.iter().map(|(l, _)| l.clone()).collect(),
            Axis::Mode(v) => text(v),
            Axis::Backend(v) => text(v),
            Axis::Threads(v) | Axis::Workers(v) | Axis::Peers(v) | Axis::Accumulate(v) => text(v),
            Axis::Simd(v) => v.clone(),
        }
    }

    /// Class: not applicable. The record of this axis.
    pub fn info(&self) -> AxisInfo {
        AxisInfo {
            name: self.name(),
            kind: self.kind(),
            values: self.labels(),
        }
    }

    /// Refuses an axis that cannot make a grid: no values, a value twice, a count of 0, an
    /// unknown SIMD level.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let name = self.name();
        let bad = |why: String| {
            Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("sweep axis `{name}`: {why}"),
            ))
        };
        let labels = self.labels();
        if labels.is_empty() {
            return bad("no values".into());
        }
        for (i, l) in labels.iter().enumerate() {
            if labels[..i].contains(l) {
                return bad(format!("the value {l:?} is given twice"));
            }
        }
        match self {
            Axis::Threads(v) | Axis::Peers(v) | Axis::Accumulate(v) if v.contains(&0) => {
                bad("a count of 0".into())
            }
            Axis::Simd(v) => match v.iter().find(|s| !SIMD_LEVELS.contains(&s.as_str())) {
                Some(s) => bad(format!(
                    "{s:?} is not a SIMD level (one of {})",
                    SIMD_LEVELS.join(", ")
                )),
                None => Ok(()),
            },
            Axis::Field { path, .. } if path.is_empty() || path.split('.').any(str::is_empty) => {
                bad("not a field path (e.g. `optimizer.lr`)".into())
            }
            _ => Ok(()),
        }
    }

    /// Sets value `i` of this axis.
    pub(crate) fn apply(&self, i: usize, s: &mut Setting<'_>) -> Result<(), Error> {
        let c = &mut *s.config;
        match self {
            Axis::Seed(v) => c.seed = v[i],
            Axis::InitSeed(v) => c.seeds.init = Some(v[i]),
            Axis::DataOrderSeed(v) => c.seeds.data_order = Some(v[i]),
            Axis::DropoutSeed(v) => c.seeds.dropout = Some(v[i]),
            Axis::AugmentSeed(v) => c.seeds.augment = Some(v[i]),
            Axis::SplitSeed(v) => c.seeds.split = Some(v[i]),
            Axis::Field { path, values } => set_field(c, path, &values[i])?,
            Axis::Custom { values, .. } => (values[i].1)(c),
            Axis::Mode(v) => c.mode = v[i],
            Axis::Backend(v) => c.backend = v[i],
            Axis::Workers(v) => c.workers = v[i],
            Axis::Peers(v) => c.parallel.peers = v[i],
            Axis::Accumulate(v) => c.parallel.accumulate = v[i],
            Axis::Threads(v) => *s.threads = Some(v[i]),
            Axis::Simd(v) => *s.simd = Some(v[i].clone()),
        }
        Ok(())
    }
}

impl fmt::Debug for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Axis::{:?}({}: {:?})",
            self.kind(),
            self.name(),
            self.labels()
        )
    }
}

/// Sets the config field at the dotted `path` to `value` through the config's serde form:
/// the field must exist (a misspelt one is refused by the config's `deny_unknown_fields`,
/// naming it) and the result must be a valid config.
pub(crate) fn set_field(
    config: &mut TrainConfig,
    path: &str,
    value: &serde_json::Value,
) -> Result<(), Error> {
    let bad = |why: String| {
        Error::new(
            ErrorKind::Invalid,
            None,
            format!("sweep axis `{path}` = {value}: {why}"),
        )
    };
    let mut doc = serde_json::to_value(&*config).map_err(|e| bad(e.to_string()))?;
    let parts: Vec<&str> = path.split('.').collect();
    let mut at = &mut doc;
    for (depth, part) in parts.iter().enumerate() {
        let serde_json::Value::Object(map) = at else {
            return Err(bad(format!(
                "`{}` is not a table",
                parts[..depth].join(".")
            )));
        };
        // Tables written only when not default (`parallel`, `seeds`, `validation`, ...) are
        // absent from the serde form: they are created, and an unknown name is refused when
        // the config is read back.
        at = map
            .entry((*part).to_owned())
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
    }
    *at = value.clone();
    let new: TrainConfig = serde_json::from_value(doc).map_err(|e| bad(e.to_string()))?;
    new.validate().map_err(|e| bad(e.to_string()))?;
    *config = new;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OptimizerConfig;

    #[test]
    fn fields_are_set_by_path_and_typos_are_refused() {
        let mut c = TrainConfig::default();
        set_field(&mut c, "optimizer.lr", &serde_json::json!(0.5)).unwrap();
        assert_eq!(c.optimizer.lr(), 0.5);
        assert!(matches!(c.optimizer, OptimizerConfig::Adam(_)));
        set_field(&mut c, "batch_size", &serde_json::json!(8)).unwrap();
        assert_eq!(c.batch_size, 8);
        set_field(&mut c, "parallel.peers", &serde_json::json!(2)).unwrap();
        assert_eq!(c.parallel.peers, 2);
        set_field(&mut c, "seeds.init", &serde_json::json!(4)).unwrap();
        assert_eq!(c.seeds.init, Some(4));
        let e = set_field(&mut c, "optimizer.lrr", &serde_json::json!(0.1)).unwrap_err();
        assert!(e.to_string().contains("lrr"), "{e}");
        let e = set_field(&mut c, "batch_size", &serde_json::json!(0)).unwrap_err();
        assert!(e.to_string().contains("batch_size"), "{e}");
        let e = set_field(&mut c, "batch_size.x", &serde_json::json!(1)).unwrap_err();
        assert!(e.to_string().contains("not a table"), "{e}");
        assert_eq!(
            c.batch_size, 8,
            "a refused value leaves the config as it was"
        );
    }

    #[test]
    fn bad_axes_are_refused_by_name() {
        for (axis, why) in [
            (Axis::Seed(vec![]), "no values"),
            (Axis::InitSeed(vec![1, 1]), "given twice"),
            (Axis::Threads(vec![0]), "a count of 0"),
            (Axis::Simd(vec!["avx9".into()]), "not a SIMD level"),
            (Axis::field("optimizer..lr", [0.1]), "not a field path"),
        ] {
            let e = axis.check().unwrap_err().to_string();
            assert!(e.contains(why) && e.contains(&axis.name()), "{e}");
        }
        assert!(Axis::field("optimizer.lr", [0.1, 0.2]).check().is_ok());
        assert_eq!(
            Axis::field("optimizer.lr", [0.001, 0.01]).labels(),
            ["0.001", "0.01"]
        );
    }
}
