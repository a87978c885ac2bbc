//! The cells of a grid: every combination of the axes' values, each with its config, its
//! process settings and its directory name.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::error::{Error, ErrorKind};
use crate::sweep::axis::{Axis, Setting};

/// Class: not applicable. What the run factory gets for one cell: train `config` into `dir`
/// (`Trainer::out(dir)`), in a process with `threads` threads and `DITTO_SIMD = simd` where
/// those are set (in-process factories must leave them unset: a sweep with
/// [`Axis::Threads`] or [`Axis::Simd`] needs a factory that starts a process per cell).
#[derive(Clone, Copy, Debug)]
pub struct CellRun<'a> {
    /// The cell's name (its directory's name).
    pub id: &'a str,
    /// The cell's config: the sweep's base config with this cell's values.
    pub config: &'a TrainConfig,
    /// Where the run goes (empty; the sweep made it).
    pub dir: &'a Path,
    /// The thread count of the cell's process, from [`Axis::Threads`].
    pub threads: Option<usize>,
    /// `DITTO_SIMD` of the cell's process, from [`Axis::Simd`] (`auto`: unset).
    pub simd: Option<&'a str>,
}

/// One cell of the grid, planned.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) id: String,
    /// Axis name to value label.
    pub(crate) key: BTreeMap<String, String>,
    pub(crate) config: TrainConfig,
    pub(crate) threads: Option<usize>,
    pub(crate) simd: Option<String>,
}

/// What a finished cell was made from (`cells/<id>.cell.json`): the sweep reuses a cell only
/// when this is unchanged and its checkpoint verifies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct CellStamp {
    pub(crate) config: serde_json::Value,
    pub(crate) threads: Option<usize>,
    pub(crate) simd: Option<String>,
}

impl Plan {
    pub(crate) fn stamp(&self) -> Result<CellStamp, Error> {
        Ok(CellStamp {
            config: serde_json::to_value(&self.config)
                .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "the cell config", e))?,
            threads: self.threads,
            simd: self.simd.clone(),
        })
    }
}

/// Every cell of `axes` over `base`, the last axis varying fastest; each cell's config is
/// validated, and the directory names must be distinct.
pub(crate) fn plan(base: &TrainConfig, axes: &[Axis]) -> Result<Vec<Plan>, Error> {
    let mut names: Vec<String> = Vec::new();
    for a in axes {
        a.check()?;
        let n = a.name();
        if names.contains(&n) {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("sweep: the axis `{n}` is given twice"),
            ));
        }
        names.push(n);
    }
    let sizes: Vec<usize> = axes.iter().map(|a| a.labels().len()).collect();
    let total: usize = sizes.iter().product();
    if total > 100_000 {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!("sweep: {total} cells (more than 100000)"),
        ));
    }
    let labels: Vec<Vec<String>> = axes.iter().map(Axis::labels).collect();
    let mut plans = Vec::with_capacity(total);
    let mut index = vec![0usize; axes.len()];
    for _ in 0..total {
        let mut config = base.clone();
        let (mut threads, mut simd) = (None, None);
        let mut key = BTreeMap::new();
        let mut parts = Vec::new();
        for (ai, (a, &i)) in axes.iter().zip(&index).enumerate() {
            let mut s = Setting {
                config: &mut config,
                threads: &mut threads,
                simd: &mut simd,
            };
            a.apply(i, &mut s)?;
            let label = &labels[ai][i];
            key.insert(a.name(), label.clone());
            parts.push(format!("{}{}", a.kind().prefix(), sanitize(label)));
        }
        let id = if parts.is_empty() {
            "run".to_owned()
        } else {
            parts.join("-")
        };
        config.validate().map_err(|e| {
            Error::with_source(ErrorKind::Invalid, None, &format!("sweep cell {id}"), e)
        })?;
        if let Some(other) = plans.iter().find(|p: &&Plan| p.id == id) {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!(
                    "sweep: the cells {:?} and {:?} would share the directory name {id}: give \
                     the values labels that differ in letters, digits, `.`, `+`, `-` or `_`",
                    other.key, key
                ),
            ));
        }
        plans.push(Plan {
            id,
            key,
            config,
            threads,
            simd,
        });
        // The next combination: the last axis moves fastest.
        for d in (0..axes.len()).rev() {
            index[d] += 1;
            if index[d] < sizes[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Ok(plans)
}

/// A label as part of a directory name: letters, digits, `.`, `+`, `-` and `_` kept, anything
/// else `_`.
fn sanitize(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Mode;

    #[test]
    fn the_grid_is_every_combination_with_readable_names() {
        let axes = [
            Axis::Mode(vec![Mode::RunToRun, Mode::Canonical]),
            Axis::Threads(vec![1, 2]),
            Axis::Seed(vec![0, 1, 2]),
            Axis::field("optimizer.lr", [0.001]),
        ];
        let p = plan(&TrainConfig::default(), &axes).unwrap();
        assert_eq!(p.len(), 12);
        assert_eq!(p[0].id, "run-to-run-t1-s0-0.001");
        assert_eq!(p[11].id, "canonical-t2-s2-0.001");
        assert_eq!(p[4].threads, Some(2));
        assert_eq!((p[4].config.seed, p[4].config.mode), (1, Mode::RunToRun));
        assert_eq!(p[4].key["optimizer.lr"], "0.001");
        assert_eq!(p[4].config.optimizer.lr(), 0.001);
        let e = plan(
            &TrainConfig::default(),
            &[Axis::Seed(vec![1]), Axis::Seed(vec![2])],
        )
        .unwrap_err();
        assert!(e.to_string().contains("`seed` is given twice"), "{e}");
        let e = plan(
            &TrainConfig::default(),
            &[Axis::field("model.hidden", [vec![0]])],
        )
        .unwrap_err();
        assert!(e.to_string().contains("model.hidden"), "{e}");
        let none = plan(&TrainConfig::default(), &[]).unwrap();
        assert_eq!(none.len(), 1);
        assert_eq!(none[0].id, "run");
    }
}
