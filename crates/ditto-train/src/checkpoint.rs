//! Self-describing checkpoints: safetensors files whose `__metadata__` carries a versioned
//! JSON document (state, provenance, a BLAKE3 hash per tensor, and since version 2 a BLAKE3
//! hash of the whole header). Format: `FORMAT.md`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::tensor::{Metadata, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};

use crate::atomic::{FaultHook, write_atomic_with};
pub use crate::dtype::Dtype;
// Kept at its old path: the trainer writes its text files through it.
use crate::error::{Error, ErrorKind};
use crate::integrity::{self, Integrity};
use crate::precision;
use crate::provenance::Provenance;
use crate::read_options::ReadOptions;

/// Class: not applicable (format constant). The `format` field of every ditto checkpoint.
pub const FORMAT: &str = "ditto-checkpoint";
/// Class: not applicable (format constant). The newest format version this crate reads and
/// the one it writes.
pub const VERSION: u32 = 2;
/// Class: not applicable (format constant). The `__metadata__` key holding the document.
pub const METADATA_KEY: &str = "ditto";

/// Class: portable. One stored tensor: dtype, shape and little-endian bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorEntry {
    /// Element type.
    pub dtype: Dtype,
    /// Shape (row-major).
    pub shape: Vec<usize>,
    /// The raw little-endian bytes.
    pub bytes: Vec<u8>,
}

impl TensorEntry {
    /// Class: portable. An `f32` tensor; errors when `values` does not fill `shape`.
    pub fn f32(shape: Vec<usize>, values: &[f32]) -> Result<Self, Error> {
        check_len(&shape, values.len())?;
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        Ok(Self {
            dtype: Dtype::F32,
            shape,
            bytes,
        })
    }

    /// Class: portable. A 1-D byte tensor holding `blob`.
    pub fn bytes(blob: Vec<u8>) -> Self {
        Self {
            dtype: Dtype::U8,
            shape: vec![blob.len()],
            bytes: blob,
        }
    }

    /// Class: portable. The values of a float tensor as `f32`: an `f32` tensor's bit for bit,
    /// an `f16` or `bf16` tensor's upcast exactly (NaN payloads included; CANONICAL.md,
    /// "Half-precision conversion").
    ///
    /// Errors: [`ErrorKind::Invalid`] for a non-float tensor, or bytes that do not fill the
    /// shape (truncated or malformed).
    pub fn to_f32(&self) -> Result<Vec<f32>, Error> {
        precision::decode(self.dtype, &self.shape, &self.bytes)
            .map_err(|e| Error::new(ErrorKind::Invalid, None, e))
    }

    /// Class: portable. BLAKE3 of the tensor's bytes, as hex.
    pub fn blake3(&self) -> String {
        blake3::hash(&self.bytes).to_hex().to_string()
    }
}

/// Class: portable (for a given state). A checkpoint in memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The trainer's state document (config, step, RNG states, loader position, ...); its
    /// schema belongs to the writer and is versioned by [`VERSION`].
    pub state: serde_json::Value,
    /// What produced the checkpoint.
    pub provenance: Provenance,
    /// The tensors, by name (sorted).
    pub tensors: BTreeMap<String, TensorEntry>,
}

/// The JSON document stored under `__metadata__["ditto"]`.
#[derive(Serialize, Deserialize)]
pub(crate) struct Document {
    format: String,
    version: u32,
    pub(crate) state: serde_json::Value,
    pub(crate) provenance: Provenance,
    tensors: BTreeMap<String, String>,
    /// Version 2 on: the header hash, always the last member (see `integrity.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    header_blake3: Option<String>,
}

impl Checkpoint {
    /// Class: portable. Serialises to the bytes of a safetensors file (format [`VERSION`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let doc = Document {
            format: FORMAT.into(),
            version: VERSION,
            state: self.state.clone(),
            provenance: self.provenance.clone(),
            tensors: self
                .tensors
                .iter()
                .map(|(k, t)| (k.clone(), t.blake3()))
                .collect(),
            header_blake3: None,
        };
        let body = serde_json::to_string(&doc)
            .map_err(|e| Error::new(ErrorKind::Invalid, None, e.to_string()))?;
        let mut views = Vec::with_capacity(self.tensors.len());
        for (name, t) in &self.tensors {
            check_len(&t.shape, t.bytes.len() / t.dtype.size())?;
            let view = TensorView::new(t.dtype.to_st(), t.shape.clone(), &t.bytes)
                .map_err(|e| Error::new(ErrorKind::Invalid, None, format!("{name}: {e}")))?;
            views.push((name.clone(), view));
        }
        let serialize = |json: String, views| {
            let meta = HashMap::from([(METADATA_KEY.to_owned(), json)]);
            safetensors::serialize(views, Some(meta))
                .map_err(|e| Error::new(ErrorKind::Invalid, None, e.to_string()))
        };
        // The tensor table's offsets do not depend on the metadata: lay the file out once
        // without the hash to learn them, then seal the document and lay it out for good.
        let draft = serialize(body.clone(), views.clone())?;
        let (_, meta) = SafeTensors::read_metadata(&draft)
            .map_err(|e| Error::new(ErrorKind::Invalid, None, e.to_string()))?;
        serialize(
            integrity::seal(&body, &integrity::table_bytes(&meta)),
            views,
        )
    }

    /// Class: portable. Parses and verifies safetensors bytes; `path` only names errors.
    /// Equivalent to [`Checkpoint::from_bytes_verified`] without the [`Integrity`].
    pub fn from_bytes(bytes: &[u8], path: Option<&Path>) -> Result<Self, Error> {
        Self::from_bytes_verified(bytes, path).map(|(ck, _)| ck)
    }

    /// Class: portable. Parses and verifies safetensors bytes: the header hash first (format
    /// version 2 on), then every tensor's BLAKE3. Any change to a version-2 file, in its
    /// header or its tensor bytes, is refused ([`ErrorKind::Corrupted`], "damaged", naming
    /// the header or the tensor); version-1 files, whose header cannot be verified, are
    /// refused ([`ErrorKind::Unverified`]): [`Checkpoint::from_bytes_with`] loads them when
    /// asked.
    pub fn from_bytes_verified(
        bytes: &[u8],
        path: Option<&Path>,
    ) -> Result<(Self, Integrity), Error> {
        Self::from_bytes_with(bytes, path, ReadOptions::default())
    }

    /// Class: portable. [`Checkpoint::from_bytes_verified`] with `options`: with
    /// [`ReadOptions::allow_unverified_header`], a version-1 file loads as
    /// [`Integrity::NoHeaderHash`] (only its tensor bytes verified; show the caller
    /// [`Integrity::unverified_warning`]).
    pub fn from_bytes_with(
        bytes: &[u8],
        path: Option<&Path>,
        options: ReadOptions,
    ) -> Result<(Self, Integrity), Error> {
        let (st, metadata) = open(bytes, path)?;
        let (doc, integrity) = check_document(&metadata, path, options)?;
        let mut tensors = BTreeMap::new();
        for (name, view) in st.tensors() {
            let dtype = Dtype::of_st(view.dtype()).ok_or_else(|| {
                Error::new(
                    ErrorKind::Invalid,
                    path,
                    format!(
                        "tensor {name} has dtype {:?}, which ditto does not read",
                        view.dtype()
                    ),
                )
            })?;
            let entry = TensorEntry {
                dtype,
                shape: view.shape().to_vec(),
                bytes: view.data().to_vec(),
            };
            match doc.tensors.get(&name) {
                Some(h) if *h == entry.blake3() => {}
                Some(h) => {
                    return Err(Error::new(
                        ErrorKind::Corrupted,
                        path,
                        format!(
                            "tensor {name} is damaged: BLAKE3 {} but the file records {h}",
                            entry.blake3()
                        ),
                    ));
                }
                None => {
                    return Err(Error::new(
                        ErrorKind::Corrupted,
                        path,
                        format!("tensor {name} has no recorded hash (the header is damaged)"),
                    ));
                }
            }
            tensors.insert(name, entry);
        }
        if let Some(missing) = doc.tensors.keys().find(|k| !tensors.contains_key(*k)) {
            return Err(Error::new(
                ErrorKind::Corrupted,
                path,
                format!("tensor {missing} is recorded but absent (the header is damaged)"),
            ));
        }
        let ck = Self {
            state: doc.state,
            provenance: doc.provenance,
            tensors,
        };
        Ok((ck, integrity))
    }

    /// Class: portable. Writes atomically: a temporary file in the same directory, fsync,
    /// rename over `path`, fsync of the directory. A crash leaves either the old file or the
    /// new one, never a mix.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        self.write_with(path, &crate::atomic::NoFaults)
    }

    /// Class: portable. [`Checkpoint::write`] with a [`FaultHook`] (fault-injection tests).
    pub fn write_with(&self, path: &Path, hook: &dyn FaultHook) -> Result<(), Error> {
        let bytes = self.to_bytes()?;
        write_atomic_with(path, &bytes, hook)
    }
}

/// The ditto document of a safetensors header, checked: present, parseable, a version this
/// crate reads, its header hash verified (version 2 on; version 1 only as `options` allow)
/// and its format ours. Shared by the whole-file reader and [`Checkpoint::read_header`].
pub(crate) fn check_document(
    metadata: &Metadata,
    path: Option<&Path>,
    options: ReadOptions,
) -> Result<(Document, Integrity), Error> {
    let json = metadata
        .metadata()
        .as_ref()
        .and_then(|m| m.get(METADATA_KEY))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Foreign,
                path,
                "a safetensors file without ditto's metadata (written by another tool, or its \
                 metadata key is damaged)",
            )
        })?;
    let doc: Document = serde_json::from_str(json).map_err(|e| {
        Error::new(
            ErrorKind::Corrupted,
            path,
            format!("the header is damaged: ditto metadata is not valid: {e}"),
        )
    })?;
    if doc.version > VERSION {
        return Err(Error::new(
            ErrorKind::Version,
            path,
            format!(
                "format version {} is newer than {VERSION}, the newest this ditto reads: \
                 upgrade ditto (or the file is damaged)",
                doc.version
            ),
        ));
    }
    let damaged = |what: String| {
        Error::new(
            ErrorKind::Corrupted,
            path,
            format!("the header is damaged: {what}"),
        )
    };
    let integrity = match (&doc.header_blake3, doc.version) {
        (Some(recorded), 2..) => {
            integrity::verify(json, &integrity::table_bytes(metadata), recorded)
                .map(Integrity::HeaderHash)
                .map_err(damaged)?
        }
        (None, 1) => Integrity::NoHeaderHash,
        (None, v) => {
            return Err(damaged(format!(
                "format version {v} without its header hash"
            )));
        }
        (Some(_), v) => return Err(damaged(format!("format version {v} with a header hash"))),
    };
    if doc.format != FORMAT {
        return Err(Error::new(
            ErrorKind::Foreign,
            path,
            format!("format is {:?}, expected {FORMAT:?}", doc.format),
        ));
    }
    options.admit(&integrity, path)?;
    Ok((doc, integrity))
}

/// Parses safetensors `bytes` (any writer's): the tensors and the header; `path` only names
/// errors. A length field past the end is [`ErrorKind::Truncated`] (or, absurdly large,
/// [`ErrorKind::Foreign`]), anything else unreadable [`ErrorKind::Foreign`].
pub(crate) fn open<'a>(
    bytes: &'a [u8],
    path: Option<&Path>,
) -> Result<(SafeTensors<'a>, Metadata), Error> {
    if bytes.len() < 8 {
        return Err(Error::new(
            ErrorKind::Truncated,
            path,
            format!(
                "{} bytes, shorter than the 8-byte header length",
                bytes.len()
            ),
        ));
    }
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
    if header_len > (bytes.len() as u64).saturating_sub(8) {
        let kind = if header_len > 100_000_000 {
            ErrorKind::Foreign
        } else {
            ErrorKind::Truncated
        };
        return Err(Error::new(
            kind,
            path,
            format!(
                "header of {header_len} bytes but the file has {}",
                bytes.len()
            ),
        ));
    }
    let st = SafeTensors::deserialize(bytes).map_err(|e| {
        let kind = match e {
            safetensors::SafeTensorError::MetadataIncompleteBuffer => ErrorKind::Truncated,
            _ => ErrorKind::Foreign,
        };
        Error::new(
            kind,
            path,
            format!("not a readable safetensors file (damaged, or not a checkpoint): {e}"),
        )
    })?;
    let (_, metadata) = SafeTensors::read_metadata(bytes)
        .map_err(|e| Error::new(ErrorKind::Foreign, path, e.to_string()))?;
    Ok((st, metadata))
}

fn check_len(shape: &[usize], len: usize) -> Result<(), Error> {
    let n: usize = shape.iter().product();
    if n == len {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!("{len} elements do not fill shape {shape:?} ({n})"),
        ))
    }
}
