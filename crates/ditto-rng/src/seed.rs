//! The seed tree: 256-bit seeds and their derivation by label and by index.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, ErrorKind};

/// Class: portable. A 256-bit node of ditto's seed tree.
///
/// Every random draw in ditto comes from a [`crate::Stream`] opened on a `Seed`, and every `Seed` of a
/// run is derived from the run's root seed by a path of labels and indices:
///
/// ```
/// use ditto_rng::Seed;
/// let root = Seed::from_u64(42);
/// let w = root.derive("init").derive("layer1.weight");
/// let epoch3 = root.derive("data").derive_index(3);
/// // The same path always gives the same seed, in any order and on any platform.
/// assert_eq!(w, Seed::from_u64(42).derive("init").derive("layer1.weight"));
/// assert_ne!(w, epoch3);
/// ```
///
/// # The derivation function (stable; part of the reproducibility contract)
///
/// * `Seed::from_u64(x)` = BLAKE3 `derive_key` with context
///   `"ditto-rng 2026-11 Seed::from_u64"` over the 8 little-endian bytes of `x`.
/// * `parent.derive(label)` = BLAKE3 `keyed_hash` with key = the parent's 32 bytes, over the
///   byte `0x01` followed by the UTF-8 bytes of `label`.
/// * `parent.derive_index(i)` = BLAKE3 `keyed_hash` with key = the parent's 32 bytes, over the
///   byte `0x02` followed by the 8 little-endian bytes of `i`.
///
/// The leading tag byte separates the label and index domains; BLAKE3's keyed mode makes
/// siblings independent pseudo-random functions of their parent. A label is one atom:
/// `derive("a.b")` and `derive("a").derive("b")` are different seeds.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Seed([u8; 32]);

const FROM_U64_CONTEXT: &str = "ditto-rng 2026-11 Seed::from_u64";
const TAG_LABEL: u8 = 0x01;
const TAG_INDEX: u8 = 0x02;

impl Seed {
    /// Class: portable. The seed whose 32 bytes are `bytes`, used as they are.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Class: portable. The root seed for a user-facing `u64` seed (see the type's docs for the
    /// expansion).
    pub fn from_u64(seed: u64) -> Self {
        Self(blake3::derive_key(FROM_U64_CONTEXT, &seed.to_le_bytes()))
    }

    /// Class: portable. The seed's 32 bytes.
    pub const fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// Class: portable. The child of this seed named `label`.
    pub fn derive(&self, label: &str) -> Self {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        hasher.update(&[TAG_LABEL]);
        hasher.update(label.as_bytes());
        Self(*hasher.finalize().as_bytes())
    }

    /// Class: portable. The child of this seed at index `index` (an epoch, a sample, a rank).
    pub fn derive_index(&self, index: u64) -> Self {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        hasher.update(&[TAG_INDEX]);
        hasher.update(&index.to_le_bytes());
        Self(*hasher.finalize().as_bytes())
    }

    /// Class: portable. The seed as 64 lowercase hex digits (its `Display` form too).
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            s.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        s
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seed({})", self.to_hex())
    }
}

impl FromStr for Seed {
    type Err = Error;

    /// Parses the 64-hex-digit form written by `Display`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || {
            Error::new(
                ErrorKind::Parse,
                format!("a seed is 64 hex digits, got {s:?} ({} chars)", s.len()),
            )
        };
        if s.len() != 64 || !s.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hi = char::from(chunk[0]).to_digit(16).ok_or_else(bad)?;
            let lo = char::from(chunk[1]).to_digit(16).ok_or_else(bad)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Ok(Self(out))
    }
}

impl Serialize for Seed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Seed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden values of the derivation function. Any change here breaks every seed of every
    /// run: it is a Reproducibility-breaking change (see REPRODUCIBILITY.md).
    #[test]
    fn value_stability() {
        let root = Seed::from_u64(0);
        assert_eq!(
            root.to_hex(),
            "fd332c3f338e61886798e976d5b02d704a659e5602c473110f03f1a575f427da"
        );
        assert_eq!(
            Seed::from_u64(42)
                .derive("init")
                .derive("layer1.weight")
                .to_hex(),
            "42d1e893472d98f19e00dd15f4e1e2a9a189726d54d93405c928158e831e7a11"
        );
        assert_eq!(
            Seed::from_u64(42).derive("data").derive_index(3).to_hex(),
            "2fb8d5f6285e99f0e320e039c9e8c1fb65e670a819187e249990a6e4dafac0e4"
        );
    }

    #[test]
    fn order_independent_and_distinct() {
        let root = Seed::from_u64(7);
        let b_first = root.derive("b");
        let a = root.derive("a");
        let b = root.derive("b");
        assert_eq!(b, b_first);
        assert_ne!(a, b);
        assert_ne!(root.derive("a.b"), root.derive("a").derive("b"));
        assert_ne!(root.derive_index(0), root.derive_index(1));
        // Label and index domains never collide, even for equal payload bytes.
        assert_ne!(
            root.derive(std::str::from_utf8(&0u64.to_le_bytes()).unwrap()),
            root.derive_index(0)
        );
        assert_ne!(Seed::from_u64(1), Seed::from_u64(2));
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let s = Seed::from_u64(99);
        assert_eq!(s.to_hex().parse::<Seed>().unwrap(), s);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Seed>(&json).unwrap(), s);
        assert_eq!("abc".parse::<Seed>().unwrap_err().kind(), ErrorKind::Parse);
        let bad = "g".repeat(64);
        assert_eq!(bad.parse::<Seed>().unwrap_err().kind(), ErrorKind::Parse);
        let multibyte = "é".repeat(32);
        assert_eq!(
            multibyte.parse::<Seed>().unwrap_err().kind(),
            ErrorKind::Parse
        );
    }
}
