//! `verifications.jsonl`: what was verified where. Every `ditto replay` of a run and every
//! `ditto attest --verify` of its statement appends one line to the run's directory: which
//! check, its verdict, the machine it ran on, and how that machine's environment differed
//! from the run's (with whether the run's mode owed identity across it). `ditto attest` lists
//! them.

use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::env_check::{EnvCheck, Factor};
use crate::error::{Error, ErrorKind};
use crate::lock::RunLock;
use crate::provenance::Provenance;
use crate::records::parse_lines;

/// Class: not applicable (a file name). The file of a run directory that records
/// verifications.
pub const VERIFICATIONS: &str = "verifications.jsonl";

/// Class: not applicable (a choice). Which check verified the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerificationKind {
    /// `ditto replay`: retrained from the run's config, every traced step and the final
    /// weights compared.
    Replay,
    /// `ditto attest --verify`: the run's statement checked against a replay or a rerun.
    AttestVerify,
}

/// Class: not applicable (a record). The outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerificationVerdict {
    /// Every compared bit and claim matched.
    Identical,
    /// Something differed (the record says what).
    Different,
}

/// Class: not applicable (a record of the machine). Where a verification ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// The host's name, when the OS says.
    pub host: Option<String>,
    /// CPU vendor and model, when the OS says.
    pub cpu: Option<String>,
    /// OS and version.
    pub os: String,
    /// The backend and device of the replay.
    pub backend: String,
    /// The GPU adapter, for a Wgpu replay.
    pub gpu: Option<String>,
    /// Threads.
    pub threads: usize,
    /// ditto's version.
    pub ditto_version: String,
}

/// Class: not applicable (a record). One line of `verifications.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Which check.
    pub kind: VerificationKind,
    /// Its verdict.
    pub verdict: VerificationVerdict,
    /// What was compared, or what differed.
    pub detail: String,
    /// Where it ran.
    pub machine: Machine,
    /// The factors of that machine's environment that differed from the run's.
    pub environment_differences: Vec<Factor>,
    /// Whether the run's mode owed the same bits across those differences.
    pub identity_owed: bool,
    /// Seconds since the Unix epoch when it was recorded (this file is not part of any
    /// checkpoint).
    pub at_unix_s: u64,
    /// Where the replay or rerun was written, when there was one.
    pub rerun_dir: Option<String>,
}

impl VerificationKind {
    /// Class: not applicable. The command that made the check.
    pub fn name(self) -> &'static str {
        match self {
            VerificationKind::Replay => "ditto replay",
            VerificationKind::AttestVerify => "ditto attest --verify",
        }
    }
}

impl VerificationVerdict {
    /// Class: not applicable. The verdict as the commands print it.
    pub fn name(self) -> &'static str {
        match self {
            VerificationVerdict::Identical => "IDENTICAL",
            VerificationVerdict::Different => "DIFFERENT",
        }
    }
}

impl Machine {
    /// Class: not applicable (reads the machine). The machine described by `provenance`
    /// (collected on it) with its host name.
    pub fn of(provenance: &Provenance) -> Self {
        let p = provenance;
        let cpu = match (&p.cpu_vendor, &p.cpu_model) {
            (None, None) => None,
            (v, m) => Some(
                [v.as_deref(), m.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        };
        Self {
            host: crate::provenance::hostname(),
            cpu,
            os: match &p.os_version {
                Some(v) => format!("{} ({v})", p.os),
                None => p.os.clone(),
            },
            backend: format!("{} ({})", p.backend, p.device),
            gpu: p.gpu.as_ref().map(|g| g.describe()),
            threads: p.threads,
            ditto_version: p.ditto_version.clone(),
        }
    }

    /// Class: not applicable. One line.
    pub fn describe(&self) -> String {
        let mut parts = vec![self.host.clone().unwrap_or_else(|| "(host unknown)".into())];
        parts.extend(self.cpu.clone());
        parts.push(self.os.clone());
        parts.push(self.backend.clone());
        parts.extend(self.gpu.clone());
        parts.push(format!("{} threads", self.threads));
        parts.push(format!("ditto {}", self.ditto_version));
        parts.join(", ")
    }
}

impl Verification {
    /// Class: not applicable (reads the clock). A verification of `kind` with `verdict` and
    /// `detail`, made on the machine `provenance` describes, whose environment `check`
    /// compared with the run's.
    pub fn new(
        kind: VerificationKind,
        identical: bool,
        detail: impl Into<String>,
        provenance: &Provenance,
        check: &EnvCheck,
        rerun_dir: Option<&Path>,
    ) -> Self {
        Self {
            kind,
            verdict: if identical {
                VerificationVerdict::Identical
            } else {
                VerificationVerdict::Different
            },
            detail: detail.into(),
            machine: Machine::of(provenance),
            environment_differences: check.rows.iter().map(|r| r.factor).collect(),
            identity_owed: check.identity_owed(),
            at_unix_s: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            rerun_dir: rerun_dir.map(|d| {
                std::path::absolute(d)
                    .unwrap_or_else(|_| d.to_path_buf())
                    .display()
                    .to_string()
            }),
        }
    }

    /// Class: not applicable (I/O). Appends this record to `run_dir`'s `verifications.jsonl`,
    /// holding the run directory's lock while it writes.
    ///
    /// Errors: [`ErrorKind::Locked`] while another process trains in the directory,
    /// [`ErrorKind::Io`].
    pub fn append(&self, run_dir: &Path) -> Result<(), Error> {
        let line = serde_json::to_string(self)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "a verification", e))?;
        let lock = RunLock::acquire(run_dir)?;
        let path = run_dir.join(VERIFICATIONS);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, "opening", e))?;
        f.write_all(format!("{line}\n").as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(&path, "appending", e))?;
        drop(lock);
        Ok(())
    }

    /// Class: not applicable (I/O). Every record of `run_dir`'s `verifications.jsonl`, oldest
    /// first; none when the file does not exist.
    ///
    /// Errors: [`ErrorKind::Io`], [`ErrorKind::Invalid`] for a line that does not parse.
    pub fn read_all(run_dir: &Path) -> Result<Vec<Self>, Error> {
        let path = run_dir.join(VERIFICATIONS);
        match std::fs::read_to_string(&path) {
            Ok(t) => parse_lines(&t, VERIFICATIONS).map_err(|e| e.at(&path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(Error::io(&path, "reading", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Mode, TrainConfig};
    use crate::env_check::{EnvFacts, Environment};
    use crate::manifest::Manifest;

    #[test]
    fn records_append_and_read_back_in_order() {
        let t = tempfile::tempdir().unwrap();
        let p = Provenance::collect("ditto<ndarray>", "Cpu");
        let facts = EnvFacts::of_manifest(&Manifest {
            provenance: p.clone(),
            run_id: None,
            program: None,
        })
        .unwrap();
        let env = Environment::new(facts, &TrainConfig::default());
        let mut other = env.clone();
        other.workers = 3;
        let check = EnvCheck::compare(&env, &other, Mode::Canonical, None);
        let a = Verification::new(VerificationKind::Replay, true, "same", &p, &check, None);
        let b = Verification::new(
            VerificationKind::AttestVerify,
            false,
            "fingerprint differs",
            &p,
            &check,
            Some(Path::new("/x")),
        );
        a.append(t.path()).unwrap();
        b.append(t.path()).unwrap();
        let all = Verification::read_all(t.path()).unwrap();
        assert_eq!(all, [a, b]);
        assert_eq!(all[1].environment_differences, [Factor::Workers]);
        assert!(all[1].identity_owed);
        assert!(all[0].machine.describe().contains("threads"));
        assert!(
            !t.path().join(crate::lock::LOCK_FILE).exists() || RunLock::acquire(t.path()).is_ok()
        );
        assert!(
            Verification::read_all(&t.path().join("none"))
                .unwrap()
                .is_empty()
        );
    }
}
