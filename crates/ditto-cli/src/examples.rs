//! The bundled examples' configs.

use ditto_train::TrainConfig;

/// The bundled examples: name and config file.
pub const EXAMPLES: [(&str, &str); 3] = [
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

/// The config of a bundled example.
pub fn config(name: &str) -> Result<TrainConfig, String> {
    match EXAMPLES.iter().find(|(n, _)| *n == name) {
        Some((_, text)) => TrainConfig::from_toml(text).map_err(|e| e.to_string()),
        None => Err(format!(
            "no example named {name:?}; available: {}",
            EXAMPLES.map(|e| e.0).join(", ")
        )),
    }
}
