//! REPRODUCIBILITY.md's table ("What each mode promises when the environment changes"),
//! row by row.

use super::*;

/// Every row of REPRODUCIBILITY.md's table ("What each mode promises when the environment
/// changes"), transcribed: one factor changed at a time on a CPU run whose model ditto built
/// from the config, and whether canonical and run-to-run mode owe the same bits across it.
#[test]
fn every_row_of_the_documented_table() {
    type Edit = fn(&mut Environment);
    let rows: [(Factor, Edit, bool, bool); 19] = [
        (Factor::Threads, |e| e.facts.threads = Some(64), true, true),
        (Factor::Workers, |e| e.workers = 3, true, true),
        (
            Factor::KernelIsa,
            |e| e.facts.kernel_isa = Some(Shown("scalar".into())),
            true,
            true,
        ),
        (
            Factor::MatmulIsa,
            |e| e.facts.matmul_isa = Some(Shown("sse2".into())),
            true,
            false,
        ),
        (
            Factor::CpuFeatures,
            |e| e.facts.cpu_features = Some(vec!["sse4.2".into()]),
            true,
            false,
        ),
        (
            Factor::CpuModel,
            |e| e.facts.cpu_model = Some("Intel Xeon".into()),
            true,
            false,
        ),
        (
            Factor::Target,
            |e| e.facts.target = Some("aarch64-unknown-linux-gnu".into()),
            true,
            false,
        ),
        (
            Factor::Os,
            |e| e.facts.os_version = Some("Ubuntu 24.04 LTS".into()),
            true,
            false,
        ),
        (
            Factor::Kernel,
            |e| e.facts.kernel_release = Some("6.8.0".into()),
            true,
            true,
        ),
        (
            Factor::BurnVersion,
            |e| e.facts.burn_version = Some("0.22.0".into()),
            false,
            false,
        ),
        (
            Factor::DittoVersion,
            |e| e.facts.ditto_version = Some("0.1.1".into()),
            true,
            false,
        ),
        (
            Factor::DittoVersion,
            |e| e.facts.ditto_version = Some("0.2.0".into()),
            false,
            false,
        ),
        (
            Factor::CanonicalSpec,
            |e| e.facts.canonical_spec_version = Some(2),
            false,
            false,
        ),
        (
            Factor::Rustc,
            |e| e.facts.rustc_version = Some("rustc 1.99.0".into()),
            true,
            false,
        ),
        (
            Factor::CargoLock,
            |e| e.facts.cargo_lock_blake3 = Some("ffff".into()),
            true,
            false,
        ),
        (
            Factor::Backend,
            |e| e.backend = BackendKind::Wgpu,
            true,
            false,
        ),
        (
            Factor::Program,
            |e| {
                if let Some(p) = e.facts.program.as_mut() {
                    p.exe_blake3 = Some("e2".into());
                }
            },
            true,
            false,
        ),
        (
            Factor::ProjectSource,
            |e| e.facts.git_commit = Some("4567".into()),
            true,
            false,
        ),
        (
            Factor::ProjectSource,
            |e| e.facts.git_dirty = Some(true),
            true,
            false,
        ),
    ];
    for (factor, edit, canonical, run_to_run) in rows {
        let mut here = base();
        edit(&mut here);
        let c = check(&here, Mode::Canonical);
        assert_eq!(factors(&c), [factor], "{c}");
        let row = &c.rows[0];
        assert_eq!(
            row.canonical.is_owed(),
            canonical,
            "{factor:?} canonical: {c}"
        );
        assert_eq!(
            row.run_to_run.is_owed(),
            run_to_run,
            "{factor:?} run-to-run: {c}"
        );
        assert_eq!(c.identity_owed(), canonical, "{c}");
        assert_eq!(check(&here, Mode::RunToRun).identity_owed(), run_to_run);
    }
    // A model a program built: its program and source matter to both modes.
    for edit in [
        (|e: &mut Environment| e.facts.git_commit = Some("4567".into())) as fn(&mut Environment),
        |e| e.facts.program = None,
    ] {
        let mut here = base();
        edit(&mut here);
        let c = EnvCheck::compare(&base(), &here, Mode::Canonical, Some(ModelOrigin::Program));
        if c.rows.is_empty() {
            // The program unknown here: not compared, and said so.
            assert!(
                c.notes.iter().any(|n| n.contains("program executable")),
                "{c}"
            );
        } else {
            assert!(!c.identity_owed() && !c.owed_by(Mode::RunToRun), "{c}");
        }
    }
}
