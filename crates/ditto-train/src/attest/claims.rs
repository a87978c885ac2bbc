//! Checking a statement: its data against the files (and the compiled-in sets) before a
//! replay, and its claims against the statement of a replay or of a rerun made by the run's
//! program. Every claim is confirmed or reported with both values; nothing is skipped without
//! saying so.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::attest::{DataClaims, Statement};
use crate::model_record::ModelRecord;
use crate::seeds::RunSeeds;

/// Class: not applicable (a comparison). One claim that does not hold: what the statement
/// says and what was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimDiff {
    /// The claim (`final fingerprint`, `data train_images`, `parameter layers.0.weight`).
    pub claim: String,
    /// The statement's value.
    pub statement: String,
    /// The value found.
    pub found: String,
}

/// Class: not applicable (a comparison). The outcome of checking a statement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimCheck {
    /// Claims that hold, one line each.
    pub confirmed: Vec<String>,
    /// Claims that do not.
    pub differ: Vec<ClaimDiff>,
    /// Claims not compared, and why.
    pub skipped: Vec<String>,
}

impl fmt::Display for ClaimDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the statement says {}, found {}",
            self.claim, self.statement, self.found
        )
    }
}

impl ClaimCheck {
    /// Class: not applicable. Whether every compared claim holds.
    pub fn holds(&self) -> bool {
        self.differ.is_empty()
    }

    fn claim(&mut self, claim: impl Into<String>, statement: String, found: String) {
        let claim = claim.into();
        if statement == found {
            self.confirmed.push(format!("{claim}: {statement}"));
        } else {
            self.differ.push(ClaimDiff {
                claim,
                statement,
                found,
            });
        }
    }

    /// Class: not applicable. Appends `other`'s lines.
    pub fn extend(&mut self, other: ClaimCheck) {
        self.confirmed.extend(other.confirmed);
        self.differ.extend(other.differ);
        self.skipped.extend(other.skipped);
    }
}

impl fmt::Display for ClaimCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.confirmed {
            writeln!(f, "  confirmed  {c}")?;
        }
        for d in &self.differ {
            writeln!(f, "  DIFFERS    {d}")?;
        }
        for s in &self.skipped {
            writeln!(f, "  not compared: {s}")?;
        }
        Ok(())
    }
}

impl Statement {
    /// Class: portable (reads the data files). The statement's data claims against what is
    /// here, before anything is trained: the claims against the statement's own config, each
    /// bundled file against the set compiled into this build, each pinned file's bytes
    /// (looked up in `data_dir` under its recorded name when given) against its claim.
    pub fn check_data(&self, data_dir: Option<&Path>) -> ClaimCheck {
        let mut c = ClaimCheck::default();
        let mut config = match self.config() {
            Ok(cfg) => cfg,
            Err(e) => {
                c.differ.push(ClaimDiff {
                    claim: "config".into(),
                    statement: "a recorded config".into(),
                    found: format!("one that does not parse: {e}"),
                });
                return c;
            }
        };
        let own = DataClaims::of(&config.data.source);
        c.claim(
            "data claims match the statement's config",
            data_summary(&self.data),
            data_summary(&own),
        );
        for claim in &self.data.bundled {
            let compiled = ditto_data::bundled::file_hashes(&self.data.source)
                .iter()
                .find(|(f, _)| *f == claim.role)
                .map(|(_, sha)| format!("sha256 {sha}"));
            c.claim(
                format!("bundled {} compiled into this ditto", claim.role),
                sha(claim.sha256.as_deref()),
                compiled.unwrap_or_else(|| "no such file".into()),
            );
        }
        if let Some(dir) = data_dir {
            config.data.source.relocate(dir);
        }
        let claims = &self.data.files;
        for (role, file) in config.data.source.files() {
            let claim = claims.iter().find(|f| f.role == role);
            let want = claim.map_or("no claim".to_owned(), |f| {
                pin_text(f.sha256.as_deref(), f.bytes)
            });
            let found = match ditto_data::read_pinned(&file.path, None) {
                Ok((_, pin)) => pin_text(Some(&pin.sha256.to_string()), Some(pin.bytes)),
                Err(e) => format!("no readable file at {} ({e})", file.path.display()),
            };
            c.claim(
                format!("data {role} ({})", file.path.display()),
                want,
                found,
            );
        }
        c
    }

    /// Class: portable. The statement's claims against `rerun`, the statement of a replay or
    /// a rerun of the same run: the result (steps, final fingerprint, test loss and metrics),
    /// the model's parameter table, the data, the seed tree and the run's identity
    /// (`compare_identity`: `false` when the replay read moved data, whose paths are part of
    /// the recorded config).
    pub fn check_against(&self, rerun: &Statement, compare_identity: bool) -> ClaimCheck {
        let mut c = ClaimCheck::default();
        let (a, b) = (&self.result, &rerun.result);
        c.claim("steps", a.steps.to_string(), b.steps.to_string());
        c.claim(
            "final fingerprint",
            a.fingerprint.clone(),
            b.fingerprint.clone(),
        );
        c.claim(
            "test loss",
            loss_text(a.test_loss, ""),
            loss_text(b.test_loss, ""),
        );
        let names: std::collections::BTreeSet<&String> =
            a.test_metrics.keys().chain(b.test_metrics.keys()).collect();
        for name in names {
            let show = |v: Option<&f64>| v.map_or("(absent)".to_owned(), |v| v.to_string());
            c.claim(
                format!("test {name}"),
                show(a.test_metrics.get(name)),
                show(b.test_metrics.get(name)),
            );
        }
        c.claim("seed", self.seed.to_string(), rerun.seed.to_string());
        c.claim("mode", self.mode.to_string(), rerun.mode.to_string());
        // The tree of the statement's own seed and `[seeds]` overrides (a config that does
        // not parse fails its own claim; its seed alone gives the tree then).
        let tree = crate::config::TrainConfig::from_recorded_toml(&self.config_toml)
            .map_or_else(|_| RunSeeds::new(self.seed), |c| RunSeeds::of(&c))
            .labels();
        c.claim("seed tree", seeds_text(&self.seeds), seeds_text(&tree));
        if compare_identity {
            let show = |r: &Option<crate::run_id::RunId>| {
                r.as_ref().map_or("(none)".to_owned(), |r| r.to_string())
            };
            c.claim("run identity", show(&self.run_id), show(&rerun.run_id));
        } else {
            c.skipped.push(
                "run identity: the replay read the data from another directory, and the \
                 identity covers the recorded paths (the data's content is compared)"
                    .into(),
            );
        }
        match (&self.model, &rerun.model) {
            (Some(x), Some(y)) => check_model(&mut c, x, y),
            (None, _) => c.skipped.push(
                "parameter table: the statement has none (a run from before model.json)".into(),
            ),
            (Some(_), None) => c.differ.push(ClaimDiff {
                claim: "parameter table".into(),
                statement: "a table".into(),
                found: "no model.json in the rerun".into(),
            }),
        }
        check_data_claims(&mut c, &self.data, &rerun.data);
        c
    }
}

fn check_model(c: &mut ClaimCheck, a: &ModelRecord, b: &ModelRecord) {
    c.claim("model type", a.type_name.clone(), b.type_name.clone());
    let before = c.differ.len();
    for row in &a.parameters {
        match b.parameters.iter().find(|r| r.path == row.path) {
            None => c.differ.push(ClaimDiff {
                claim: format!("parameter {}", row.path),
                statement: format!("{:?} {}", row.shape, row.dtype),
                found: "no such parameter".into(),
            }),
            Some(other) => {
                let show = |r: &crate::model_record::ParamRow| {
                    format!(
                        "{} {:?} {} x{} init blake3 {}",
                        r.module, r.shape, r.dtype, r.count, r.init_blake3
                    )
                };
                if show(row) != show(other) {
                    c.differ.push(ClaimDiff {
                        claim: format!("parameter {}", row.path),
                        statement: show(row),
                        found: show(other),
                    });
                }
            }
        }
    }
    for extra in b
        .parameters
        .iter()
        .filter(|r| !a.parameters.iter().any(|x| x.path == r.path))
    {
        c.differ.push(ClaimDiff {
            claim: format!("parameter {}", extra.path),
            statement: "no such parameter".into(),
            found: format!("{:?} {}", extra.shape, extra.dtype),
        });
    }
    if c.differ.len() == before {
        c.confirmed.push(format!(
            "parameter table: {} tensors, {} values, each path, module, shape, dtype, count \
             and hash at initialisation",
            a.tensors, a.values
        ));
    }
}

fn check_data_claims(c: &mut ClaimCheck, a: &DataClaims, b: &DataClaims) {
    c.claim("data source", a.source.clone(), b.source.clone());
    for f in &a.files {
        let found = b
            .files
            .iter()
            .find(|g| g.role == f.role)
            .map_or("no such file".to_owned(), |g| {
                pin_text(g.sha256.as_deref(), g.bytes)
            });
        c.claim(
            format!("data {}", f.role),
            pin_text(f.sha256.as_deref(), f.bytes),
            found,
        );
    }
    for f in &a.bundled {
        let found = b
            .bundled
            .iter()
            .find(|g| g.role == f.role)
            .map_or("no such file".to_owned(), |g| sha(g.sha256.as_deref()));
        c.claim(
            format!("bundled {}", f.role),
            sha(f.sha256.as_deref()),
            found,
        );
    }
    if a.content_sha256.is_some() || b.content_sha256.is_some() {
        let show = |d: Option<ditto_data::Sha256Digest>| {
            d.map_or("not recorded".to_owned(), |d| format!("sha256 {d}"))
        };
        c.claim(
            "in-memory data content",
            show(a.content_sha256),
            show(b.content_sha256),
        );
    }
    if a.class_names.is_some() || b.class_names.is_some() {
        c.claim(
            "class names",
            format!("{:?}", a.class_names),
            format!("{:?}", b.class_names),
        );
    }
}

fn pin_text(sha256: Option<&str>, bytes: Option<u64>) -> String {
    match (sha256, bytes) {
        (Some(s), Some(b)) => format!("sha256 {s} ({b} bytes)"),
        (Some(s), None) => format!("sha256 {s}"),
        _ => "not pinned".to_owned(),
    }
}

fn sha(s: Option<&str>) -> String {
    s.map_or("not recorded".to_owned(), |s| format!("sha256 {s}"))
}

fn data_summary(d: &DataClaims) -> String {
    let mut parts = vec![d.source.clone()];
    for f in d.files.iter().chain(&d.bundled) {
        parts.push(format!(
            "{} {}",
            f.role,
            pin_text(f.sha256.as_deref(), f.bytes)
        ));
    }
    if let Some(h) = d.content_sha256 {
        parts.push(format!("content sha256 {h}"));
    }
    parts.join("; ")
}

fn seeds_text(s: &[crate::seeds::SeedLabel]) -> String {
    s.iter()
        .map(|l| format!("{} {}", l.label, l.seed))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A test loss with its bits (`label` names them), or why there is none: the run has no test
/// split, or it stopped before its last step (`--stop-at`), which evaluates no test split.
pub(crate) fn loss_text(loss: Option<f32>, label: &str) -> String {
    match loss {
        Some(l) if label.is_empty() => format!("{l} ({:#010x})", l.to_bits()),
        Some(l) => format!("{l} ({label} {:#010x})", l.to_bits()),
        None => "(none: no test split, or the run stopped before its end)".to_owned(),
    }
}
