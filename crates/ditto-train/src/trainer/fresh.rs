//! A fresh run's directory: refused while it holds a run, or, with
//! [`crate::Trainer::overwrite`], replaced as a whole: the new run is written beside it and
//! swapped in when it ends, so there is no moment where the directory holds half of each.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};
use crate::lock::{LOCK_FILE, RunLock};
use crate::op_trace::{OPS_BIN, OPS_JSONL};
use crate::verification::VERIFICATIONS;

/// Class: not applicable (file names). The files a run writes at the top of its directory
/// (besides `checkpoints/step-*.safetensors`, `checkpoints/best-*.safetensors` and, while a
/// process writes, `ditto.lock`), and `verifications.jsonl`, which `ditto replay` and
/// `ditto attest --verify` append to it.
pub const RUN_FILES: &[&str] = &[
    "config.toml",
    "manifest.json",
    "model.json",
    "trace.jsonl",
    "metrics.jsonl",
    "summary.json",
    "report.md",
    "curves.svg",
    "final.safetensors",
    "last.safetensors",
    OPS_JSONL,
    OPS_BIN,
    VERIFICATIONS,
];

/// What a directory holds: a run's files, and files that ditto did not write.
#[derive(Debug, Default)]
struct Contents {
    run: Vec<String>,
    foreign: Vec<String>,
}

/// A temporary file of `write_atomic` (`.<name>.tmp-<pid>`), or the lock: ditto's, but no
/// run's content.
fn housekeeping(name: &str) -> bool {
    name == LOCK_FILE || (name.starts_with('.') && name.contains(".tmp-"))
}

fn contents(dir: &Path) -> Result<Contents, Error> {
    let mut c = Contents::default();
    // A path that is not a directory holds no run; creating the directory reports it.
    if !dir.is_dir() {
        return Ok(c);
    }
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, "listing the run directory", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "listing the run directory", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "checkpoints" && entry.path().is_dir() {
            let sub = entry.path();
            let rd = fs::read_dir(&sub).map_err(|e| Error::io(&sub, "listing checkpoints", e))?;
            for e in rd {
                let e = e.map_err(|e| Error::io(&sub, "listing checkpoints", e))?;
                let n = e.file_name().to_string_lossy().into_owned();
                if (n.starts_with("step-") || n.starts_with("best-")) && n.ends_with(".safetensors")
                {
                    c.run.push(format!("checkpoints/{n}"));
                } else if !housekeeping(&n) {
                    c.foreign.push(format!("checkpoints/{n}"));
                }
            }
        } else if RUN_FILES.contains(&name.as_str()) {
            c.run.push(name);
        } else if !housekeeping(&name) {
            c.foreign.push(name);
        }
    }
    c.run.sort();
    c.foreign.sort();
    Ok(c)
}

/// Names for an error: the first few, and how many more.
pub(crate) fn listed(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(6).map(String::as_str).collect();
    match names.len().saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// Whether `dir` holds a run's files.
pub(crate) fn holds_run(dir: &Path) -> Result<bool, Error> {
    Ok(!contents(dir)?.run.is_empty())
}

/// Refuses a fresh run into `dir` when it holds a run's files. Called before anything is
/// written, and again once the lock is held. When a live process holds the directory's lock,
/// that is what the error says ([`ErrorKind::Locked`]).
pub(crate) fn refuse_existing_run(dir: &Path) -> Result<(), Error> {
    let c = contents(dir)?;
    if c.run.is_empty() {
        return Ok(());
    }
    if let Some(e) = RunLock::held_by_another(dir) {
        return Err(e);
    }
    Err(Error::new(
        ErrorKind::RunExists,
        Some(dir),
        format!(
            "already holds a run ({}): a fresh run would mix with it. Continue it with `ditto \
             resume` / `Trainer::resume`, choose another directory, or replace it with \
             `--force` / `Trainer::overwrite(true)`",
            listed(&c.run)
        ),
    ))
}

/// A fresh run that replaces the run in `target`: it is written into `aside` and swapped in
/// by [`Replacement::commit`]. Both directories are locked while it runs.
#[derive(Debug)]
pub(crate) struct Replacement {
    target: PathBuf,
    aside: PathBuf,
    target_lock: RunLock,
}

impl Replacement {
    /// The pid of a dead writer whose stale lock on the replaced directory was taken over.
    pub(crate) fn took_over(&self) -> Option<u32> {
        self.target_lock.took_over()
    }
}

impl Replacement {
    /// Locks `target` and prepares an empty `aside` directory beside it (`.<name>.ditto-new`;
    /// one left by a killed process is cleared). Refuses a `target` holding files ditto did
    /// not write, which a swap would throw away.
    pub(crate) fn start(target: &Path) -> Result<(Self, RunLock), Error> {
        let name = target.file_name().ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                Some(target),
                "a run directory to replace needs a name",
            )
        })?;
        let c = contents(target)?;
        if !c.foreign.is_empty() {
            return Err(Error::new(
                ErrorKind::RunExists,
                Some(target),
                format!(
                    "holds files ditto did not write ({}): replacing the run would delete \
                     them; move them away or choose another directory",
                    listed(&c.foreign)
                ),
            ));
        }
        let target_lock = RunLock::acquire(target)?;
        let parent = target.parent().unwrap_or(Path::new("."));
        let aside = parent.join(format!(".{}.ditto-new", name.to_string_lossy()));
        let aside_lock = RunLock::acquire(&aside)?;
        clear_except_lock(&aside)?;
        Ok((
            Self {
                target: target.to_path_buf(),
                aside,
                target_lock,
            },
            aside_lock,
        ))
    }

    /// Where the new run is written.
    pub(crate) fn aside(&self) -> &Path {
        &self.aside
    }

    /// Swaps the new run in: `target` is renamed to `.<name>.ditto-old`, `aside` to `target`,
    /// then the old run is deleted. A crash between the renames leaves the old run complete
    /// (in `.ditto-old`) and the new one complete (in `.ditto-new` or `target`).
    pub(crate) fn commit(self, aside_lock: RunLock) -> Result<(), Error> {
        let parent = self.target.parent().unwrap_or(Path::new("."));
        let name = self
            .target
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        let old = parent.join(format!(".{name}.ditto-old"));
        if old.exists() {
            fs::remove_dir_all(&old).map_err(|e| Error::io(&old, "removing", e))?;
        }
        fs::rename(&self.target, &old)
            .map_err(|e| Error::io(&self.target, "moving the replaced run aside", e))?;
        fs::rename(&self.aside, &self.target).map_err(|e| {
            Error::io(
                &self.aside,
                "moving the new run into place (the old one is beside it)",
                e,
            )
        })?;
        // The locks' files moved with their directories: release them where they are now.
        aside_lock.release_at(&self.target);
        self.target_lock.release_at(&old);
        fs::remove_dir_all(&old).map_err(|e| Error::io(&old, "removing the replaced run", e))
    }

    /// Gives up: the new run's partial files are removed, the old run is untouched.
    pub(crate) fn abandon(self, aside_lock: RunLock) {
        drop(aside_lock);
        let _ = fs::remove_dir_all(&self.aside);
        drop(self.target_lock);
    }
}

/// Empties `dir` but for its lock file.
fn clear_except_lock(dir: &Path) -> Result<(), Error> {
    let rd = fs::read_dir(dir).map_err(|e| Error::io(dir, "listing", e))?;
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, "listing", e))?;
        if entry.file_name() == LOCK_FILE {
            continue;
        }
        let p = entry.path();
        let r = if p.is_dir() {
            fs::remove_dir_all(&p)
        } else {
            fs::remove_file(&p)
        };
        r.map_err(|e| Error::io(&p, "clearing a partial replacement", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_files_are_named_and_others_are_foreign() {
        let d = tempfile::tempdir().unwrap();
        assert!(refuse_existing_run(d.path()).is_ok());
        assert!(refuse_existing_run(&d.path().join("absent")).is_ok());
        fs::write(d.path().join("notes.txt"), "mine").unwrap();
        fs::write(d.path().join(LOCK_FILE), "1").unwrap();
        fs::write(d.path().join(".x.tmp-12"), "").unwrap();
        assert!(refuse_existing_run(d.path()).is_ok());
        fs::create_dir(d.path().join("checkpoints")).unwrap();
        fs::write(d.path().join("checkpoints/step-00000400.safetensors"), "").unwrap();
        let e = refuse_existing_run(d.path()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RunExists);
        assert!(
            e.to_string()
                .contains("checkpoints/step-00000400.safetensors"),
            "{e}"
        );
        let c = contents(d.path()).unwrap();
        assert_eq!(c.foreign, vec!["notes.txt".to_owned()]);
        let e = Replacement::start(d.path()).unwrap_err();
        assert!(e.to_string().contains("notes.txt"), "{e}");
    }

    #[test]
    fn commit_swaps_whole_directories_and_abandon_keeps_the_old_run() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("r");
        fs::create_dir_all(target.join("checkpoints")).unwrap();
        fs::write(target.join("config.toml"), "old").unwrap();
        fs::write(target.join("checkpoints/step-00000800.safetensors"), "old").unwrap();

        let (rep, lock) = Replacement::start(&target).unwrap();
        fs::write(rep.aside().join("config.toml"), "new").unwrap();
        rep.abandon(lock);
        assert_eq!(
            fs::read_to_string(target.join("config.toml")).unwrap(),
            "old"
        );
        assert!(!root.path().join(".r.ditto-new").exists());

        let (rep, lock) = Replacement::start(&target).unwrap();
        fs::write(rep.aside().join("config.toml"), "new").unwrap();
        rep.commit(lock).unwrap();
        assert_eq!(
            fs::read_to_string(target.join("config.toml")).unwrap(),
            "new"
        );
        assert!(!target.join("checkpoints").exists());
        assert!(!target.join(LOCK_FILE).exists());
        let mut left: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, vec![std::ffi::OsString::from("r")]);
    }
}
