//! Tests that read ditto's files from Python (`safetensors`, `numpy`): run when those
//! packages are installed, skipped with a `SKIPPED` line when not. CI installs them and sets
//! `DITTO_REQUIRE_PYTHON=1`, which turns a skip into a failure.

use std::io::Write;
use std::process::{Command, Output};

/// Runs `python3 -c script args...` when `python3` can import every module of `modules`;
/// otherwise prints `SKIPPED <test>: ...` and returns `None` (or panics under
/// `DITTO_REQUIRE_PYTHON=1`).
pub fn run(test: &str, modules: &[&str], script: &str, args: &[&str]) -> Option<Output> {
    let probe = format!("import {}", modules.join(", "));
    let available = Command::new("python3")
        .args(["-c", &probe])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        let why = format!(
            "python3 cannot import {} (install them with `python3 -m pip install {}`)",
            modules.join(", "),
            modules.join(" ")
        );
        if std::env::var_os("DITTO_REQUIRE_PYTHON").is_some_and(|v| v == "1") {
            panic!("{test}: {why}, and DITTO_REQUIRE_PYTHON=1 requires it");
        }
        // Written to the process's stderr directly, past the test harness's output capture, so
        // that a passing run still shows it.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: {why}; DITTO_REQUIRE_PYTHON=1 turns this skip into a failure."
        );
        return None;
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 ran the probe a moment ago");
    Some(out)
}
