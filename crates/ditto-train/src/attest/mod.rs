//! `ditto attest`: a statement of what a run trained, on what, how and where, and what was
//! verified since, taken from the run directory's own files. `claims.rs` checks a statement
//! against a replay or a rerun, `markdown.rs` and `latex.rs` render it.

mod claims;
mod latex;
mod markdown;
mod sections;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{BackendKind, DataSource, Mode, TrainConfig};
use crate::env_check::read_model;
use crate::error::{Error, ErrorKind};
use crate::manifest::Manifest;
use crate::model_record::{ModelOrigin, ModelRecord};
use crate::provenance::Project;
use crate::records::RunSummary;
use crate::run_id::RunId;
use crate::seeds::{RunSeeds, SeedLabel};
use crate::verification::Verification;
pub use claims::{ClaimCheck, ClaimDiff};
use ditto_data::Sha256Digest;

/// Class: not applicable (a name). `format` of a statement.
pub const STATEMENT_FORMAT: &str = "ditto-attestation";
/// Class: not applicable (a number). The statement layout's version.
pub const STATEMENT_VERSION: u32 = 1;

/// Class: portable (a function of the run directory's files, but for the verifications'
/// machines and times). What a run trained, on what data, with which config and seeds, in
/// which environment, what it reached, and what was verified since: `ditto attest --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// [`STATEMENT_FORMAT`].
    pub format: String,
    /// [`STATEMENT_VERSION`].
    pub version: u32,
    /// The ditto that made the statement (`ditto 0.1.0`).
    #[serde(default)]
    pub made_by: String,
    /// The run directory when the statement was made (verifications are recorded there).
    pub run_dir: String,
    /// The run's identity (seed and recorded config).
    pub run_id: Option<RunId>,
    /// Seed, mode and backend, as the config says.
    pub seed: u64,
    /// The kernel mode.
    pub mode: Mode,
    /// The backend.
    pub backend: BackendKind,
    /// The model, as `model.json` records it (parameter table with hashes at initialisation);
    /// `None` for runs from before it.
    pub model: Option<ModelRecord>,
    /// The data, by content.
    pub data: DataClaims,
    /// The recorded config (`config.toml`), as written.
    pub config_toml: String,
    /// The seed tree's branches.
    pub seeds: Vec<SeedLabel>,
    /// The environment (`manifest.json`): provenance, run identity, program.
    pub environment: Manifest,
    /// What the run reached (`summary.json`): steps, final fingerprint, test metrics.
    pub result: RunSummary,
    /// Every verification recorded in the run directory.
    pub verifications: Vec<Verification>,
    /// How to reproduce the run.
    pub reproduce: Reproduce,
}

/// Class: portable. A run's data, by content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataClaims {
    /// What the data is (`digits`, `csv:train.csv`, `memory:<name>`).
    pub source: String,
    /// Files read through the config, each with its pin.
    #[serde(default)]
    pub files: Vec<FileClaim>,
    /// Bundled (compiled-in) files: name and SHA-256 of the decompressed bytes.
    #[serde(default)]
    pub bundled: Vec<FileClaim>,
    /// In-memory data's content hash (`TrainData::content_sha256`).
    #[serde(default)]
    pub content_sha256: Option<Sha256Digest>,
    /// A CSV source's text labels in class order.
    #[serde(default)]
    pub class_names: Option<Vec<String>>,
}

/// Class: portable. One data file: its role, path and content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileClaim {
    /// Its role (`train_images`, `path`, ...) or, for bundled files, its name.
    pub role: String,
    /// Where it was read from.
    pub path: String,
    /// SHA-256 of its bytes (bundled: decompressed); `None` when it was not pinned.
    pub sha256: Option<String>,
    /// Its length in bytes, when pinned (files read through the config).
    pub bytes: Option<u64>,
}

/// Class: not applicable (a record). How to reproduce a run, and then check this statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reproduce {
    /// ditto built the model from the config: `ditto attest --verify` replays the config.
    Replay {
        /// The command that replays and checks the statement.
        command: String,
    },
    /// A program built the model: run it again, then compare its run directory.
    Program {
        /// The program's command line.
        command_line: Option<String>,
        /// Its executable.
        exe: Option<String>,
        /// The executable's BLAKE3.
        exe_blake3: Option<String>,
        /// Its working directory.
        cwd: Option<String>,
        /// Its project (crate name, version, source directory), when it named one.
        project: Option<Box<Project>>,
        /// The project's git commit, when known.
        git_commit: Option<String>,
        /// Whether that checkout had uncommitted changes.
        git_dirty: Option<bool>,
        /// BLAKE3 of the build's `Cargo.lock`.
        cargo_lock_blake3: String,
        /// The command that checks this statement against the new run's directory.
        then: String,
    },
}

impl Statement {
    /// Class: portable (reads the run directory). The statement of the run in `dir`, from its
    /// `config.toml`, `manifest.json`, `model.json`, `summary.json` and `verifications.jsonl`.
    ///
    /// Errors: [`ErrorKind::Io`] for a missing file (`summary.json`: a run that has not
    /// finished), [`ErrorKind::Invalid`] for one that does not parse.
    pub fn of_run(dir: &Path) -> Result<Self, Error> {
        let read = |name: &str| {
            let p = dir.join(name);
            std::fs::read_to_string(&p).map_err(|e| Error::io(&p, "reading", e))
        };
        let config_toml = read("config.toml")?;
        let config = TrainConfig::from_recorded_toml(&config_toml)
            .map_err(|e| e.at(&dir.join("config.toml")))?;
        let environment = Manifest::read(dir)?.ok_or_else(|| {
            Error::new(ErrorKind::Io, Some(&dir.join("manifest.json")), "not found")
        })?;
        let summary_path = dir.join("summary.json");
        let result: RunSummary = serde_json::from_str(&read("summary.json").map_err(|e| {
            Error::new(
                ErrorKind::Io,
                Some(&summary_path),
                format!("{e} (a run has a summary once it has finished)"),
            )
        })?)
        .map_err(|e| Error::with_source(ErrorKind::Invalid, Some(&summary_path), "parsing", e))?;
        let model = read_model(dir)?;
        let reproduce = reproduce(&config, model.as_ref(), &environment);
        let dir_text = std::path::absolute(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .display()
            .to_string();
        Ok(Self {
            format: STATEMENT_FORMAT.to_owned(),
            version: STATEMENT_VERSION,
            made_by: format!("ditto {}", env!("CARGO_PKG_VERSION")),
            run_dir: dir_text,
            run_id: environment.run_id.clone(),
            seed: config.seed,
            mode: config.mode,
            backend: config.backend,
            model,
            data: DataClaims::of(&config.data.source),
            seeds: RunSeeds::of(&config).labels(),
            config_toml,
            environment,
            result,
            verifications: Verification::read_all(dir)?,
            reproduce,
        })
    }

    /// Class: not applicable (a parser). A statement from its JSON text (`ditto attest
    /// --json`).
    ///
    /// Errors: [`ErrorKind::Invalid`] for text that is not a statement, [`ErrorKind::Version`]
    /// for a newer layout.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Self, Error> {
        let s: Self = serde_json::from_str(text).map_err(|e| {
            Error::with_source(ErrorKind::Invalid, path, "parsing an attestation", e)
        })?;
        if s.format != STATEMENT_FORMAT {
            return Err(Error::new(
                ErrorKind::Invalid,
                path,
                format!("format {:?} is not {STATEMENT_FORMAT:?}", s.format),
            ));
        }
        if s.version > STATEMENT_VERSION {
            return Err(Error::new(
                ErrorKind::Version,
                path,
                format!(
                    "statement version {} is newer than this ditto's ({STATEMENT_VERSION})",
                    s.version
                ),
            ));
        }
        Ok(s)
    }

    /// Class: not applicable. The recorded config, parsed.
    ///
    /// Errors: [`ErrorKind::Invalid`].
    pub fn config(&self) -> Result<TrainConfig, Error> {
        TrainConfig::from_recorded_toml(&self.config_toml)
    }

    /// Class: not applicable. Where the model came from: `model.json`'s origin, or for runs
    /// from before it the config's `[model]` (`custom`: a program's).
    pub fn origin(&self) -> ModelOrigin {
        match (&self.model, self.config()) {
            (Some(m), _) => m.origin,
            (None, Ok(c)) if c.model.kind() != "custom" => ModelOrigin::Config,
            // A custom model, or a config that does not parse: nothing ditto can replay.
            (None, _) => ModelOrigin::Program,
        }
    }

    /// Class: not applicable. The statement as pretty JSON (what `--json` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Class: not applicable. The statement as Markdown.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    /// Class: not applicable. The statement as LaTeX tables (for `\input`).
    pub fn to_latex(&self) -> String {
        latex::render(self)
    }
}

impl DataClaims {
    /// Class: portable. The claims a run's recorded data source makes.
    pub fn of(source: &DataSource) -> Self {
        let files = source
            .files()
            .into_iter()
            .map(|(role, f)| FileClaim {
                role: role.to_owned(),
                path: f.path.display().to_string(),
                sha256: f.pin.map(|p| p.sha256.to_string()),
                bytes: f.pin.map(|p| p.bytes),
            })
            .collect();
        let bundled = match source {
            DataSource::Bundled(b) => ditto_data::bundled::file_hashes(b.name())
                .iter()
                .map(|(file, sha)| FileClaim {
                    role: (*file).to_owned(),
                    path: format!("bundled:{file}"),
                    sha256: Some((*sha).to_owned()),
                    bytes: None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Self {
            source: source.describe(),
            files,
            bundled,
            content_sha256: match source {
                DataSource::InMemory { content, .. } => *content,
                _ => None,
            },
            class_names: match source {
                DataSource::Csv(s) => s.class_names.clone(),
                _ => None,
            },
        }
    }
}

fn reproduce(config: &TrainConfig, model: Option<&ModelRecord>, m: &Manifest) -> Reproduce {
    let from_program = match model {
        Some(r) => r.origin == ModelOrigin::Program,
        None => config.model.kind() == "custom",
    };
    if !from_program {
        return Reproduce::Replay {
            command: "ditto attest --verify STATEMENT.json".to_owned(),
        };
    }
    let p = m.program.as_ref();
    Reproduce::Program {
        command_line: p.map(|p| p.command_line()),
        exe: p.map(|p| p.exe.clone()),
        exe_blake3: p.and_then(|p| p.exe_blake3.clone()),
        cwd: p.and_then(|p| p.cwd.clone()),
        project: m.provenance.project.clone().map(Box::new),
        git_commit: m.provenance.git_commit.clone(),
        git_dirty: m.provenance.git_dirty,
        cargo_lock_blake3: m.provenance.cargo_lock_blake3.clone(),
        then: "ditto attest --verify STATEMENT.json --run NEW_RUN_DIR".to_owned(),
    }
}

#[cfg(test)]
mod tests;
