//! The `[model]` table: the bundled model kinds, each with its own fields.

use serde::{Deserialize, Serialize};

/// Class: portable. The bundled model, each kind with its own fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelConfig {
    /// [`crate::Mlp`].
    Mlp(MlpConfig),
    /// [`crate::Cnn`].
    Cnn(CnnConfig),
    /// A model of your own, trained with [`crate::Trainer::fit`]; recorded only.
    Custom(CustomModelConfig),
}

/// Class: portable. The MLP's shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpConfig {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Dropout probability after each hidden layer.
    pub dropout: f64,
}

/// Class: portable. The CNN's shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CnnConfig {
    /// Output channels of the convolution blocks.
    pub channels: Vec<usize>,
    /// Width of the dense layer.
    pub dense: usize,
    /// Dropout probability after flattening and after the dense layer.
    pub dropout: f64,
}

/// Class: portable. A model of your own: a name to record (optional).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomModelConfig {
    /// What the model is, for the record (`report.md`, `inspect`).
    pub name: Option<String>,
}

impl ModelConfig {
    /// Class: not applicable. The kind's name (`mlp`, `cnn`, `custom`).
    pub fn kind(&self) -> &'static str {
        match self {
            ModelConfig::Mlp(_) => "mlp",
            ModelConfig::Cnn(_) => "cnn",
            ModelConfig::Custom(_) => "custom",
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig::Mlp(MlpConfig::default())
    }
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self {
            hidden: vec![128],
            dropout: 0.1,
        }
    }
}

impl Default for CnnConfig {
    fn default() -> Self {
        Self {
            channels: vec![8, 16],
            dense: 64,
            dropout: 0.1,
        }
    }
}
