//! `manifest.json`: what produced a run directory, written by every process that trains in
//! it: the provenance (also in every checkpoint), the run's identity and the program.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::provenance::Provenance;
use crate::run_id::RunId;

/// Class: not applicable (a record). The program that trained (this process): what
/// `report.md` tells a reader to run again for a model that a program built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// The executable's path (`std::env::current_exe`), or `unknown`.
    pub exe: String,
    /// BLAKE3 of the executable's bytes, when it could be read.
    pub exe_blake3: Option<String>,
    /// The command line, the program's name first.
    pub args: Vec<String>,
    /// The working directory, when known.
    pub cwd: Option<String>,
}

/// Class: not applicable (a record). The contents of `manifest.json`: the provenance's fields
/// at the top level, then the run's identity and the program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Versions, toolchain, machine, backend (the same record as in every checkpoint).
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The run this directory holds; `None` for runs that started before runs had an
    /// identity.
    #[serde(default)]
    pub run_id: Option<RunId>,
    /// The program that wrote this manifest (the last process that trained in the directory).
    #[serde(default)]
    pub program: Option<Program>,
}

impl Program {
    /// Class: not applicable (reads the process's environment). This process.
    pub fn current() -> Self {
        let exe = std::env::current_exe().ok();
        let exe_blake3 = exe.as_deref().and_then(hash_file);
        Self {
            exe: exe.map_or("unknown".to_owned(), |p| p.display().to_string()),
            exe_blake3,
            args: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            cwd: std::env::current_dir()
                .ok()
                .map(|p| p.display().to_string()),
        }
    }

    /// Class: not applicable. The command line as a shell would take it back (arguments with
    /// spaces or quotes single-quoted).
    pub fn command_line(&self) -> String {
        let quote = |a: &String| {
            if !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        };
        self.args.iter().map(quote).collect::<Vec<_>>().join(" ")
    }
}

impl Manifest {
    /// Class: not applicable (I/O). Reads `dir/manifest.json`; `Ok(None)` when there is none.
    ///
    /// Errors: [`ErrorKind::Io`], or [`ErrorKind::Invalid`] for a file that does not parse.
    pub fn read(dir: &Path) -> Result<Option<Self>, Error> {
        let path = dir.join("manifest.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, "reading", e)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, Some(&path), "parsing", e))
    }
}

fn hash_file(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut h = blake3::Hasher::new();
    h.update_reader(file).ok()?;
    Some(h.finalize().to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let p = Program {
            exe: "/x".into(),
            exe_blake3: None,
            args: vec![
                "/bin/train".into(),
                "--out".into(),
                "my runs/a".into(),
                "it's".into(),
                String::new(),
            ],
            cwd: None,
        };
        assert_eq!(
            p.command_line(),
            r"/bin/train --out 'my runs/a' 'it'\''s' ''"
        );
    }

    #[test]
    fn this_process_is_named_and_hashed() {
        let p = Program::current();
        assert!(!p.args.is_empty());
        let exe = std::fs::read(&p.exe).unwrap();
        assert_eq!(
            p.exe_blake3.as_deref(),
            Some(blake3::hash(&exe).to_hex().as_str())
        );
    }
}
