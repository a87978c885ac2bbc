//! `model.json`: the trained model as the module itself describes it: every parameter's
//! path, owning module, shape, dtype, count and hash at initialisation, and the module's own
//! `Debug` description. Taken from the module, never from the config, so the record cannot
//! describe a model that was not trained.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Tensor, backend::Backend};
use serde::{Deserialize, Serialize};

/// Class: not applicable (a choice). Where the trained model came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelOrigin {
    /// ditto built it from the config's `[model]` table (`ditto train`, `Trainer::fit_bundled`):
    /// the config reproduces it.
    Config,
    /// A program built it and gave it to [`crate::Trainer::fit`]: the program reproduces it,
    /// and the config records it as `kind = "custom"`.
    Program,
}

/// Class: portable (a function of the seed and the module). One float parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamRow {
    /// Dotted path (Burn's field names), as in checkpoints (`model.<path>`).
    pub path: String,
    /// The type of the module that holds it (e.g. `Linear`), or `-` at the top level.
    pub module: String,
    /// Shape, row-major.
    pub shape: Vec<usize>,
    /// Element type (`f32`).
    pub dtype: String,
    /// Number of values.
    pub count: u64,
    /// BLAKE3 of its values' little-endian bytes when training started (after ditto's
    /// initialisation; the checkpoint's values for a resumed run's first process as well, as
    /// initialisation is a function of the seed).
    pub init_blake3: String,
}

/// Class: portable (a function of the seed and the module). What `model.json` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// Where the model came from.
    pub origin: ModelOrigin,
    /// The module's Rust type, without its generic arguments.
    pub type_name: String,
    /// Number of float parameter tensors.
    pub tensors: usize,
    /// Number of values in them.
    pub values: u64,
    /// Every float parameter, in path order.
    pub parameters: Vec<ParamRow>,
    /// The module's `Debug` output (pretty, parameter ids shown as `Param`), cut at 64 KiB.
    pub description: String,
}

/// The longest description kept.
const DESCRIPTION_MAX: usize = 64 * 1024;

impl ModelRecord {
    /// Class: portable (reads the parameters back from the device). The record of `module`
    /// as it is now (the trainer takes it right after initialisation).
    pub fn of<B: Backend, M: Module<B>>(module: &M, origin: ModelOrigin) -> Self {
        let mut v = Describe {
            path: Vec::new(),
            owner: Vec::new(),
            rows: Vec::new(),
        };
        module.visit(&mut v);
        let mut parameters = v.rows;
        parameters.sort_by(|a, b| a.path.cmp(&b.path));
        Self {
            origin,
            type_name: type_name_of::<M>(),
            tensors: parameters.len(),
            values: parameters.iter().map(|p| p.count).sum(),
            parameters,
            description: describe(&format!("{module:#?}")),
        }
    }

    /// Class: not applicable. Whether a module of type `name` holds parameters (e.g.
    /// `BatchNorm`).
    pub fn has_module(&self, name: &str) -> bool {
        self.parameters.iter().any(|p| p.module == name)
    }
}

/// The Rust type of `M` without its generic arguments (`my_crate::Net`, not
/// `my_crate::Net<Autodiff<..>>`).
pub(crate) fn type_name_of<M>() -> String {
    let full = std::any::type_name::<M>();
    full.split('<').next().unwrap_or(full).to_owned()
}

/// `Debug` output with Burn's `Param: <id> - ParamMapper { .. }` shown as `Param`, cut at
/// [`DESCRIPTION_MAX`] bytes (on a character boundary) with a note saying how much was cut.
fn describe(debug: &str) -> String {
    const START: &str = "Param: ";
    let mut out = String::with_capacity(debug.len().min(DESCRIPTION_MAX));
    let mut rest = debug;
    while let Some(i) = rest.find(START) {
        out.push_str(&rest[..i]);
        let after = &rest[i + START.len()..];
        // `Param: 123 - ParamMapper { load: false, save: false }` (Burn 0.21's Debug): the id
        // is one token, the mapper's braces hold no others.
        const MAPPER: &str = " - ParamMapper {";
        let end = after
            .find(MAPPER)
            .filter(|&k| k > 0 && !after[..k].contains(char::is_whitespace))
            .and_then(|k| after[k..].find('}').map(|j| k + j + 1));
        match end {
            Some(end) => {
                out.push_str("Param");
                rest = &after[end..];
            }
            None => {
                out.push_str(START);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    if out.len() <= DESCRIPTION_MAX {
        return out;
    }
    let mut cut = DESCRIPTION_MAX;
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    let more = out.len() - cut;
    out.truncate(cut);
    out.push_str(&format!("\n... ({more} more bytes not kept)"));
    out
}

struct Describe {
    path: Vec<String>,
    owner: Vec<String>,
    rows: Vec<ParamRow>,
}

impl<B: Backend> ModuleVisitor<B> for Describe {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push(name.to_owned());
        self.owner.push(container_type.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
        self.owner.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let t = param.val();
        let shape = t.dims().to_vec();
        let dtype = format!("{:?}", t.dtype()).to_lowercase();
        let values = t
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .unwrap_or_default();
        let mut bytes = Vec::with_capacity(values.len() * 4);
        for v in &values {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        // Burn names the container as `Struct:Linear`; `Vec`, `Array` and `Tuple` hold
        // modules by index: the owner is the innermost named struct.
        let module = self
            .owner
            .iter()
            .rev()
            .find_map(|c| c.strip_prefix("Struct:").or(c.strip_prefix("Enum:")))
            .unwrap_or("-")
            .to_owned();
        self.rows.push(ParamRow {
            path: self.path.join("."),
            module,
            count: values.len() as u64,
            shape,
            dtype,
            init_blake3: blake3::hash(&bytes).to_hex().to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_ids_are_hidden_and_long_descriptions_cut() {
        let d = "Linear {\n    weight: Param: 123 - ParamMapper { load: false, save: false },\n    \
                 bias: Some(\n        Param: 9 - ParamMapper { load: true, save: true },\n    ),\n}";
        assert_eq!(
            describe(d),
            "Linear {\n    weight: Param,\n    bias: Some(\n        Param,\n    ),\n}"
        );
        assert_eq!(describe("Param: x"), "Param: x");
        let long = "é".repeat(DESCRIPTION_MAX);
        let cut = describe(&long);
        assert!(cut.len() < DESCRIPTION_MAX + 64);
        assert!(
            cut.ends_with("more bytes not kept)"),
            "{}",
            &cut[cut.len() - 40..]
        );
    }
}
