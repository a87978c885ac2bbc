//! Records, for provenance, the compiler and target this crate was built with, and which
//! `Cargo.lock` pinned the build with its BLAKE3 hash.
//!
//! The lockfile is that of the workspace being built (the user's project when ditto is a
//! dependency), found in this order:
//! 1. `DITTO_CARGO_LOCK`, a path set at build time;
//! 2. the target directory's parent: Cargo marks the target directory with `CACHEDIR.TAG`,
//!    and `OUT_DIR` lies inside it; by default it sits in the workspace root, beside
//!    `Cargo.lock`;
//! 3. when ditto itself is built from a checkout (not from Cargo's registry or git cache),
//!    that checkout's `Cargo.lock` (a target directory elsewhere, as in ditto's CI).
//!
//! Otherwise the hash is `unavailable`. The path is recorded beside the hash, so the record
//! says which file it describes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("-V")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=DITTO_RUSTC_VERSION={version}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=DITTO_TARGET={target}");
    println!("cargo:rerun-if-env-changed=DITTO_CARGO_LOCK");
    println!("cargo:rerun-if-changed=build.rs");
    let (hash, path) = match lockfile() {
        Some(lock) => match std::fs::read(&lock) {
            Ok(bytes) => {
                println!("cargo:rerun-if-changed={}", lock.display());
                (blake3_hex(&bytes), lock.display().to_string())
            }
            Err(_) => ("unavailable".to_owned(), String::new()),
        },
        None => ("unavailable".to_owned(), String::new()),
    };
    println!("cargo:rustc-env=DITTO_CARGO_LOCK_BLAKE3={hash}");
    println!("cargo:rustc-env=DITTO_CARGO_LOCK_PATH={path}");
}

fn lockfile() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DITTO_CARGO_LOCK") {
        return Some(PathBuf::from(p));
    }
    if let Some(out) = std::env::var_os("OUT_DIR") {
        let out = PathBuf::from(out);
        if let Some(target_dir) = out.ancestors().find(|a| a.join("CACHEDIR.TAG").is_file()) {
            let lock = target_dir.parent().map(|ws| ws.join("Cargo.lock"));
            if let Some(lock) = lock.filter(|l| l.is_file()) {
                return Some(lock);
            }
        }
    }
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    if in_cargo_cache(&manifest) {
        return None;
    }
    let lock = manifest.join("../../Cargo.lock");
    lock.is_file().then(|| lock.canonicalize().unwrap_or(lock))
}

/// Whether `dir` is a dependency's copy in Cargo's registry or git cache (whose lockfile,
/// if any, did not pin this build).
fn in_cargo_cache(dir: &Path) -> bool {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    match home {
        Some(h) => dir.starts_with(h.join("registry")) || dir.starts_with(h.join("git")),
        None => false,
    }
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}
