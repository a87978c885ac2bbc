//! Canonical mode on another CPU architecture: the `ditto` binary cross-built for
//! `aarch64-unknown-linux-gnu` and run under qemu-user gives the pinned x86 fingerprints, with
//! the kernels the CPU has (NEON where ditto has them) and with `DITTO_SIMD=off` (the scalar
//! path). CI cross-builds it (`.ci/run`, "aarch64") and points `DITTO_AARCH64_BIN` at it; the
//! runner is `DITTO_AARCH64_RUNNER` (default `qemu-aarch64`, which finds the cross C library
//! through `QEMU_LD_PREFIX`). The manifest's `kernel_isa` must name what really ran.

use std::process::Command;

use crate::canonical::{CASES, fingerprint};

#[test]
fn canonical_on_aarch64_under_qemu_gives_the_pinned_bits() {
    let Some(bin) = std::env::var_os("DITTO_AARCH64_BIN") else {
        eprintln!(
            "SKIPPED canonical_on_aarch64_under_qemu_gives_the_pinned_bits: DITTO_AARCH64_BIN \
             is not set (.ci/run sets it to a build for aarch64-unknown-linux-gnu)"
        );
        return;
    };
    let runner = std::env::var("DITTO_AARCH64_RUNNER").unwrap_or_else(|_| "qemu-aarch64".into());
    let t = tempfile::tempdir().unwrap();
    // (DITTO_SIMD, the kernel_isa the manifest must record): an unset level takes the best
    // instruction set an aarch64 CPU has; `off` the scalar reference path.
    let levels: [(Option<&str>, &[&str]); 2] =
        [(None, &["neon", "scalar"]), (Some("off"), &["scalar"])];
    for (example, steps, pinned) in CASES {
        for (level, isas) in levels {
            let out = t
                .path()
                .join(format!("{example}-{}", level.unwrap_or("auto")));
            let mut cmd = Command::new(&runner);
            cmd.arg(&bin)
                .args([
                    "train",
                    "--example",
                    example,
                    "--mode",
                    "canonical",
                    "--threads",
                    "2",
                ])
                .arg("--out")
                .arg(&out);
            if let Some(s) = steps {
                cmd.args(["--max-steps", s]);
            }
            match level {
                Some(v) => cmd.env("DITTO_SIMD", v),
                None => cmd.env_remove("DITTO_SIMD"),
            };
            let started = std::time::Instant::now();
            let o = cmd.output().unwrap();
            assert!(
                o.status.success(),
                "{example} {level:?} under {runner}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let fp = fingerprint(&String::from_utf8_lossy(&o.stdout));
            assert_eq!(fp, pinned, "{example} {level:?} on aarch64");
            let manifest: serde_json::Value =
                serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
            let isa = manifest["kernel_isa"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                isas.contains(&isa.as_str()),
                "{example} {level:?}: kernel_isa {isa:?}"
            );
            assert_eq!(
                manifest["target"], "aarch64-unknown-linux-gnu",
                "{example}: {manifest}"
            );
            let secs = started.elapsed().as_secs_f64();
            eprintln!("aarch64 {example} {level:?}: {fp} ({isa}, {secs:.1} s under {runner})");
        }
    }
}
