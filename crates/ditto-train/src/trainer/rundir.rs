//! The run directory: the files a run writes, and finding a run's newest checkpoint.

use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::atomic::write_atomic;
use crate::checkpoint::Checkpoint;
use crate::error::{Error, ErrorKind};
use crate::manifest::Manifest;
use crate::read_options::ReadOptions;
use crate::records::MetricsLine;
use crate::run_id::RunId;
use crate::state::RunState;

/// Class: not applicable (I/O). The newest checkpoint of `path` and the run directory it
/// belongs to. `path` is a checkpoint file (its run directory is two levels up for
/// `checkpoints/step-*`, one level up otherwise) or a run directory: its newest checkpoint of
/// the directory's own run (`final`, `last` or a `checkpoints/step-*`, by step). The run is the
/// one `manifest.json` names ([`crate::RunId`]): a checkpoint of another run is never picked.
/// Without a recorded identity (runs from before identities), any checkpoint is the run's,
/// unless they name several runs, which is refused.
///
/// Errors: [`ErrorKind::Io`] when `path` is neither; [`ErrorKind::Invalid`] when the directory
/// holds no checkpoint of its run, or checkpoints of several runs and no manifest naming one;
/// a candidate whose header is damaged is an error, never skipped (the chosen file's tensors
/// are verified when it is read), and so is a version-1 candidate, whose header cannot be
/// verified ([`ErrorKind::Unverified`]; see [`locate_checkpoint_with`]).
pub fn locate_checkpoint(path: &Path) -> Result<(PathBuf, PathBuf), Error> {
    locate_checkpoint_with(path, ReadOptions::default())
}

/// Class: not applicable (I/O). [`locate_checkpoint`] reading the candidates' headers with
/// `options`: version-1 candidates count only with [`ReadOptions::allow_unverified_header`].
pub fn locate_checkpoint_with(
    path: &Path,
    options: ReadOptions,
) -> Result<(PathBuf, PathBuf), Error> {
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
    let dir_run = Manifest::read(path)?.and_then(|m| m.run_id);
    let mut candidates = step_files(&path.join("checkpoints"));
    candidates.reverse();
    candidates.push(path.join("last.safetensors"));
    candidates.push(path.join("final.safetensors"));
    let mut pick: Option<(usize, PathBuf)> = None;
    let mut runs: BTreeSet<Option<RunId>> = BTreeSet::new();
    let mut others = Vec::new();
    for p in candidates.into_iter().filter(|p| p.is_file()) {
        let (step, run) = step_and_run(&p, options)?;
        if dir_run.is_some() && run != dir_run {
            others.push(p);
            continue;
        }
        runs.insert(run);
        if pick.as_ref().is_none_or(|(s, _)| step > *s) {
            pick = Some((step, p));
        }
    }
    if runs.iter().flatten().count() > 1 {
        return Err(Error::new(
            ErrorKind::Invalid,
            Some(path),
            format!(
                "holds checkpoints of {} runs and no manifest.json naming its own: name the \
                 checkpoint file to resume",
                runs.iter().flatten().count()
            ),
        ));
    }
    match pick {
        Some((_, p)) => Ok((p, path.to_path_buf())),
        None if !others.is_empty() => Err(Error::new(
            ErrorKind::Invalid,
            Some(path),
            format!(
                "no checkpoint of this directory's run ({}); {} belong to other runs, e.g. {}",
                dir_run.map_or_else(String::new, |r| r.to_string()),
                others.len(),
                others[0].display()
            ),
        )),
        None => Err(Error::new(
            ErrorKind::Invalid,
            Some(path),
            "no checkpoint to resume from",
        )),
    }
}

/// `dir`'s `step-*.safetensors` files, sorted by name (so by step).
fn step_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match fs::read_dir(dir) {
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
    files.sort();
    files
}

/// A checkpoint's step and run, from its verified header (version 1 as `options` allow).
fn step_and_run(path: &Path, options: ReadOptions) -> Result<(usize, Option<RunId>), Error> {
    let header = Checkpoint::read_header_with(path, options)?;
    let state = RunState::from_json(&header.state).map_err(|e| e.at(path))?;
    Ok((state.step, state.run_id))
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

/// Keeps the `keep` newest `step-*.safetensors` of run `run` (0: all). Checkpoints of other
/// runs, and files whose header cannot be read, are left alone; with `run` `None` (a run from
/// before identities) every step checkpoint counts as the run's.
pub(crate) fn prune(dir: &Path, keep: usize, run: Option<&RunId>) -> Result<(), Error> {
    if keep == 0 {
        return Ok(());
    }
    let files: Vec<PathBuf> = step_files(dir)
        .into_iter()
        .filter(|f| match run {
            None => true,
            Some(id) => {
                step_and_run(f, ReadOptions::default()).is_ok_and(|(_, r)| r.as_ref() == Some(id))
            }
        })
        .collect();
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
