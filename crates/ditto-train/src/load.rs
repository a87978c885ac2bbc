//! Putting a checkpoint's weights (or a plain weights file's, f32, f16 or bf16) into a
//! freshly built model.

use std::collections::BTreeMap;
use std::path::Path;

use burn::module::Module;
use burn::tensor::backend::Backend;

use ditto_rng::{PathPattern, param_infos};

use crate::checkpoint::{Checkpoint, TensorEntry};
use crate::error::{Error, ErrorKind};
use crate::params::{ParamValues, read_params, write_params};
use crate::weights::Weights;

/// Class: portable (`f32` values are copied bit for bit; `f16` and `bf16` ones, which only
/// another tool writes into a checkpoint, upcast exactly). Loads the parameters stored in `ck`
/// (`model.<path>` tensors) into `model`, by parameter path: build the model the same way as
/// for training (on any backend, autodiff or not), then load.
///
/// Errors: [`ErrorKind::Invalid`] naming the parameters that the checkpoint lacks or holds
/// with another shape, and those it holds that the model does not have.
pub fn load_params<B: Backend, M: Module<B>>(model: M, ck: &Checkpoint) -> Result<M, Error> {
    let entries = ck
        .tensors
        .iter()
        .filter_map(|(name, t)| Some((name.strip_prefix("model.")?, t)));
    load_all(model, entries, "checkpoint")
}

/// Class: portable (`f32` values are copied bit for bit, `f16` and `bf16` ones upcast
/// exactly). [`load_params`] from [`Weights`]: every tensor is a parameter of `model`.
///
/// Errors: as [`load_params`]; [`ErrorKind::Invalid`] for a tensor that is not a float.
pub fn load_weights<B: Backend, M: Module<B>>(model: M, weights: &Weights) -> Result<M, Error> {
    let entries = weights.tensors.iter().map(|(p, t)| (p.as_str(), t));
    load_all(model, entries, "weights file")
}

/// Class: portable. Loads a file's weights into `model` (see [`Weights::read`]): a ditto
/// checkpoint (verified as it is read; its `model.<path>` tensors, as [`load_params`]) or a
/// plain safetensors file whose tensor names are the parameter paths (what `ditto export`
/// writes, or pretrained weights from another tool), in `f32`, `f16` or `bf16` (upcast
/// exactly, as [`load_weights`]).
pub fn load_params_from<B: Backend, M: Module<B>>(model: M, path: &Path) -> Result<M, Error> {
    let weights = Weights::read(path)?;
    let what = match weights.integrity {
        Some(_) => "checkpoint",
        None => "weights file",
    };
    let entries = weights.tensors.iter().map(|(p, t)| (p.as_str(), t));
    load_all(model, entries, what).map_err(|e| e.at(path))
}

/// Class: portable (`f32` values are copied bit for bit, `f16` and `bf16` ones upcast
/// exactly). Loads into `model` only the
/// parameters whose paths match one of `patterns` ([`ditto_rng::PathPattern`]: `"body"` is
/// every parameter under `body`), from `ck`'s `model.<path>` tensors: fine-tuning a pretrained
/// body under a new head, with `[init] keep` naming the same patterns. Other parameters are
/// left as they are (lazy ones stay lazy).
///
/// Errors: [`ErrorKind::Invalid`] when a pattern matches no parameter of the model, or a
/// matching parameter is not in the checkpoint or has another shape there.
pub fn load_params_matching<B: Backend, M: Module<B>>(
    model: M,
    ck: &Checkpoint,
    patterns: &[&str],
) -> Result<M, Error> {
    let entries = ck
        .tensors
        .iter()
        .filter_map(|(name, t)| Some((name.strip_prefix("model.")?, t)));
    load_matching(model, entries, patterns, "checkpoint")
}

/// Class: portable (`f32` values are copied bit for bit, `f16` and `bf16` ones upcast
/// exactly). [`load_params_matching`] from [`Weights`] (e.g. pretrained weights published
/// in `bf16`, read by [`Weights::read`]).
///
/// Errors: as [`load_params_matching`].
pub fn load_weights_matching<B: Backend, M: Module<B>>(
    model: M,
    weights: &Weights,
    patterns: &[&str],
) -> Result<M, Error> {
    let entries = weights.tensors.iter().map(|(p, t)| (p.as_str(), t));
    load_matching(model, entries, patterns, "weights file")
}

/// Loads every `(path, tensor)` of `entries` into `model`, refusing any mismatch; `what`
/// names the source in errors.
fn load_all<'a, B: Backend, M: Module<B>>(
    model: M,
    entries: impl Iterator<Item = (&'a str, &'a TensorEntry)>,
    what: &str,
) -> Result<M, Error> {
    let mut values: BTreeMap<String, ParamValues> = BTreeMap::new();
    for (path, t) in entries {
        values.insert(path.to_owned(), (t.shape.clone(), values_of(path, t)?));
    }
    let expected = read_params(&model);
    let extra: Vec<&String> = values
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    let (model, missing) = write_params(model, &values);
    if !missing.is_empty() || !extra.is_empty() {
        let shapes: Vec<String> = missing
            .iter()
            .map(|p| {
                let want = expected.get(p).map(|(s, _)| s.clone()).unwrap_or_default();
                match values.get(p) {
                    Some((got, _)) => format!("{p} (model {want:?}, {what} {got:?})"),
                    None => format!("{p} {want:?} (not in the {what})"),
                }
            })
            .collect();
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "the {what} does not fit the model: {}{}{}",
                shapes.join(", "),
                if shapes.is_empty() || extra.is_empty() {
                    ""
                } else {
                    "; "
                },
                if extra.is_empty() {
                    String::new()
                } else {
                    format!("not in the model: {extra:?}")
                }
            ),
        ));
    }
    Ok(model)
}

/// Loads the `(path, tensor)` of `entries` whose paths match `patterns` into `model`.
fn load_matching<'a, B: Backend, M: Module<B>>(
    model: M,
    entries: impl Iterator<Item = (&'a str, &'a TensorEntry)>,
    patterns: &[&str],
    what: &str,
) -> Result<M, Error> {
    let patterns: Vec<PathPattern> = patterns.iter().map(|p| PathPattern::new(*p)).collect();
    let wanted = |path: &str| patterns.iter().any(|p| p.matches(path));
    let paths: Vec<String> = param_infos::<B, M>(&model)
        .into_iter()
        .map(|p| p.path)
        .collect();
    if let Some(p) = patterns
        .iter()
        .find(|p| !paths.iter().any(|path| p.matches(path)))
    {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "the pattern {:?} matches no parameter of the model",
                p.as_str()
            ),
        ));
    }
    let mut values: BTreeMap<String, ParamValues> = BTreeMap::new();
    for (path, t) in entries {
        if wanted(path) && paths.iter().any(|p| p == path) {
            values.insert(path.to_owned(), (t.shape.clone(), values_of(path, t)?));
        }
    }
    let (model, missing) = write_params(model, &values);
    let missing: Vec<String> = missing
        .into_iter()
        .filter(|p| wanted(p))
        .map(|p| match values.get(&p) {
            Some((got, _)) => format!("{p} (another shape in the {what}: {got:?})"),
            None => format!("{p} (not in the {what})"),
        })
        .collect();
    if !missing.is_empty() {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!("the {what} does not fit the model: {}", missing.join(", ")),
        ));
    }
    Ok(model)
}

/// The values of parameter `path`'s tensor as `f32`, or an error naming it.
fn values_of(path: &str, t: &TensorEntry) -> Result<Vec<f32>, Error> {
    crate::precision::decode(t.dtype, &t.shape, &t.bytes)
        .map_err(|e| Error::new(ErrorKind::Invalid, None, format!("parameter {path}: {e}")))
}
