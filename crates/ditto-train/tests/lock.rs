//! One writer per run directory: a second `RunLock` is refused with the holder's pid, a stale
//! lock left by a dead process is taken over, and an unwritable directory is refused early.

use ditto_train::{ErrorKind, LOCK_FILE, RunLock};

#[test]
fn a_second_writer_is_refused_with_the_holders_pid() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let lock = RunLock::acquire(&run).unwrap();
    assert_eq!(lock.took_over(), None);
    let text = std::fs::read_to_string(run.join(LOCK_FILE)).unwrap();
    assert_eq!(text.trim(), std::process::id().to_string());
    // flock locks belong to open files, so a second open in this process is refused too.
    let err = RunLock::acquire(&run).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Locked);
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("process {}", std::process::id())),
        "{msg}"
    );
    drop(lock);
    assert!(!run.join(LOCK_FILE).exists(), "released locks are removed");
    let again = RunLock::acquire(&run).unwrap();
    assert_eq!(again.took_over(), None);
}

#[test]
fn a_stale_lock_from_a_dead_process_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    std::fs::write(dir.path().join(LOCK_FILE), format!("{dead}\n")).unwrap();
    // A killed writer's temporary file is cleaned up by the next writer.
    std::fs::create_dir(dir.path().join("checkpoints")).unwrap();
    let tmp = dir
        .path()
        .join("checkpoints")
        .join(format!(".step-00000005.safetensors.tmp-{dead}"));
    std::fs::write(&tmp, b"half a checkpoint").unwrap();
    let lock = RunLock::acquire(dir.path()).unwrap();
    assert_eq!(lock.took_over(), Some(dead));
    assert!(!tmp.exists());
    let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
    assert_eq!(text.trim(), std::process::id().to_string());
}

#[test]
fn an_uncreatable_directory_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let err = RunLock::acquire(&file.join("run")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(
        err.to_string().contains("cannot create run directory"),
        "{err}"
    );
    // Read-only even for root: a directory under /proc.
    if std::path::Path::new("/proc/self").exists() {
        let err = RunLock::acquire(std::path::Path::new("/proc/ditto-run")).unwrap_err();
        assert!(
            err.to_string().contains("cannot create run directory"),
            "{err}"
        );
    }
}
