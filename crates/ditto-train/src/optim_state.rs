//! Optimiser state as named f32 tensors plus a small JSON skeleton, so a checkpoint's Adam
//! moments (or SGD velocities) are ordinary safetensors tensors that any reader can load.
//!
//! Burn's record item of one parameter's state (`into_item::<FullPrecisionSettings>()`)
//! serialises through serde; every f32 `TensorData` in it (`{bytes, shape, dtype: "F32"}`) is
//! lifted out as the tensor `optimizer.<param path>.<field path>` (Burn's `V1` and `RankN`
//! wrappers omitted, e.g. `optimizer.layers.0.weight.momentum.moment_1`) and replaced in the JSON by
//! `{"$tensor": name}`; the rest (step counters, ...) stays in the skeleton, which goes in the
//! checkpoint's state. Loading reverses it exactly: the bytes are copied, never converted.

use std::collections::BTreeMap;

use burn::record::{FullPrecisionSettings, Record};
use burn::tensor::backend::Backend;
use serde_json::{Map, Value, json};

use crate::checkpoint::{Dtype, TensorEntry};
use crate::error::{Error, ErrorKind};

/// Splits one parameter's optimiser record into tensors (added to `out`) and its skeleton.
pub(crate) fn split<B: Backend, R: Record<B>>(
    record: R,
    prefix: &str,
    out: &mut BTreeMap<String, TensorEntry>,
) -> Result<Value, Error> {
    let item = record.into_item::<FullPrecisionSettings>();
    let value = serde_json::to_value(&item).map_err(|e| invalid(prefix, e))?;
    lift(value, prefix, out)
}

/// Rebuilds one parameter's optimiser record from its skeleton and the checkpoint's tensors.
pub(crate) fn join<B: Backend, R: Record<B>>(
    skeleton: &Value,
    tensors: &BTreeMap<String, TensorEntry>,
    device: &B::Device,
) -> Result<R, Error> {
    let value = lower(skeleton.clone(), tensors)?;
    let item: R::Item<FullPrecisionSettings> =
        serde_json::from_value(value).map_err(|e| invalid("optimizer state", e))?;
    Ok(R::from_item(item, device))
}

fn invalid(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Invalid, None, format!("{what}: {e}"))
}

/// Burn's enum wrappers (`V1`, `Rank2`, ...) carry no meaning for a reader: left out of names.
fn is_rank_tag(key: &str) -> bool {
    ["Rank", "V"].iter().any(|p| {
        key.strip_prefix(p)
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    })
}

fn lift(v: Value, name: &str, out: &mut BTreeMap<String, TensorEntry>) -> Result<Value, Error> {
    match v {
        Value::Object(map) => {
            if map.get("dtype").and_then(Value::as_str) == Some("F32")
                && map.contains_key("bytes")
                && map.contains_key("shape")
                && map.len() == 3
            {
                let bytes: Vec<u8> =
                    serde_json::from_value(map["bytes"].clone()).map_err(|e| invalid(name, e))?;
                let shape: Vec<usize> =
                    serde_json::from_value(map["shape"].clone()).map_err(|e| invalid(name, e))?;
                if bytes.len() != 4 * shape.iter().product::<usize>() {
                    return Err(invalid(name, "byte length does not match the shape"));
                }
                out.insert(
                    name.to_owned(),
                    TensorEntry {
                        dtype: Dtype::F32,
                        shape,
                        bytes,
                    },
                );
                return Ok(json!({ "$tensor": name }));
            }
            let mut m = Map::new();
            for (k, v) in map {
                let child = if is_rank_tag(&k) {
                    name.to_owned()
                } else {
                    format!("{name}.{k}")
                };
                let lifted = lift(v, &child, out)?;
                m.insert(k, lifted);
            }
            Ok(Value::Object(m))
        }
        Value::Array(items) => Ok(Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| lift(v, &format!("{name}.{i}"), out))
                .collect::<Result<_, _>>()?,
        )),
        other => Ok(other),
    }
}

fn lower(v: Value, tensors: &BTreeMap<String, TensorEntry>) -> Result<Value, Error> {
    match v {
        Value::Object(map) => {
            if let (1, Some(name)) = (map.len(), map.get("$tensor").and_then(Value::as_str)) {
                let t = tensors.get(name).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Invalid,
                        None,
                        format!("checkpoint lacks optimizer tensor {name}"),
                    )
                })?;
                if t.dtype != Dtype::F32 {
                    return Err(invalid(name, "not an f32 tensor"));
                }
                return Ok(json!({ "bytes": t.bytes, "shape": t.shape, "dtype": "F32" }));
            }
            Ok(Value::Object(
                map.into_iter()
                    .map(|(k, v)| Ok((k, lower(v, tensors)?)))
                    .collect::<Result<_, Error>>()?,
            ))
        }
        Value::Array(items) => Ok(Value::Array(
            items
                .into_iter()
                .map(|v| lower(v, tensors))
                .collect::<Result<_, _>>()?,
        )),
        other => Ok(other),
    }
}
