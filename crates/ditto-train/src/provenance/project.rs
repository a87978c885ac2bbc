//! The caller's project: what [`crate::build_info!`] captures when the caller's crate is
//! compiled, and the state of its git checkout when a run starts.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// Class: not applicable (a record of the caller's build). The crate that calls ditto, as
/// Cargo described it when that crate was compiled: its name, version and source directory.
/// Made by [`crate::build_info!`] (or `ditto::build_info!`), which expands in the caller's
/// crate; give it to [`crate::Trainer::program_info`] so that the run records the project and
/// its git commit, not ditto's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildInfo {
    /// `CARGO_PKG_NAME` of the caller's crate.
    pub name: &'static str,
    /// `CARGO_PKG_VERSION` of the caller's crate.
    pub version: &'static str,
    /// `CARGO_MANIFEST_DIR` of the caller's crate: where its source was when it was compiled.
    pub manifest_dir: &'static str,
}

/// Class: not applicable (a record). The project a run's program was built from, as recorded
/// in the provenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// The crate's name (`CARGO_PKG_NAME` at its build).
    pub name: String,
    /// The crate's version (`CARGO_PKG_VERSION` at its build).
    pub version: String,
    /// The crate's source directory at its build (`CARGO_MANIFEST_DIR`).
    pub dir: String,
    /// BLAKE3 of the project's `Cargo.lock`: the first one in `dir` or a directory above it
    /// (a workspace's lockfile sits in its root), read when the run started. `None` when
    /// there is none or it could not be read (an installed program whose source is gone).
    /// Its commit's lockfile unless the checkout is dirty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cargo_lock_blake3: Option<String>,
    /// Which file that is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cargo_lock_path: Option<String>,
}

/// Class: not applicable (expands in the caller's crate). The caller's [`BuildInfo`]: its
/// crate's name, version and source directory, taken by `env!` when the caller is compiled.
///
/// ```
/// let info = ditto_train::build_info!();
/// assert_eq!(info.name, env!("CARGO_PKG_NAME"));
/// ```
#[macro_export]
macro_rules! build_info {
    () => {
        $crate::BuildInfo {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            manifest_dir: env!("CARGO_MANIFEST_DIR"),
        }
    };
}

/// The git state of a checkout: `HEAD`'s commit and whether tracked files differ from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GitState {
    pub(crate) commit: String,
    /// `None` when `git status` could not answer.
    pub(crate) dirty: Option<bool>,
}

impl Project {
    /// Class: not applicable (reads the project's lockfile). The project `b` names, with the
    /// hash of its `Cargo.lock` as it is now.
    pub fn of(b: &BuildInfo) -> Self {
        let lock = find_lockfile(Path::new(b.manifest_dir));
        let hash = lock.as_deref().and_then(|p| {
            let bytes = std::fs::read(p).ok()?;
            Some(blake3::hash(&bytes).to_hex().to_string())
        });
        Self {
            name: b.name.to_owned(),
            version: b.version.to_owned(),
            dir: b.manifest_dir.to_owned(),
            cargo_lock_path: hash
                .as_ref()
                .and(lock.as_ref())
                .map(|p| p.display().to_string()),
            cargo_lock_blake3: hash,
        }
    }
}

/// The first `Cargo.lock` in `dir` or a directory above it.
pub(crate) fn find_lockfile(dir: &Path) -> Option<std::path::PathBuf> {
    dir.ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
}

/// The git state of the checkout holding `dir`, or `None` when `dir` is not in a git checkout
/// (an installed program's source in Cargo's registry, a deleted directory) or git is not
/// installed. Dirty means a tracked file differs from `HEAD` (`git status --porcelain
/// --untracked-files=no` prints something): untracked files, such as run directories written
/// into the checkout, do not count, so two runs of one program record the same state. Git's
/// environment overrides (`GIT_DIR`, ...) are removed, and git takes no optional locks (the
/// user's own git commands are never blocked).
pub(crate) fn git_state(dir: &Path) -> Option<GitState> {
    if !dir.is_dir() {
        return None;
    }
    let commit = git(dir, &["rev-parse", "--verify", "HEAD"])?;
    let commit = commit.trim().to_owned();
    if commit.is_empty() {
        return None;
    }
    let dirty =
        git(dir, &["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.trim().is_empty());
    Some(GitState { commit, dirty })
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_CEILING_DIRECTORIES")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_git(dir: &Path, args: &[&str]) -> bool {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    #[test]
    fn the_macro_names_the_calling_crate() {
        let b = crate::build_info!();
        assert_eq!(b.name, "ditto-train");
        assert_eq!(b.version, env!("CARGO_PKG_VERSION"));
        assert!(Path::new(b.manifest_dir).join("Cargo.toml").is_file());
    }

    #[test]
    fn a_project_records_its_workspaces_lockfile() {
        let p = Project::of(&crate::build_info!());
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
        let want = blake3::hash(&std::fs::read(&ws).unwrap())
            .to_hex()
            .to_string();
        assert_eq!(p.cargo_lock_blake3.as_deref(), Some(want.as_str()));
        let found = Path::new(p.cargo_lock_path.as_deref().unwrap());
        assert_eq!(found.canonicalize().unwrap(), ws.canonicalize().unwrap());
        let t = tempfile::tempdir().unwrap();
        let sub = t.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(
            find_lockfile(&sub).filter(|p| p.starts_with(t.path())),
            None
        );
        std::fs::write(t.path().join("a/Cargo.lock"), "x").unwrap();
        assert_eq!(find_lockfile(&sub), Some(t.path().join("a/Cargo.lock")));
    }

    #[test]
    fn a_directory_outside_git_has_no_state() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(git_state(t.path()), None);
        assert_eq!(git_state(&t.path().join("missing")), None);
    }

    /// A fresh repository: its commit as `git rev-parse` says, clean; dirty after a tracked
    /// file changes, not after an untracked file appears. Skipped (with a line saying so)
    /// where git is not installed.
    #[test]
    fn a_checkout_gives_its_commit_and_dirty_flag() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        if !run_git(d, &["init", "-q"]) {
            eprintln!("SKIPPED a_checkout_gives_its_commit_and_dirty_flag: git is not installed");
            return;
        }
        std::fs::write(d.join("a.txt"), "one\n").unwrap();
        assert!(run_git(d, &["add", "a.txt"]));
        assert!(run_git(
            d,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-q",
                "-m",
                "one"
            ]
        ));
        let head = Command::new("git")
            .arg("-C")
            .arg(d)
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap();
        let head = String::from_utf8(head.stdout).unwrap().trim().to_owned();
        assert_eq!(head.len(), 40);
        let sub = d.join("crate");
        std::fs::create_dir(&sub).unwrap();
        assert_eq!(
            git_state(&sub),
            Some(GitState {
                commit: head.clone(),
                dirty: Some(false)
            })
        );
        std::fs::write(d.join("untracked.txt"), "x").unwrap();
        assert_eq!(git_state(d).unwrap().dirty, Some(false));
        std::fs::write(d.join("a.txt"), "two\n").unwrap();
        assert_eq!(
            git_state(d),
            Some(GitState {
                commit: head,
                dirty: Some(true)
            })
        );
    }
}
