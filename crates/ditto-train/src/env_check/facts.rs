//! One side of an environment check: what a run recorded (its `manifest.json`, `config.toml`
//! and `model.json`), or what this process would record now.
//!
//! The provenance is read through [`EnvFacts`], a view with every field optional, rather than
//! through [`crate::Provenance`] itself: a manifest written by an older ditto lacks fields,
//! one written by a newer ditto may hold fields this one does not know (the instruction sets
//! in effect, `kernel_isa` and `matmul_isa`, are compared wherever a record holds them).

use std::path::Path;

use ditto_kernels::GpuAdapter;
use serde::{Deserialize, Deserializer, Serialize};

use crate::config::{BackendKind, Mode, ParallelConfig, TrainConfig};
use crate::error::{Error, ErrorKind};
use crate::manifest::{Manifest, Program};
use crate::model_record::{ModelOrigin, ModelRecord};
use crate::provenance::Project;

/// Class: not applicable (a record). The provenance fields an environment check compares, as
/// a manifest or a checkpoint records them; each is `None` where the record lacks it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EnvFacts {
    /// ditto's version.
    #[serde(default)]
    pub ditto_version: Option<String>,
    /// Burn's version.
    #[serde(default)]
    pub burn_version: Option<String>,
    /// `rustc -V`.
    #[serde(default)]
    pub rustc_version: Option<String>,
    /// The target triple.
    #[serde(default)]
    pub target: Option<String>,
    /// The CPU features that change kernel selection.
    #[serde(default)]
    pub cpu_features: Option<Vec<String>>,
    /// The OS family (`linux`).
    #[serde(default)]
    pub os: Option<String>,
    /// The backend as Burn names it.
    #[serde(default)]
    pub backend: Option<String>,
    /// The device.
    #[serde(default)]
    pub device: Option<String>,
    /// Threads available.
    #[serde(default)]
    pub threads: Option<usize>,
    /// BLAKE3 of the build's `Cargo.lock`.
    #[serde(default)]
    pub cargo_lock_blake3: Option<String>,
    /// The project's git commit.
    #[serde(default)]
    pub git_commit: Option<String>,
    /// Whether the project's checkout had uncommitted changes.
    #[serde(default)]
    pub git_dirty: Option<bool>,
    /// The project.
    #[serde(default)]
    pub project: Option<Project>,
    /// CPU vendor.
    #[serde(default)]
    pub cpu_vendor: Option<String>,
    /// CPU model.
    #[serde(default)]
    pub cpu_model: Option<String>,
    /// OS name and version.
    #[serde(default)]
    pub os_version: Option<String>,
    /// Kernel release.
    #[serde(default)]
    pub kernel_release: Option<String>,
    /// The canonical specification's version.
    #[serde(default)]
    pub canonical_spec_version: Option<u32>,
    /// The GPU adapter.
    #[serde(default)]
    pub gpu: Option<GpuAdapter>,
    /// The instruction set ditto's own kernels ran on, where the record holds it (shown as
    /// recorded).
    #[serde(default)]
    pub kernel_isa: Option<Shown>,
    /// The instruction set matrixmultiply's kernels ran on, where the record holds it.
    #[serde(default)]
    pub matmul_isa: Option<Shown>,
    /// The program that trained (a manifest's `program`; absent in checkpoints).
    #[serde(default)]
    pub program: Option<Program>,
}

/// Class: not applicable. A recorded value of any JSON type, kept as text (a string as it
/// is, anything else as compact JSON), for fields whose type this version does not fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Shown(pub String);

impl<'de> Deserialize<'de> for Shown {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Shown(match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        }))
    }
}

/// Class: not applicable (a record). One side of an environment check: the provenance, and
/// the run's settings that are not provenance but change with the environment a run is
/// continued in (backend, workers, peers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    /// The provenance's fields.
    pub facts: EnvFacts,
    /// The backend the run trains on (the config's).
    pub backend: BackendKind,
    /// Data-loader workers.
    pub workers: usize,
    /// `[parallel]`: peers and micro-batches per peer.
    pub parallel: ParallelConfig,
}

/// Class: not applicable (a record). What a run is, for judging its environment: its mode,
/// where its model came from, its directory.
#[derive(Clone, Debug, PartialEq)]
pub struct RunFacts {
    /// The run's kernel mode (what it promises).
    pub mode: Mode,
    /// Where the trained model came from (`model.json`); `None` in runs from before it.
    pub origin: Option<ModelOrigin>,
    /// The run's recorded config.
    pub config: TrainConfig,
    /// The environment it recorded.
    pub env: Environment,
}

impl EnvFacts {
    /// Class: not applicable. The fields of a manifest (this process's, or one read back).
    ///
    /// Errors: none in practice ([`ErrorKind::Invalid`] if the manifest cannot be written as
    /// JSON).
    pub fn of_manifest(manifest: &Manifest) -> Result<Self, Error> {
        let value = serde_json::to_value(manifest)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "the manifest", e))?;
        serde_json::from_value(value)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "the manifest", e))
    }

    /// Class: not applicable. The same facts without those of a program's build (ditto, Burn,
    /// canonical spec and rustc versions, `Cargo.lock`, the program and its project): what a
    /// check made by another program knows of this machine for a run whose model a program
    /// built. [`crate::EnvCheck::compare`] then notes those factors as not compared, rather
    /// than judging the `ditto` binary's build against the run's program's.
    pub fn machine_only(self) -> Self {
        Self {
            ditto_version: None,
            burn_version: None,
            rustc_version: None,
            cargo_lock_blake3: None,
            canonical_spec_version: None,
            git_commit: None,
            git_dirty: None,
            project: None,
            program: None,
            ..self
        }
    }

    /// Class: not applicable. The fields of a manifest's or checkpoint provenance's JSON text.
    ///
    /// Errors: [`ErrorKind::Invalid`] for text that is not such a record.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Self, Error> {
        serde_json::from_str(text)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, path, "parsing", e))
    }
}

impl Environment {
    /// Class: not applicable. The environment `config` runs in with the provenance `facts`.
    pub fn new(facts: EnvFacts, config: &TrainConfig) -> Self {
        Self {
            facts,
            backend: config.backend,
            workers: config.workers,
            parallel: config.parallel,
        }
    }
}

impl RunFacts {
    /// Class: not applicable (I/O). A run directory's mode, model origin, config and recorded
    /// environment (`config.toml`, `manifest.json`, `model.json`).
    ///
    /// Errors: [`ErrorKind::Io`] when `config.toml` or `manifest.json` cannot be read (a
    /// directory that is not a run), [`ErrorKind::Invalid`] when one does not parse.
    pub fn read(dir: &Path) -> Result<Self, Error> {
        let config_path = dir.join("config.toml");
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| Error::io(&config_path, "reading (not a run directory?)", e))?;
        let config = TrainConfig::from_recorded_toml(&text).map_err(|e| e.at(&config_path))?;
        let manifest_path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(|e| Error::io(&manifest_path, "reading", e))?;
        let facts = EnvFacts::parse(&text, Some(&manifest_path))?;
        let origin = read_model(dir)?.map(|m| m.origin);
        Ok(Self {
            mode: config.mode,
            origin,
            env: Environment::new(facts, &config),
            config,
        })
    }
}

/// `model.json`, `None` in runs written before it existed.
pub(crate) fn read_model(dir: &Path) -> Result<Option<ModelRecord>, Error> {
    let path = dir.join("model.json");
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, Some(&path), "parsing", e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, "reading", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::Provenance;

    #[test]
    fn old_and_newer_records_both_parse() {
        // A manifest from before the new fields, with an `isa` field of a kind this version
        // does not know and one it does (as an object).
        let text = r#"{"ditto_version":"0.1.0","burn_version":"0.21.0","rustc_version":"r",
            "target":"x86_64-unknown-linux-gnu","cpu_features":["avx2"],"os":"linux",
            "backend":"b","device":"Cpu","threads":4,"cargo_lock_blake3":"ab",
            "git_commit":null,"run_id":"00","future_field":{"x":1},
            "matmul_isa":{"level":"sse2"},"kernel_isa":"avx2"}"#;
        let f = EnvFacts::parse(text, None).unwrap();
        assert_eq!(f.threads, Some(4));
        assert_eq!(f.cpu_model, None);
        assert_eq!(f.kernel_isa, Some(Shown("avx2".into())));
        assert_eq!(f.matmul_isa, Some(Shown(r#"{"level":"sse2"}"#.into())));
        assert!(EnvFacts::parse("[1]", None).is_err());
    }

    #[test]
    fn a_machine_only_view_keeps_the_machine_and_drops_the_build() {
        let p = Provenance::collect("ditto<ndarray>", "Cpu");
        let m = Manifest {
            provenance: p.clone(),
            run_id: None,
            program: Some(Program::current()),
        };
        let f = EnvFacts::of_manifest(&m).unwrap().machine_only();
        assert_eq!(f.cpu_model, p.cpu_model);
        assert_eq!(f.threads, Some(p.threads));
        assert_eq!(f.target.as_deref(), Some(p.target.as_str()));
        assert_eq!(
            (f.ditto_version, f.rustc_version, f.program),
            (None, None, None)
        );
        assert_eq!(
            (f.cargo_lock_blake3, f.canonical_spec_version),
            (None, None)
        );
    }

    #[test]
    fn this_processs_manifest_reads_back_whole() {
        let p = Provenance::collect("ditto<ndarray>", "Cpu");
        let m = Manifest {
            provenance: p.clone(),
            run_id: None,
            program: Some(Program::current()),
        };
        let f = EnvFacts::of_manifest(&m).unwrap();
        assert_eq!(f.ditto_version.as_deref(), Some(p.ditto_version.as_str()));
        assert_eq!(f.cpu_model, p.cpu_model);
        assert_eq!(
            f.canonical_spec_version,
            Some(ditto_kernels::CANONICAL_SPEC_VERSION)
        );
        assert_eq!(f.program, m.program);
    }
}
