//! The run directory: the files a run writes, and finding a run's newest checkpoint.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::atomic::write_atomic;
use crate::checkpoint::Checkpoint;
use crate::error::{Error, ErrorKind};
use crate::records::MetricsLine;

/// Class: not applicable (I/O). The newest checkpoint of `path` and the run directory it
/// belongs to. `path` is a checkpoint file (its run directory is two levels up for
/// `checkpoints/step-*`, one level up otherwise) or a run directory (its newest checkpoint:
/// `final`, `last` or the newest `checkpoints/step-*`, by step).
///
/// Errors: [`ErrorKind::Io`] when `path` is neither, [`ErrorKind::Invalid`] when the directory
/// holds no checkpoint; a damaged candidate is an error, never skipped.
pub fn locate_checkpoint(path: &Path) -> Result<(PathBuf, PathBuf), Error> {
    if path.is_file() {
        let parent = path.parent().unwrap_or(Path::new("."));
        let out = if parent.file_name().is_some_and(|n| n == "checkpoints") {
            parent.parent().unwrap_or(Path::new(".")).to_path_buf()
        } else {
            parent.to_path_buf()
        };
        return Ok((path.to_path_buf(), out));
    }
    if !path.is_dir() {
        return Err(Error::new(
            ErrorKind::Io,
            Some(path),
            "neither a checkpoint file nor a run directory",
        ));
    }
    let mut candidates: Vec<PathBuf> = match fs::read_dir(path.join("checkpoints")) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "safetensors")
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("step-"))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    candidates.sort();
    let mut pick: Option<(usize, PathBuf)> = None;
    let newest = candidates.pop();
    for p in [
        newest,
        Some(path.join("last.safetensors")),
        Some(path.join("final.safetensors")),
    ]
    .into_iter()
    .flatten()
    .filter(|p| p.is_file())
    {
        let step = Checkpoint::read(&p)?.run_state()?.step;
        if pick.as_ref().is_none_or(|(s, _)| step > *s) {
            pick = Some((step, p));
        }
    }
    match pick {
        Some((_, p)) => Ok((p, path.to_path_buf())),
        None => Err(Error::new(
            ErrorKind::Invalid,
            Some(path),
            "no checkpoint to resume from",
        )),
    }
}

/// Writes a text file atomically.
pub(crate) fn write_text(path: &Path, text: &str) -> Result<(), Error> {
    write_atomic(path, text.as_bytes())
}

/// Writes a value as pretty JSON, atomically.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::with_source(ErrorKind::Invalid, Some(path), "serialising", e))?;
    write_text(path, &text)
}

/// Keeps the `keep` newest `step-*.safetensors` (0: all).
pub(crate) fn prune(dir: &Path, keep: usize) -> Result<(), Error> {
    if keep == 0 {
        return Ok(());
    }
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| Error::io(dir, "listing checkpoints", e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("step-"))
        })
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(keep);
    for f in &files[..excess] {
        fs::remove_file(f).map_err(|e| Error::io(f, "removing old checkpoint", e))?;
    }
    Ok(())
}

/// An append-only JSON-lines file of `T` lines that, on resume, first drops the lines past
/// the resume step.
pub(crate) struct Jsonl {
    path: PathBuf,
    file: fs::File,
}

/// A line type that knows its step.
pub(crate) trait Stepped: Serialize + for<'de> serde::Deserialize<'de> {
    fn step(&self) -> usize;
}

impl Stepped for crate::records::TraceLine {
    fn step(&self) -> usize {
        self.step
    }
}

impl Stepped for MetricsLine {
    fn step(&self) -> usize {
        MetricsLine::step(self)
    }
}

impl Jsonl {
    /// Opens `path` for appending `T` lines after keeping those up to `resume_step`. A line
    /// that does not parse is an error: the file is not silently shortened.
    pub(crate) fn open<T: Stepped>(path: &Path, resume_step: usize) -> Result<Self, Error> {
        let old = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(path, "reading", e)),
        };
        let lines: Vec<T> = crate::records::parse_lines(&old, &path.display().to_string())?;
        let mut kept = String::new();
        for l in lines.iter().filter(|l| l.step() <= resume_step) {
            kept.push_str(&to_line(l, path)?);
        }
        write_atomic(path, kept.as_bytes())?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, "opening", e))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Appends to `file` (tests: a file that refuses writes).
    #[cfg(test)]
    pub(crate) fn from_file(path: &Path, file: fs::File) -> Self {
        Self {
            path: path.to_path_buf(),
            file,
        }
    }

    pub(crate) fn line<T: Serialize>(&mut self, v: &T) -> Result<(), Error> {
        let text = to_line(v, &self.path)?;
        self.file
            .write_all(text.as_bytes())
            .map_err(|e| Error::io(&self.path, "appending", e))
    }
}

fn to_line<T: Serialize>(v: &T, path: &Path) -> Result<String, Error> {
    let mut s = serde_json::to_string(v)
        .map_err(|e| Error::with_source(ErrorKind::Invalid, Some(path), "serialising", e))?;
    s.push('\n');
    Ok(s)
}
