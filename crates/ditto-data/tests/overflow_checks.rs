//! Overflow checks are on for every ditto package in every profile, as the workspace's
//! `Cargo.toml` promises (issue 27: only ditto-rng had them in release, so a hostile loader
//! state wrapped silently there and panicked in debug). Checked two ways: in this very test
//! binary (a package's overrides cover its tests), and for every workspace package by reading
//! the manifest's `[profile.release.package.*]` tables.

use std::hint::black_box;
use std::panic::catch_unwind;
use std::path::Path;

#[test]
fn an_overflow_panics_here() {
    let wrapped = catch_unwind(|| black_box(u64::MAX) + black_box(1));
    assert!(
        wrapped.is_err(),
        "u64::MAX + 1 wrapped: overflow checks are off"
    );
    assert!(
        black_box(cfg!(debug_assertions)),
        "debug assertions are off"
    );
}

/// The package names of the workspace: the root package and every member's `Cargo.toml`.
fn packages(root: &Path) -> Vec<String> {
    let mut manifests = vec![root.join("Cargo.toml")];
    for dir in ["crates", "examples"] {
        let mut found: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .filter_map(|e| Some(e.ok()?.path().join("Cargo.toml")))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        manifests.extend(found);
    }
    manifests
        .iter()
        .map(|m| {
            let text = std::fs::read_to_string(m).unwrap();
            let package = text.split("[package]").nth(1).unwrap_or_else(|| {
                panic!("{}: no [package]", m.display());
            });
            let name = package
                .lines()
                .find_map(|l| l.trim().strip_prefix("name = "))
                .unwrap_or_else(|| panic!("{}: no name", m.display()));
            name.trim_matches('"').to_owned()
        })
        .collect()
}

#[test]
fn every_workspace_package_has_them_in_release() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let names = packages(&root);
    assert!(names.len() >= 8, "{names:?}");
    for name in names {
        let header = format!("[profile.release.package.{name}]");
        let table = manifest
            .split(&header)
            .nth(1)
            .unwrap_or_else(|| panic!("no {header} in Cargo.toml"));
        let table = table.split("\n[").next().unwrap_or_default();
        for setting in ["overflow-checks = true", "debug-assertions = true"] {
            assert!(
                table.lines().any(|l| l.trim() == setting),
                "{header} lacks `{setting}`"
            );
        }
    }
}
