//! The audit of the bundled examples: every op a canonical-mode training step (and the
//! evaluation after it) of each bundled example calls on `Autodiff<Ditto<NdArray>>` is
//! canonical or exact on every backend. A new model or op that slips through to a forwarded,
//! non-exact backend op fails here (strict mode would refuse it at run time as well).

use std::collections::BTreeSet;

use burn::backend::NdArray;
use ditto_kernels::{CanonicalClass, canonical_class, record_ops};
use ditto_train::{Mode, TrainConfig, TrainData, Trainer};

const EXAMPLES: [(&str, &str); 3] = [
    (
        "digits-mlp",
        include_str!("../../../examples/digits-mlp/config.toml"),
    ),
    (
        "fashion-cnn",
        include_str!("../../../examples/fashion-cnn/config.toml"),
    ),
    (
        "digits-transformer",
        include_str!("../../../examples/digits-transformer/config.toml"),
    ),
];

/// `record_ops` records the ops called on its own thread, and `Trainer::fit` runs its loop
/// on a rayon pool thread: recording from a pool thread makes them the same thread.
fn recorded<R: Send>(f: impl FnOnce() -> R + Send) -> (R, BTreeSet<&'static str>) {
    rayon::scope(|_| record_ops(f))
}

#[test]
fn canonical_steps_of_every_bundled_example_call_only_canonical_or_exact_ops() {
    for (name, text) in EXAMPLES {
        let mut config = TrainConfig::from_toml(text).unwrap();
        config.mode = Mode::Canonical;
        config.max_steps = Some(2);
        let data = TrainData::bundled(&config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let trainer = Trainer::new(config).unwrap().out(dir.path());
        let (result, used) =
            recorded(|| trainer.fit_bundled::<NdArray>(&data, &Default::default()));
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(used.contains("float_matmul"), "{name}: {used:?}");
        let bad: Vec<_> = used
            .iter()
            .filter(|op| {
                !matches!(
                    canonical_class(op),
                    Some(
                        CanonicalClass::Canonical
                            | CanonicalClass::ExactEverywhere
                            | CanonicalClass::Portable
                    )
                )
            })
            .map(|op| format!("{op} ({:?})", canonical_class(op)))
            .collect();
        assert!(
            bad.is_empty(),
            "{name}: a canonical-mode step calls ops that are neither canonical nor exact \
             everywhere: {bad:?}"
        );
    }
}

#[test]
fn the_transformer_example_uses_attention_layer_norm_and_gelu() {
    let mut config = TrainConfig::from_toml(EXAMPLES[2].1).unwrap();
    config.mode = Mode::Canonical;
    config.max_steps = Some(1);
    let data = TrainData::bundled(&config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trainer = Trainer::new(config).unwrap().out(dir.path());
    let (result, used) = recorded(|| trainer.fit_bundled::<NdArray>(&data, &Default::default()));
    result.unwrap();
    for op in [
        "gelu",
        "gelu_backward",
        "softmax",
        "layer_norm",
        "linear",
        "embedding_backward",
    ] {
        assert!(used.contains(op), "{op} not called: {used:?}");
    }
}
