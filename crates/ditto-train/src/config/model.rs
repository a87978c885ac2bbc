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
    /// [`crate::Transformer`].
    Transformer(TransformerConfig),
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

/// Class: portable. The transformer encoder's shape (see [`crate::Transformer`]): each image
/// row is a token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransformerConfig {
    /// Width of the token embeddings.
    pub d_model: usize,
    /// Attention heads (must divide `d_model`).
    pub heads: usize,
    /// Encoder layers.
    pub layers: usize,
    /// Width of each layer's feed-forward block.
    pub d_ff: usize,
    /// Dropout probability (attention weights, residual branches, feed-forward).
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
    /// Class: not applicable. The kind's name (`mlp`, `cnn`, `transformer`, `custom`).
    pub fn kind(&self) -> &'static str {
        match self {
            ModelConfig::Mlp(_) => "mlp",
            ModelConfig::Cnn(_) => "cnn",
            ModelConfig::Transformer(_) => "transformer",
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

impl Default for TransformerConfig {
    fn default() -> Self {
        Self {
            d_model: 32,
            heads: 4,
            layers: 2,
            d_ff: 64,
            dropout: 0.1,
        }
    }
}
