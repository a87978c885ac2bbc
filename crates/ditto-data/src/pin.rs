//! Content pins: what a data file (or an in-memory data set) held, as a SHA-256 and a length,
//! so that a run can name its data and refuse data that changed.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

use crate::error::{Error, ErrorKind};

/// Class: portable. A SHA-256 digest; written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

/// Class: portable. The SHA-256 and the length of a file's bytes as they are on disk (before
/// any decompression).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePin {
    /// SHA-256 of the bytes.
    pub sha256: Sha256Digest,
    /// Length in bytes.
    pub bytes: u64,
}

impl Sha256Digest {
    /// Class: portable. The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(sha2::Sha256::digest(bytes).into())
    }

    /// Class: portable. A digest from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Class: portable. The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({self})")
    }
}

impl FromStr for Sha256Digest {
    type Err = Error;

    /// Parses 64 hex digits (either case).
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || {
            Error::new(
                ErrorKind::InvalidConfig,
                None,
                format!("{s:?} is not a SHA-256 (64 hex digits)"),
            )
        };
        if s.len() != 64 || !s.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Self(out))
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl FilePin {
    /// Class: portable. The pin of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self {
            sha256: Sha256Digest::of(bytes),
            bytes: bytes.len() as u64,
        }
    }
}

impl fmt::Display for FilePin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256 {} ({} bytes)", self.sha256, self.bytes)
    }
}

/// Class: portable. Reads the file at `path` and pins its bytes; with `expect`, refuses a file
/// whose pin differs.
///
/// Errors: [`ErrorKind::Io`] when the file cannot be read (a missing file included),
/// [`ErrorKind::Changed`] when its pin differs from `expect`; the message names the file, the
/// recorded and the found pin.
pub fn read_pinned(path: &Path, expect: Option<&FilePin>) -> Result<(Vec<u8>, FilePin), Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    let pin = FilePin::of(&bytes);
    match expect {
        Some(want) if *want != pin => Err(Error::new(
            ErrorKind::Changed,
            Some(path.to_path_buf()),
            format!("recorded {want}, found {pin}"),
        )),
        _ => Ok((bytes, pin)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_digest_of_abc() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            Sha256Digest::of(b"abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hex_round_trips_and_bad_hex_is_refused() {
        let d = Sha256Digest::of(b"ditto");
        assert_eq!(d.to_string().parse::<Sha256Digest>().unwrap(), d);
        assert_eq!(
            d.to_string()
                .to_uppercase()
                .parse::<Sha256Digest>()
                .unwrap(),
            d
        );
        for bad in ["", "00", &"g".repeat(64), &"é".repeat(32), &"0".repeat(65)] {
            assert!(bad.parse::<Sha256Digest>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_changed_file_is_refused_with_both_pins() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.bin");
        std::fs::write(&p, b"one").unwrap();
        let (_, pin) = read_pinned(&p, None).unwrap();
        assert_eq!(pin, FilePin::of(b"one"));
        read_pinned(&p, Some(&pin)).unwrap();
        std::fs::write(&p, b"two").unwrap();
        let e = read_pinned(&p, Some(&pin)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Changed);
        let msg = e.to_string();
        assert!(msg.contains("f.bin"), "{msg}");
        assert!(msg.contains(&pin.sha256.to_string()), "{msg}");
        assert!(
            msg.contains(&FilePin::of(b"two").sha256.to_string()),
            "{msg}"
        );
        let e = read_pinned(&dir.path().join("missing"), Some(&pin)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
    }
}
