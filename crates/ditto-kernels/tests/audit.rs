//! The determinism audit: `DETERMINISM.md`'s table is generated from `op_class`, and every op
//! that training an MLP and a small CNN touches has a tested (or exact) class.
//!
//! Regenerate the table after changing the classes: `DITTO_BLESS=1 cargo test --release -p
//! ditto-kernels --test kernels -- audit::`.

use crate::common;

use std::collections::BTreeSet;

use burn::backend::{Autodiff, NdArray};
use common::{Model, train};
use ditto_kernels::{
    BackendKind, CanonicalClass, Ditto, DittoConfig, KernelMode, OpClass, all_ops, canonical_class,
    op_class, record_ops,
};

type B = Autodiff<Ditto<NdArray>>;

fn training_ops() -> BTreeSet<&'static str> {
    let mut all = BTreeSet::new();
    for model in [Model::Mlp, Model::Cnn] {
        let (_, ops) = record_ops(|| train::<B>(model, 2, 7, &Default::default()));
        all.extend(ops);
    }
    all
}

#[test]
fn training_touches_only_tested_ops() {
    let used = training_ops();
    assert!(
        used.contains("linear") && used.contains("conv2d"),
        "{used:?}"
    );
    for op in &used {
        for kind in [BackendKind::NdArray, BackendKind::Wgpu] {
            let (class, _) = op_class(op, kind);
            assert!(
                matches!(
                    class,
                    OpClass::Exact | OpClass::Portable | OpClass::RunToRun
                ),
                "{op} is used in training but is {class:?} on {kind:?}: test it and class it"
            );
        }
    }
}

/// Every op a canonical-mode training step calls (directly or inside a composite) on
/// `Autodiff<Ditto<NdArray>>`.
fn canonical_training_ops() -> BTreeSet<&'static str> {
    let device = Default::default();
    Ditto::<NdArray>::configure(
        &device,
        DittoConfig {
            kernels: KernelMode::Canonical,
            ..Default::default()
        },
    );
    let mut all = BTreeSet::new();
    for model in [Model::Mlp, Model::Cnn] {
        let (_, ops) = record_ops(|| train::<B>(model, 2, 7, &device));
        all.extend(ops);
    }
    Ditto::<NdArray>::configure(&device, DittoConfig::default());
    all
}

#[test]
fn canonical_training_touches_only_canonical_or_exact_ops() {
    let used = canonical_training_ops();
    assert!(
        used.contains("linear") && used.contains("float_matmul"),
        "{used:?}"
    );
    for op in &used {
        let class = canonical_class(op);
        assert!(
            matches!(
                class,
                Some(
                    CanonicalClass::Canonical
                        | CanonicalClass::ExactEverywhere
                        | CanonicalClass::Portable
                )
            ),
            "{op} runs in a canonical-mode training step but is {class:?}: route it (or class it)"
        );
    }
}

#[test]
fn determinism_md_is_current() {
    let used = training_ops();
    let canonical_used = canonical_training_ops();
    let mut md = String::from(include_str!("../DETERMINISM.head.md"));
    md.push_str(
        "| trait | op | NdArray | Wgpu | canonical mode | used in MLP/CNN training | why |\n",
    );
    md.push_str("|---|---|---|---|---|---|---|\n");
    for (tr, op) in all_ops() {
        let (nd, why_nd) = op_class(op, BackendKind::NdArray);
        let (wg, why_wg) = op_class(op, BackendKind::Wgpu);
        let why = if why_nd == why_wg {
            why_nd.to_owned()
        } else {
            format!("NdArray: {why_nd}; Wgpu: {why_wg}")
        };
        let used = match (used.contains(op), canonical_used.contains(op)) {
            (true, true) => "yes",
            (true, false) => "run-to-run only",
            (false, true) => "canonical only",
            (false, false) => "",
        };
        let canon = canonical_class(op).map_or("?", CanonicalClass::name);
        md.push_str(&format!(
            "| {tr} | `{op}` | {} | {} | {canon} | {used} | {why} |\n",
            nd.name(),
            wg.name()
        ));
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/DETERMINISM.md");
    if std::env::var_os("DITTO_BLESS").is_some() {
        std::fs::write(path, &md).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == md,
        "DETERMINISM.md is stale: rerun with DITTO_BLESS=1 (see this file's docs)"
    );
}
