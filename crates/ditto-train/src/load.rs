//! Putting a checkpoint's weights into a freshly built model.

use std::collections::BTreeMap;
use std::path::Path;

use burn::module::Module;
use burn::tensor::backend::Backend;

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
