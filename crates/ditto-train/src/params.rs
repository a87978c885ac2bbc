//! Reading and writing a module's float parameters by path, and their fingerprint.

use std::collections::BTreeMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Tensor, TensorData, backend::Backend};

/// Class: portable. A parameter's shape and values.
pub type ParamValues = (Vec<usize>, Vec<f32>);

/// Class: run-to-run (the values are the backend's). Every float parameter of `module`,
/// keyed by its dotted path (Burn's field names, as in `ditto_rng::ParamInfo::path`).
pub fn read_params<B: Backend, M: Module<B>>(module: &M) -> BTreeMap<String, ParamValues> {
    let mut v = Reader {
        path: Vec::new(),
        out: BTreeMap::new(),
    };
    module.visit(&mut v);
    v.out
}

/// Class: portable. Replaces each float parameter whose path is in `values` (same shape) by
/// those values, keeping its `ParamId` and gradient flag. Returns the paths that were not
/// found in `values` or had another shape, so the caller can refuse a mismatched checkpoint.
pub fn write_params<B: Backend, M: Module<B>>(
    module: M,
    values: &BTreeMap<String, ParamValues>,
) -> (M, Vec<String>) {
    let mut w = Writer {
        path: Vec::new(),
        values,
        missing: Vec::new(),
        _b: core::marker::PhantomData::<B>,
    };
    let m = module.map(&mut w);
    (m, w.missing)
}

/// Class: portable. BLAKE3 over every parameter in path order: the path's UTF-8 bytes, a 0
/// byte, the shape as u64 LE, then the values' f32 LE bytes. Two runs agree on it exactly
/// when every parameter is bitwise identical.
pub fn fingerprint(params: &BTreeMap<String, ParamValues>) -> String {
    let mut h = blake3::Hasher::new();
    let mut bytes = Vec::new();
    for (path, (shape, values)) in params {
        h.update(path.as_bytes());
        h.update(&[0]);
        for d in shape {
            h.update(&(*d as u64).to_le_bytes());
        }
        // The same bytes as one `update` per value, in one update per tensor: BLAKE3's result
        // does not depend on how the input is split, 4-byte updates made hashing most of the
        // trace line's cost, and long updates let it hash 16 KiB chunks in parallel lanes.
        // Written by a plain indexed loop (which vectorises; `flat_map` pushed byte by byte).
        bytes.resize(values.len() * 4, 0);
        for (b, v) in bytes.chunks_exact_mut(4).zip(values) {
            b.copy_from_slice(&v.to_le_bytes());
        }
        h.update(&bytes);
    }
    h.finalize().to_hex().to_string()
}

/// Class: portable (ids from `ditto_rng::reinit` are derived from paths). Every float
/// parameter's `ParamId`, keyed by path.
pub fn param_ids<B: Backend, M: Module<B>>(module: &M) -> BTreeMap<String, ParamId> {
    let mut v = Ids {
        path: Vec::new(),
        out: BTreeMap::new(),
    };
    module.visit(&mut v);
    v.out
}

struct Ids {
    path: Vec<String>,
    out: BTreeMap<String, ParamId>,
}

impl<B: Backend> ModuleVisitor<B> for Ids {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.out.insert(self.path.join("."), param.id);
    }
}

struct Reader {
    path: Vec<String>,
    out: BTreeMap<String, ParamValues>,
}

impl<B: Backend> ModuleVisitor<B> for Reader {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let t = param.val();
        let shape = t.dims().to_vec();
        // `into_vec` takes the buffer over when it is f32 already (no second copy).
        let values = t
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .unwrap_or_default();
        self.out.insert(self.path.join("."), (shape, values));
    }
}

struct Writer<'a, B> {
    path: Vec<String>,
    values: &'a BTreeMap<String, ParamValues>,
    missing: Vec<String>,
    _b: core::marker::PhantomData<B>,
}

impl<B: Backend> ModuleMapper<B> for Writer<'_, B> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let path = self.path.join(".");
        let shape = param.lazy_shape().to_vec();
        match self.values.get(&path) {
            Some((s, v)) if *s == shape && v.len() == shape.iter().product::<usize>() => {
                let device = param.lazy_device();
                let id = param.id;
                let t = Tensor::<B, D>::from_data(TensorData::new(v.clone(), shape), &device);
                Param::initialized(id, t.require_grad())
            }
            _ => {
                self.missing.push(path);
                param
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented byte sequence, hashed one update per item: what `fingerprint` hashed
    /// before it wrote values in blocks. Crossing a block boundary must not change a bit.
    #[test]
    fn fingerprint_is_the_documented_byte_sequence() {
        let mut params = BTreeMap::new();
        let big: Vec<f32> = (0..2500).map(|i| (i as f32 * 0.37).sin()).collect();
        params.insert("a.weight".to_owned(), (vec![50, 50], big));
        params.insert("a.bias".to_owned(), (vec![3], vec![1.0, -0.0, f32::NAN]));
        params.insert("b".to_owned(), (vec![0], Vec::new()));
        let mut h = blake3::Hasher::new();
        for (path, (shape, values)) in &params {
            h.update(path.as_bytes());
            h.update(&[0]);
            for d in shape {
                h.update(&(*d as u64).to_le_bytes());
            }
            for v in values {
                h.update(&v.to_le_bytes());
            }
        }
        assert_eq!(fingerprint(&params), h.finalize().to_hex().to_string());
    }
}
