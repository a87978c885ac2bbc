//! Atomic file replacement, with a hook that can fail any of its stages (fault injection).
//!
//! Stages, in order: create a temporary file `.<name>.tmp-<pid>` beside the target, write the
//! bytes, fsync it, rename it over the target, fsync the directory. A failure at any stage
//! removes the temporary file and returns an error naming the stage; the target is then the
//! old file (stages up to the rename) or the new one (the directory fsync: the rename may not
//! be durable, which is reported, never ignored).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Class: not applicable (I/O). A stage of [`write_atomic`], in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WriteStage {
    /// Creating the temporary file.
    CreateTemp,
    /// Writing the bytes (the hook runs after half of them are written).
    Write,
    /// fsync of the temporary file.
    Fsync,
    /// Renaming the temporary file over the target.
    Rename,
    /// fsync of the directory holding the target.
    DirFsync,
}

impl WriteStage {
    /// Class: not applicable. Every stage, in order.
    pub const ALL: [WriteStage; 5] = [
        WriteStage::CreateTemp,
        WriteStage::Write,
        WriteStage::Fsync,
        WriteStage::Rename,
        WriteStage::DirFsync,
    ];

    fn describe(self) -> &'static str {
        match self {
            WriteStage::CreateTemp => "creating temporary file",
            WriteStage::Write => "writing temporary file",
            WriteStage::Fsync => "fsync of temporary file",
            WriteStage::Rename => "renaming into place",
            WriteStage::DirFsync => "fsync of directory (the rename may not be durable)",
        }
    }
}

/// Class: not applicable (I/O). Called by [`write_atomic_with`] before each stage; an error
/// makes that stage fail as if the file system had returned it.
pub trait FaultHook {
    /// Class: not applicable. `Ok(())` lets `stage` run; an error fails it.
    fn before(&self, stage: WriteStage, path: &Path) -> std::io::Result<()>;
}

/// Class: not applicable (I/O). The real file system: no stage is failed.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFaults;

impl FaultHook for NoFaults {
    fn before(&self, _stage: WriteStage, _path: &Path) -> std::io::Result<()> {
        Ok(())
    }
}

/// Class: not applicable (I/O). Writes `bytes` to `path` atomically (see the module docs and
/// `Checkpoint::write`).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic_with(path, bytes, &NoFaults)
}

/// Class: not applicable (I/O). [`write_atomic`], calling `hook` before each stage.
pub fn write_atomic_with(path: &Path, bytes: &[u8], hook: &dyn FaultHook) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let stage = |s: WriteStage, p: &Path, run: &mut dyn FnMut() -> std::io::Result<()>| {
        hook.before(s, p)
            .and_then(|()| run())
            .map_err(|e| Error::io(p, s.describe(), e))
    };
    let mut file: Option<File> = None;
    let result = (|| {
        stage(WriteStage::CreateTemp, &tmp, &mut || {
            file = Some(File::create(&tmp)?);
            Ok(())
        })?;
        let f = file.as_mut().ok_or_else(|| {
            Error::io(
                &tmp,
                "creating temporary file",
                std::io::Error::other("no file"),
            )
        })?;
        let (head, tail) = bytes.split_at(bytes.len() / 2);
        f.write_all(head)
            .map_err(|e| Error::io(&tmp, WriteStage::Write.describe(), e))?;
        stage(WriteStage::Write, &tmp, &mut || f.write_all(tail))?;
        stage(WriteStage::Fsync, &tmp, &mut || f.sync_all())?;
        file = None;
        stage(WriteStage::Rename, path, &mut || fs::rename(&tmp, path))?;
        stage(WriteStage::DirFsync, dir, &mut || {
            File::open(dir)?.sync_all()
        })
    })();
    drop(file);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
