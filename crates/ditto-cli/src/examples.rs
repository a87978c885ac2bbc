//! The bundled examples' configs.

use ditto_train::TrainConfig;

/// The config of a bundled example.
pub fn config(name: &str) -> Result<TrainConfig, String> {
    match name {
        "digits-mlp" => {
            TrainConfig::from_toml(include_str!("../../../examples/digits-mlp/config.toml"))
                .map_err(|e| e.to_string())
        }
        other => Err(format!("no example named {other:?}; available: digits-mlp")),
    }
}
