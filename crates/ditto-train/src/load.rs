//! Putting a checkpoint's weights into a freshly built model.

use std::collections::BTreeMap;
use std::path::Path;

use burn::module::Module;
use burn::tensor::backend::Backend;

use ditto_rng::{PathPattern, param_infos};

use crate::checkpoint::Checkpoint;
use crate::error::{Error, ErrorKind};
use crate::params::{ParamValues, read_params, write_params};

/// Class: portable (the values are copied bit for bit). Loads the parameters stored in `ck`
/// (`model.<path>` tensors) into `model`, by parameter path: build the model the same way as
/// for training (on any backend, autodiff or not), then load.
///
/// Errors: [`ErrorKind::Invalid`] naming the parameters that the checkpoint lacks or holds
/// with another shape, and those it holds that the model does not have.
pub fn load_params<B: Backend, M: Module<B>>(model: M, ck: &Checkpoint) -> Result<M, Error> {
    let mut values: BTreeMap<String, ParamValues> = BTreeMap::new();
    for (name, t) in &ck.tensors {
        if let Some(path) = name.strip_prefix("model.") {
            values.insert(path.to_owned(), (t.shape.clone(), t.to_f32()?));
        }
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
                    Some((got, _)) => format!("{p} (model {want:?}, checkpoint {got:?})"),
                    None => format!("{p} {want:?} (not in the checkpoint)"),
                }
            })
            .collect();
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "the checkpoint does not fit the model: {}{}{}",
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

/// Class: portable. [`load_params`] from a checkpoint file (verified as it is read).
pub fn load_params_from<B: Backend, M: Module<B>>(model: M, path: &Path) -> Result<M, Error> {
    let ck = Checkpoint::read(path)?;
    load_params(model, &ck).map_err(|e| e.at(path))
}

/// Class: portable (the values are copied bit for bit). Loads into `model` only the
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
    for (name, t) in &ck.tensors {
        if let Some(path) = name.strip_prefix("model.")
            && wanted(path)
            && paths.iter().any(|p| p == path)
        {
            values.insert(path.to_owned(), (t.shape.clone(), t.to_f32()?));
        }
    }
    let (model, missing) = write_params(model, &values);
    let missing: Vec<String> = missing
        .into_iter()
        .filter(|p| wanted(p))
        .map(|p| match values.get(&p) {
            Some((got, _)) => format!("{p} (another shape in the checkpoint: {got:?})"),
            None => format!("{p} (not in the checkpoint)"),
        })
        .collect();
    if !missing.is_empty() {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "the checkpoint does not fit the model: {}",
                missing.join(", ")
            ),
        ));
    }
    Ok(model)
}
