//! The header hash of checkpoint format version 2: BLAKE3 over the canonical bytes of the
//! whole safetensors header except the hash itself (see `FORMAT.md`, "Integrity").
//!
//! The hashed bytes are the tensor table (each tensor's name, dtype, shape and byte offsets,
//! as compact JSON sorted by name), a newline, then the ditto document exactly as stored but
//! without its trailing `"header_blake3"` member. The document is hashed as text, never
//! re-serialised, so a float's digits cannot round-trip into other bytes.

use std::collections::BTreeMap;

use safetensors::tensor::Metadata;
use serde::Serialize;

/// The document's member holding the hash; always its last member.
pub(crate) const HASH_KEY: &str = "header_blake3";

/// Class: not applicable (a verification outcome). How a loaded checkpoint's header was
/// verified (tensor bytes are always verified against their own BLAKE3 hashes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Integrity {
    /// Format version 2 or later: the whole header matched its recorded BLAKE3 (hex).
    HeaderHash(String),
    /// Format version 1, written before header hashes: the header (config, state,
    /// provenance, tensor table) is not covered; only the tensor bytes were verified.
    NoHeaderHash,
}

impl Integrity {
    /// Class: not applicable. One line for `ditto inspect`.
    pub fn describe(&self) -> String {
        match self {
            Integrity::HeaderHash(h) => {
                format!("header hash verified (BLAKE3 {})", h.get(..16).unwrap_or(h))
            }
            Integrity::NoHeaderHash => "no header hash (format version 1: only the tensor \
                                        bytes are verified, not the config, state or provenance)"
                .to_owned(),
        }
    }

    /// Class: not applicable. The warning to show for the checkpoint at `path` when its
    /// header is not verified (a version-1 file loaded with
    /// [`crate::ReadOptions::allow_unverified_header`]); `None` when it is.
    pub fn unverified_warning(&self, path: &std::path::Path) -> Option<String> {
        match self {
            Integrity::HeaderHash(_) => None,
            Integrity::NoHeaderHash => Some(format!(
                "warning: {}: format version 1, loaded as asked: its header (config, state, \
                 provenance) is NOT verified, only its tensor bytes are; a change to the \
                 header cannot be detected",
                path.display()
            )),
        }
    }
}

#[derive(Serialize)]
struct TableEntry<'a> {
    dtype: String,
    shape: &'a [usize],
    data_offsets: (usize, usize),
}

/// The canonical bytes of a safetensors header's tensor table.
pub(crate) fn table_bytes(meta: &Metadata) -> Vec<u8> {
    let table: BTreeMap<String, TableEntry<'_>> = meta
        .tensors()
        .into_iter()
        .map(|(name, info)| {
            let entry = TableEntry {
                dtype: format!("{:?}", info.dtype),
                shape: &info.shape,
                data_offsets: info.data_offsets,
            };
            (name, entry)
        })
        .collect();
    serde_json::to_vec(&table).unwrap_or_default()
}

fn hash(table: &[u8], body: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(table);
    h.update(b"\n");
    h.update(body.as_bytes());
    h.finalize().to_hex().to_string()
}

/// Appends the hash member to `body`, a compact JSON object without it.
pub(crate) fn seal(body: &str, table: &[u8]) -> String {
    let open = body.strip_suffix('}').unwrap_or(body);
    let sep = if open.ends_with('{') { "" } else { "," };
    format!("{open}{sep}\"{HASH_KEY}\":\"{}\"}}", hash(table, body))
}

/// Checks a sealed document against the recorded hash `recorded` (already parsed out of it).
/// Errors name what does not match.
pub(crate) fn verify(sealed: &str, table: &[u8], recorded: &str) -> Result<String, String> {
    let suffix = format!("\"{HASH_KEY}\":\"{recorded}\"}}");
    let Some(open) = sealed.strip_suffix(&suffix) else {
        return Err(format!(
            "the document does not end with its {HASH_KEY} member"
        ));
    };
    let body = match open.strip_suffix(',') {
        Some(o) => format!("{o}}}"),
        None => format!("{open}}}"),
    };
    let actual = hash(table, &body);
    if actual == recorded {
        Ok(actual)
    } else {
        Err(format!(
            "header BLAKE3 {actual} but the file records {recorded}: the metadata (config, \
             state, provenance or tensor table) was changed after writing"
        ))
    }
}
