//! Saving a run to a checkpoint and restoring it: mirror functions.

use std::collections::BTreeMap;

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;

use crate::checkpoint::{Checkpoint, TensorEntry};
use crate::error::{Error, ErrorKind};
use crate::params::{ParamValues, fingerprint, read_params};
use crate::provenance::Provenance;
use crate::state::RunState;
use crate::trainer::optim::AnyOptim;

/// The checkpoint of a run: parameters as `model.<path>`, the optimiser's state as
/// `optimizer.<path>.*` tensors with its skeleton in the state document.
pub(crate) fn save<B, M>(
    model: &M,
    params: &BTreeMap<String, ParamValues>,
    optim: &AnyOptim<M, B>,
    state: &RunState,
    provenance: &Provenance,
) -> Result<Checkpoint, Error>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
{
    let mut tensors = BTreeMap::new();
    for (path, (shape, values)) in params {
        tensors.insert(
            format!("model.{path}"),
            TensorEntry::f32(shape.clone(), values)?,
        );
    }
    let mut state = state.clone();
    state.optimizer = optim.save(model, &mut tensors)?;
    Ok(Checkpoint {
        state: state.to_json()?,
        provenance: provenance.clone(),
        tensors,
    })
}

/// The mirror of [`save`]: the model's parameters, the optimiser's state and the run state
/// from `ck`, checked against the checkpoint's fingerprint.
pub(crate) fn restore<B, M>(
    ck: &Checkpoint,
    model: M,
    optim: AnyOptim<M, B>,
    device: &B::Device,
) -> Result<(M, AnyOptim<M, B>, RunState), Error>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
{
    let state = ck.run_state()?;
    let model = crate::load::load_params(model, ck)?;
    let optim = optim.restore(&model, &state.optimizer, &ck.tensors, device)?;
    if fingerprint(&read_params(&model)) != state.fingerprint {
        return Err(Error::new(
            ErrorKind::Corrupted,
            None,
            "restored parameters do not match the checkpoint's fingerprint",
        ));
    }
    Ok((model, optim, state))
}
