//! One writer per run directory: `ditto.lock`, an advisory lock holding the writer's pid.
//!
//! The lock is `flock`-style (`std::fs::File::try_lock`): the kernel drops it when its process
//! dies, however it dies (SIGKILL included), so a lock file left by a dead process is stale by
//! construction and the next writer takes it over. The pid written into the file only names
//! the holder in the error a second writer gets. Where the file system does not support
//! locking, the pid decides instead: the lock is live while `/proc/<pid>` exists (Linux; on
//! other systems such a lock is always treated as live).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};

/// Class: not applicable (file name). The lock file's name inside a run directory.
pub const LOCK_FILE: &str = "ditto.lock";

/// Class: not applicable (I/O). The exclusive right to write into one run directory, held
/// until dropped (the lock file is then removed).
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
    took_over: Option<u32>,
}

impl RunLock {
    /// Class: not applicable (I/O). Creates `dir` (and its parents) if needed, checks that it
    /// is writable and takes its lock. Temporary files that a killed writer left behind
    /// (`.<name>.tmp-<pid>` in `dir` and `dir/checkpoints`) are removed.
    ///
    /// Errors: [`ErrorKind::Locked`] when another live process holds the lock (the message
    /// names its pid); [`ErrorKind::Io`] when the directory cannot be created or written.
    pub fn acquire(dir: &Path) -> Result<Self, Error> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create run directory", e))?;
        let path = dir.join(LOCK_FILE);
        for _ in 0..16 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| Error::io(&path, "run directory is not writable", e))?;
            let previous = read_pid(&mut file);
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Err(locked(&path, previous)),
                Err(fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                    if let Some(pid) = previous.filter(|&p| p != std::process::id() && alive(p)) {
                        return Err(locked(&path, Some(pid)));
                    }
                }
                Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path, "locking", e)),
            }
            // The holder may have removed the file between our open and our lock: then we
            // hold a lock on an unlinked file, so start again.
            if !same_file(&file, &path) {
                continue;
            }
            let mine = std::process::id();
            let took_over = previous.filter(|&p| p != mine);
            file.set_len(0)
                .and_then(|()| file.seek(SeekFrom::Start(0)))
                .and_then(|_| file.write_all(format!("{mine}\n").as_bytes()))
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::io(&path, "writing the lock file", e))?;
            remove_stale_temporaries(dir);
            remove_stale_temporaries(&dir.join("checkpoints"));
            return Ok(Self {
                file,
                path,
                took_over,
            });
        }
        Err(Error::new(
            ErrorKind::Locked,
            Some(&path),
            "the lock file keeps being replaced by other processes",
        ))
    }

    /// Class: not applicable. The pid recorded in a stale lock file that this lock replaced
    /// (a writer that died without releasing it), if any.
    pub fn took_over(&self) -> Option<u32> {
        self.took_over
    }

    /// Class: not applicable. The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Class: not applicable (I/O). The [`ErrorKind::Locked`] error a writer of `dir` would
    /// get because another live process holds its lock, or `None`. Writes nothing: the lock
    /// file is only opened for reading, and only when it exists.
    pub fn held_by_another(dir: &Path) -> Option<Error> {
        let path = dir.join(LOCK_FILE);
        let mut file = File::open(&path).ok()?;
        let pid = read_pid(&mut file);
        match file.try_lock_shared() {
            Err(fs::TryLockError::WouldBlock) => Some(locked(&path, pid)),
            Ok(()) => {
                let _ = file.unlock();
                None
            }
            Err(fs::TryLockError::Error(_)) => pid
                .filter(|&p| p != std::process::id() && alive(p))
                .map(|p| locked(&path, Some(p))),
        }
    }

    /// Releases the lock of a directory that was renamed to `dir` while it was held (the
    /// lock file moved with it): removes `dir`'s lock file, then unlocks.
    pub(crate) fn release_at(mut self, dir: &Path) {
        self.path = dir.join(LOCK_FILE);
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Remove while still locked, so that nobody locks the file we are about to unlink
        // and then believes they hold the directory (they re-check `same_file`).
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

fn locked(path: &Path, pid: Option<u32>) -> Error {
    let holder = pid.map_or("another process".to_owned(), |p| format!("process {p}"));
    Error::new(
        ErrorKind::Locked,
        Some(path),
        format!(
            "the run directory is in use by {holder} (one writer per run directory): wait for \
             it to finish, or pass another --out"
        ),
    )
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Whether process `pid` exists (Linux: `/proc/<pid>`; elsewhere assumed alive).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Removes `.<name>.tmp-<pid>` files (see [`crate::write_atomic`]) left by a killed writer.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(".tmp-") {
            let _ = fs::remove_file(e.path());
        }
    }
}
