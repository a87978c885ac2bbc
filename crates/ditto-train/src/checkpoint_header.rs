//! Reading a checkpoint's header alone: its state and provenance, verified by the header
//! hash, without reading or hashing the tensor bytes (which can be gigabytes). What the run
//! directory's housekeeping needs: which run a checkpoint belongs to, and at which step.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use safetensors::SafeTensors;

use crate::checkpoint::{Checkpoint, check_document};
use crate::error::{Error, ErrorKind};
use crate::integrity::Integrity;
use crate::provenance::Provenance;
use crate::read_options::ReadOptions;

/// Class: portable. A checkpoint's header: the state document and the provenance, as
/// [`Checkpoint::read_header`] verified them.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointHeader {
    /// The trainer's state document (see [`Checkpoint::state`]).
    pub state: serde_json::Value,
    /// What produced the checkpoint.
    pub provenance: Provenance,
    /// How the header was verified.
    pub integrity: Integrity,
}

/// The largest header this reader accepts (safetensors' own limit is 100 MB).
const MAX_HEADER: u64 = 100_000_000;

impl Checkpoint {
    /// Class: portable. Reads a checkpoint file's header only: the state and provenance,
    /// verified against the header hash (format version 2 on; version-1 files have none and
    /// are refused, see [`Checkpoint::read_header_with`]). The tensor bytes are neither read
    /// nor verified: use [`Checkpoint::read`] before trusting any tensor.
    ///
    /// Errors: those of [`Checkpoint::read`] that concern the header (`Truncated`, `Foreign`,
    /// `Corrupted`, `Version`, `Unverified`), and [`ErrorKind::Io`].
    pub fn read_header(path: &Path) -> Result<CheckpointHeader, Error> {
        Self::read_header_with(path, ReadOptions::default())
    }

    /// Class: portable. [`Checkpoint::read_header`] with `options`: a version-1 header loads
    /// (as [`Integrity::NoHeaderHash`]) only with [`ReadOptions::allow_unverified_header`].
    pub fn read_header_with(path: &Path, options: ReadOptions) -> Result<CheckpointHeader, Error> {
        let io = |e| Error::io(path, "reading checkpoint header", e);
        let mut file = File::open(path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        let mut len = [0u8; 8];
        if file_len < 8 {
            return Err(Error::new(
                ErrorKind::Truncated,
                Some(path),
                format!("{file_len} bytes, shorter than the 8-byte header length"),
            ));
        }
        file.read_exact(&mut len).map_err(io)?;
        let header_len = u64::from_le_bytes(len);
        if header_len > MAX_HEADER || header_len > file_len - 8 {
            let kind = if header_len > MAX_HEADER {
                ErrorKind::Foreign
            } else {
                ErrorKind::Truncated
            };
            return Err(Error::new(
                kind,
                Some(path),
                format!("header of {header_len} bytes but the file has {file_len}"),
            ));
        }
        // safetensors checks the header against the whole file's length: lay the header into
        // a zeroed buffer of that length (zeroed pages are not touched, so not paid for).
        let total = usize::try_from(file_len)
            .map_err(|_| Error::new(ErrorKind::Foreign, Some(path), "file too large to address"))?;
        let mut buffer = vec![0u8; total];
        buffer[..8].copy_from_slice(&len);
        let end = 8 + header_len as usize;
        file.read_exact(&mut buffer[8..end]).map_err(io)?;
        let (_, metadata) = SafeTensors::read_metadata(&buffer).map_err(|e| {
            Error::new(
                ErrorKind::Foreign,
                Some(path),
                format!("not a readable safetensors file (damaged, or not a checkpoint): {e}"),
            )
        })?;
        let (doc, integrity) = check_document(&metadata, Some(path), options)?;
        Ok(CheckpointHeader {
            state: doc.state,
            provenance: doc.provenance,
            integrity,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::checkpoint::TensorEntry;

    fn sample() -> Checkpoint {
        let mut tensors = BTreeMap::new();
        tensors.insert(
            "model.w".to_owned(),
            TensorEntry::f32(vec![2, 2], &[1.0, 2.0, 3.0, 4.0]).unwrap(),
        );
        Checkpoint {
            state: serde_json::json!({"step": 7, "run_id": "abc"}),
            provenance: Provenance::collect("ditto<ndarray>", "Cpu"),
            tensors,
        }
    }

    #[test]
    fn header_matches_the_whole_file_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ck.safetensors");
        let ck = sample();
        ck.write(&path).unwrap();
        let h = Checkpoint::read_header(&path).unwrap();
        assert_eq!(h.state, ck.state);
        assert_eq!(h.provenance, ck.provenance);
        assert!(matches!(h.integrity, Integrity::HeaderHash(_)));
    }

    #[test]
    fn a_changed_header_bit_is_refused_and_tensor_damage_is_not_looked_at() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ck.safetensors");
        sample().write(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        // The state's step, inside the header (the document is stored as an escaped JSON
        // string): refused.
        let needle = b"\\\"step\\\":7";
        let at = bytes[..header_end]
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("the step in the header")
            + needle.len()
            - 1;
        let mut bad = bytes.clone();
        bad[at] = b'8';
        std::fs::write(&path, &bad).unwrap();
        let e = Checkpoint::read_header(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupted, "{e}");
        // The last tensor byte: the header still reads (tensors are not verified here) ...
        let mut tail = bytes.clone();
        *tail.last_mut().unwrap() ^= 1;
        std::fs::write(&path, &tail).unwrap();
        assert!(Checkpoint::read_header(&path).is_ok());
        // ... and the whole-file reader refuses it.
        assert_eq!(
            Checkpoint::read(&path).unwrap_err().kind(),
            ErrorKind::Corrupted
        );
        // Cut files are refused.
        std::fs::write(&path, &bytes[..header_end - 3]).unwrap();
        assert_eq!(
            Checkpoint::read_header(&path).unwrap_err().kind(),
            ErrorKind::Truncated
        );
        std::fs::write(&path, &bytes[..5]).unwrap();
        assert_eq!(
            Checkpoint::read_header(&path).unwrap_err().kind(),
            ErrorKind::Truncated
        );
    }
}
