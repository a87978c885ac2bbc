//! Shared by the binary's end-to-end tests: run `ditto`, require success, read the fingerprint.

#![allow(dead_code)]

use std::process::{Command, Output};

/// The `ditto` binary under test.
pub const DITTO: &str = env!("CARGO_BIN_EXE_ditto");

/// Runs `ditto args` to completion.
pub fn ditto(args: &[&str]) -> Output {
    Command::new(DITTO).args(args).output().unwrap()
}

/// Runs `ditto args`, requires exit 0, returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = ditto(args);
    assert!(
        out.status.success(),
        "ditto {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `fingerprint: ` line of a run's output.
pub fn fingerprint(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap_or_else(|| panic!("no fingerprint in {stdout}"))
        .to_owned()
}
