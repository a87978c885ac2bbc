//! Portable random streams with a serialisable state.

use rand_chacha::ChaCha12Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::seed::Seed;

/// Class: portable. A deterministic random stream: ChaCha12 keyed by a [`Seed`].
///
/// A stream is a pure function of its [`StreamState`] (seed, stream id, word position): the same
/// state gives the same words on every platform, and [`Stream::state`] /
/// [`Stream::from_state`] save and restore it exactly, at any position.
///
/// # Why ChaCha12
/// It is the generator behind rand's `StdRng`, with a published, stable output (rand_chacha
/// promises value stability), a 2^64-word seekable counter and 2^64 independent stream ids per
/// key. Twelve rounds keep a wide margin over the best known attack (7 rounds) and run about
/// 1.6x faster than ChaCha20; ditto needs statistical quality and independence, not secrecy.
///
/// # How a stream advances
/// Every sampler documents how many 32-bit words it consumes. `next_u64` takes two words
/// (the low half first), so a stream's position after any sequence of draws is fixed by the
/// sequence alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    rng: ChaCha12Rng,
    seed: Seed,
}

/// Class: portable. The complete state of a [`Stream`]: enough to continue it exactly.
///
/// Serialises (serde) as `{"seed": "<64 hex>", "stream_id": <u64>, "word_pos": "<decimal>"}`;
/// `word_pos` is a string because it is a 68-bit number, wider than a JSON number holds exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StreamState {
    /// The ChaCha12 key.
    pub seed: Seed,
    /// The ChaCha stream id (nonce); 0 for streams opened with [`Seed::stream`].
    pub stream_id: u64,
    /// The offset from the start of the key stream, in 32-bit words.
    #[serde(serialize_with = "ser_u128", deserialize_with = "de_u128")]
    pub word_pos: u128,
}

impl Seed {
    /// Class: portable. A new [`Stream`] at the start of this seed's ChaCha12 key stream.
    /// (Defined here, beside [`Stream`], so that `seed.rs` does not depend on this file.)
    pub fn stream(&self) -> Stream {
        Stream::from_seed(*self)
    }
}

impl Stream {
    /// Class: portable. The stream at word 0 of stream id 0 of `seed`.
    pub fn from_seed(seed: Seed) -> Self {
        Self {
            rng: ChaCha12Rng::from_seed(seed.to_bytes()),
            seed,
        }
    }

    /// Class: portable. The stream of `state`, positioned exactly where the state says.
    pub fn from_state(state: &StreamState) -> Self {
        let mut rng = ChaCha12Rng::from_seed(state.seed.to_bytes());
        rng.set_stream(state.stream_id);
        rng.set_word_pos(state.word_pos);
        Self {
            rng,
            seed: state.seed,
        }
    }

    /// Class: portable. The stream's current state; [`Stream::from_state`] continues from it.
    pub fn state(&self) -> StreamState {
        StreamState {
            seed: self.seed,
            stream_id: self.rng.get_stream(),
            word_pos: self.rng.get_word_pos(),
        }
    }

    /// Class: portable. The same key with stream id `id`, at word 0: 2^64 independent streams
    /// per seed. Prefer [`Seed::derive`] for named streams; ids are for dense families.
    pub fn with_stream_id(mut self, id: u64) -> Self {
        self.rng.set_stream(id);
        self.rng.set_word_pos(0);
        self
    }

    /// Class: portable. The next 32-bit word (one word).
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }

    /// Class: portable. The next 64 bits (two words, the first one the low half).
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let lo = u64::from(self.rng.next_u32());
        let hi = u64::from(self.rng.next_u32());
        (hi << 32) | lo
    }
}

fn ser_u128<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

fn de_u128<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|e| {
        serde::de::Error::custom(format!("word_pos must be a decimal u128, got {s:?}: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Golden words of the raw stream (ChaCha12 as implemented by rand_chacha 0.10).
    #[test]
    fn value_stability() {
        let mut s = Seed::from_u64(0).stream();
        let words: Vec<u32> = (0..4).map(|_| s.next_u32()).collect();
        assert_eq!(words, [1840242479, 1570149882, 3214367628, 907138961]);
        assert_eq!(s.next_u64(), 10228849621561079453);
        // Zero key, zero nonce: the keystream starts 9b f4 9a 6a 07 55 f9 53 (ChaCha12 test
        // vector TC1 of draft-strombergson-chacha-test-vectors-00), i.e. the word 0x6a9af49b.
        let mut z = Seed::from_bytes([0; 32]).stream();
        assert_eq!(z.next_u32(), 0x6a9a_f49b);
    }

    #[test]
    fn state_json_shape() {
        let mut s = Seed::from_u64(1).stream();
        s.next_u32();
        let json = serde_json::to_value(s.state()).unwrap();
        assert_eq!(json["word_pos"], "1");
        assert_eq!(json["stream_id"], 0);
        assert_eq!(json["seed"], Seed::from_u64(1).to_hex());
        let bad = r#"{"seed":"00","stream_id":0,"word_pos":"1"}"#;
        assert!(serde_json::from_str::<StreamState>(bad).is_err());
        let bad = format!(
            r#"{{"seed":"{}","stream_id":0,"word_pos":"x"}}"#,
            Seed::from_u64(1)
        );
        assert!(serde_json::from_str::<StreamState>(&bad).is_err());
    }

    #[test]
    fn stream_ids_differ() {
        let a = Seed::from_u64(3).stream().next_u64();
        let b = Seed::from_u64(3).stream().with_stream_id(1).next_u64();
        assert_ne!(a, b);
    }

    proptest! {
        /// Saving the state at any position (odd word positions included, through serde JSON)
        /// and restoring it reproduces the rest of the stream exactly.
        #[test]
        fn save_restore_anywhere(seed in any::<u64>(), id in 0u64..4, skip in 0usize..300, tail in 1usize..100) {
            let mut a = Seed::from_u64(seed).stream().with_stream_id(id);
            for i in 0..skip {
                if i % 3 == 0 { a.next_u64(); } else { a.next_u32(); }
            }
            let json = serde_json::to_string(&a.state()).unwrap();
            let mut b = Stream::from_state(&serde_json::from_str(&json).unwrap());
            prop_assert_eq!(a.state(), b.state());
            for _ in 0..tail {
                prop_assert_eq!(a.next_u32(), b.next_u32());
                prop_assert_eq!(a.next_u64(), b.next_u64());
                prop_assert_eq!(a.uniform_f32().to_bits(), b.uniform_f32().to_bits());
                prop_assert_eq!(a.normal_f64().to_bits(), b.normal_f64().to_bits());
            }
        }
    }
}
