//! A model's weights by parameter path, from either kind of safetensors file: a ditto
//! checkpoint (its `model.` tensors, verified) or a plain file of weights (what
//! `ditto export` writes, or pretrained weights published by another tool), in `f32`, `f16`
//! or `bf16`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::checkpoint::{self, Checkpoint, FORMAT, METADATA_KEY, TensorEntry};
use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind};
use crate::integrity::Integrity;
use crate::read_options::ReadOptions;

/// Class: portable (the stored bytes, as read). Float tensors keyed by parameter path (Burn's
/// dotted field names, as [`crate::read_params`] gives them), each `f32`, `f16` or `bf16`
/// ([`TensorEntry::to_f32`] upcasts exactly).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weights {
    /// The tensors, by parameter path (sorted).
    pub tensors: BTreeMap<String, TensorEntry>,
    /// How the file was verified: `Some` for a ditto checkpoint (its header and every tensor
    /// checked against their hashes), `None` for a plain file (nothing to check against).
    pub integrity: Option<Integrity>,
}

impl Weights {
    /// Class: portable. The `model.<path>` tensors of a checkpoint, keyed by `<path>`.
    pub fn from_checkpoint(ck: &Checkpoint) -> Self {
        Self::from_checkpoint_with(ck, None)
    }

    /// Class: portable. Reads a weights file ([`Weights::from_bytes`]).
    pub fn read(path: &Path) -> Result<Self, Error> {
        Self::read_with(path, ReadOptions::default())
    }

    /// Class: portable. [`Weights::read`] with `options` for a ditto checkpoint (see
    /// [`Checkpoint::read_with`]).
    pub fn read_with(path: &Path, options: ReadOptions) -> Result<Self, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "reading weights", e))?;
        Self::from_bytes_with(&bytes, Some(path), options)
    }

    /// Class: portable. Parses safetensors bytes; `path` only names errors. A file with
    /// ditto's metadata is a checkpoint, read and verified as [`Checkpoint::from_bytes`] does,
    /// and gives its `model.` tensors without the prefix. Any other safetensors file is plain
    /// weights: each tensor's name is the parameter path, its dtype `F32`, `F16` or `BF16`.
    ///
    /// Errors: [`ErrorKind::Truncated`] for a file that ends early; [`ErrorKind::Invalid`]
    /// for bytes that are not safetensors (a malformed header, a tensor whose bytes do not
    /// fill its shape), a plain file's tensor of another dtype, or one without tensors; for a
    /// checkpoint, those of [`Checkpoint::from_bytes`]; [`ErrorKind::Corrupted`] for
    /// a file whose metadata holds a ditto document under another key (a checkpoint with a
    /// damaged header, which must not pass as plain weights).
    pub fn from_bytes(bytes: &[u8], path: Option<&Path>) -> Result<Self, Error> {
        Self::from_bytes_with(bytes, path, ReadOptions::default())
    }

    /// Class: portable. [`Weights::from_bytes`] with `options` for a ditto checkpoint.
    pub fn from_bytes_with(
        bytes: &[u8],
        path: Option<&Path>,
        options: ReadOptions,
    ) -> Result<Self, Error> {
        // Bytes that are not safetensors are malformed weights here, not a foreign checkpoint.
        let (st, metadata) = checkpoint::open(bytes, path).map_err(|e| match e.kind() {
            ErrorKind::Foreign => e.with_kind(ErrorKind::Invalid),
            _ => e,
        })?;
        let meta = metadata.metadata().as_ref();
        if meta.is_some_and(|m| m.contains_key(METADATA_KEY)) {
            let (ck, integrity) = Checkpoint::from_bytes_with(bytes, path, options)?;
            return Ok(Self::from_checkpoint_with(&ck, Some(integrity)));
        }
        let marker = format!("\"format\":\"{FORMAT}\"");
        if let Some((key, _)) = meta.and_then(|m| m.iter().find(|(_, v)| v.contains(&marker))) {
            return Err(Error::new(
                ErrorKind::Corrupted,
                path,
                format!(
                    "the header is damaged: a ditto checkpoint's document under the metadata \
                     key {key:?} instead of {METADATA_KEY:?}"
                ),
            ));
        }
        let mut tensors = BTreeMap::new();
        for (name, view) in st.tensors() {
            let dtype = Dtype::of_st(view.dtype())
                .filter(|d| matches!(d, Dtype::F32 | Dtype::F16 | Dtype::BF16))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Invalid,
                        path,
                        format!(
                            "tensor {name} has dtype {:?}: weights are read as F32, F16 or BF16",
                            view.dtype()
                        ),
                    )
                })?;
            let entry = TensorEntry {
                dtype,
                shape: view.shape().to_vec(),
                bytes: view.data().to_vec(),
            };
            tensors.insert(name, entry);
        }
        if tensors.is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid,
                path,
                "a safetensors file without tensors",
            ));
        }
        Ok(Self {
            tensors,
            integrity: None,
        })
    }

    fn from_checkpoint_with(ck: &Checkpoint, integrity: Option<Integrity>) -> Self {
        let tensors = ck
            .tensors
            .iter()
            .filter_map(|(name, t)| Some((name.strip_prefix("model.")?.to_owned(), t.clone())))
            .collect();
        Self { tensors, integrity }
    }
}
