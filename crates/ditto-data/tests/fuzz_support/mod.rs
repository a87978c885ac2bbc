//! A small stable-Rust fuzzer on proptest: structured mutations of valid inputs (bit flips,
//! truncations, splices, removals, extreme integers in binary and text, deep nesting) and
//! random bytes, with the peak allocation of each parse measured by a counting allocator.
//! Shared by `ditto-data`'s and `ditto-train`'s `tests/fuzz.rs` (the latter via `#[path]`).
//!
//! Cases per parser: `DITTO_FUZZ_CASES` (default 3,000); seed: `DITTO_FUZZ_SEED` (default 15).

#![allow(dead_code)]

pub mod counting_alloc;

use std::cell::Cell;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Fixed allowance on top of the per-byte bound (parser tables, error messages, small inputs).
pub const SLACK: usize = 1 << 20;

/// One edit of an input.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// Flip bit `n % (8 * len)`.
    FlipBit(usize),
    /// Keep the first `n % (len + 1)` bytes.
    Truncate(usize),
    /// Copy `len` bytes from `from` over position `to` (a splice of the input into itself).
    Splice { from: usize, to: usize, len: usize },
    /// Remove `len` bytes at `at`.
    Remove { at: usize, len: usize },
    /// Write `value` as a `width`-byte integer (big- or little-endian) at `at`.
    Integer {
        at: usize,
        value: u64,
        width: usize,
        big_endian: bool,
    },
    /// Insert text (a number, a token, deep nesting) at `at`.
    Insert { at: usize, text: Vec<u8> },
    /// Replace the `n`-th decimal number in the input with `text` (huge, negative, odd).
    Number { n: usize, text: String },
}

/// Integers a hostile header would claim.
fn extreme() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(0x7fff_ffff),
        Just(0xffff_ffff),
        Just(1 << 32),
        Just(1 << 60),
        Just(i64::MAX as u64),
        Just(u64::MAX),
        any::<u64>(),
    ]
}

fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("1152921504606846976".to_owned()),
        Just("1e999".to_owned()),
        Just("-0.0".to_owned()),
        Just("nan".to_owned()),
        Just("inf".to_owned()),
        any::<i64>().prop_map(|v| v.to_string()),
    ]
}

fn nesting() -> impl Strategy<Value = Vec<u8>> {
    let open = prop_oneof![
        Just("["),
        Just("{"),
        Just("{\"a\":"),
        Just("a={"),
        Just("a.")
    ];
    (open, 1usize..20_000).prop_map(|(o, depth)| o.repeat(depth).into_bytes())
}

fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => nesting(),
        2 => number_text().prop_map(String::into_bytes),
        2 => prop::sample::select(vec![
            "\"", "\\", "\\u", "\\ud800", ",", ":", "=", "\n", "\r", "\0", "[]", "{}", "null",
            "true", "[[x]]", "#", "'''", "\"\"\"", "\u{feff}", "\u{fffd}",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 1..64),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => any::<usize>().prop_map(Mutation::FlipBit),
        2 => any::<usize>().prop_map(Mutation::Truncate),
        2 => (any::<usize>(), any::<usize>(), 1usize..256)
            .prop_map(|(from, to, len)| Mutation::Splice { from, to, len }),
        1 => (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Remove { at, len }),
        3 => (any::<usize>(), extreme(), prop::sample::select(vec![1usize, 2, 4, 8]), any::<bool>())
            .prop_map(|(at, value, width, big_endian)| Mutation::Integer { at, value, width, big_endian }),
        3 => (any::<usize>(), token()).prop_map(|(at, text)| Mutation::Insert { at, text }),
        3 => (any::<usize>(), number_text()).prop_map(|(n, text)| Mutation::Number { n, text }),
    ]
}

/// Applies `m` to `b`.
pub fn apply(b: &mut Vec<u8>, m: &Mutation) {
    let len = b.len();
    match m {
        Mutation::FlipBit(n) if len > 0 => b[(n / 8) % len] ^= 1 << (n % 8),
        Mutation::Truncate(n) => b.truncate(n % (len + 1)),
        Mutation::Splice { from, to, len: l } if len > 0 => {
            let from = from % len;
            let to = to % len;
            let l = (*l).min(len - from).min(len - to);
            let src = b[from..from + l].to_vec();
            b[to..to + l].copy_from_slice(&src);
        }
        Mutation::Remove { at, len: l } if len > 0 => {
            let at = at % len;
            b.drain(at..(at + l).min(len));
        }
        Mutation::Integer {
            at,
            value,
            width,
            big_endian,
        } if len >= *width => {
            let at = at % (len - width + 1);
            let bytes = if *big_endian {
                value.to_be_bytes()[8 - width..].to_vec()
            } else {
                value.to_le_bytes()[..*width].to_vec()
            };
            b[at..at + width].copy_from_slice(&bytes);
        }
        Mutation::Insert { at, text } => {
            let at = at % (len + 1);
            b.splice(at..at, text.iter().copied());
        }
        Mutation::Number { n, text } => {
            let spans = number_spans(b);
            if !spans.is_empty() {
                let (s, e) = spans[n % spans.len()];
                b.splice(s..e, text.bytes());
            }
        }
        _ => {}
    }
}

fn number_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let s = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            spans.push((s, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// An input: a mutated corpus entry or random bytes.
#[derive(Clone, Debug)]
pub enum Input {
    /// Corpus entry `index % corpus.len()` with the mutations applied in order.
    Mutated(usize, Vec<Mutation>),
    /// Random bytes.
    Random(Vec<u8>),
}

impl Input {
    /// The bytes of this input.
    pub fn bytes(&self, corpus: &[Vec<u8>]) -> Vec<u8> {
        match self {
            Input::Mutated(i, ms) => {
                let mut b = corpus[i % corpus.len()].clone();
                for m in ms {
                    apply(&mut b, m);
                }
                b
            }
            Input::Random(b) => b.clone(),
        }
    }
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        8 => (any::<usize>(), prop::collection::vec(mutation(), 1..6))
            .prop_map(|(i, ms)| Input::Mutated(i, ms)),
        2 => prop::collection::vec(any::<u8>(), 0..2048).prop_map(Input::Random),
    ]
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Feeds `DITTO_FUZZ_CASES` inputs to `parse`, which returns whether the input was accepted
/// (`Ok`) or refused with a typed error (`Err`); a panic fails the test (proptest shrinks it
/// to a small input and prints it), and so does a parse whose peak allocation exceeds
/// `per_byte * len + SLACK`. Prints one line of figures.
pub fn fuzz(name: &str, corpus: Vec<Vec<u8>>, per_byte: usize, parse: impl Fn(&[u8]) -> bool) {
    assert!(
        corpus.iter().all(|c| !c.is_empty()),
        "{name}: empty corpus entry"
    );
    let cases = env_or("DITTO_FUZZ_CASES", 3_000) as u32;
    let seed = env_or("DITTO_FUZZ_SEED", 15);
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    let (accepted, refused, worst) = (Cell::new(0u64), Cell::new(0u64), Cell::new(0f64));
    let started = Instant::now();
    let result = runner.run(&input(), |input| {
        let bytes = input.bytes(&corpus);
        let (ok, peak) = counting_alloc::peak_of(|| parse(&bytes));
        let cell = if ok { &accepted } else { &refused };
        cell.set(cell.get() + 1);
        let ratio = peak as f64 / bytes.len().max(1) as f64;
        if bytes.len() >= 1024 && ratio > worst.get() {
            worst.set(ratio);
        }
        prop_assert!(
            peak <= per_byte * bytes.len() + SLACK,
            "{} input bytes, {} bytes allocated at once (bound: {per_byte} per byte + {SLACK})",
            bytes.len(),
            peak
        );
        Ok(())
    });
    eprintln!(
        "fuzz {name}: {} inputs in {:.2} s (seed {seed}): {} accepted, {} refused with a \
         typed error, {} failures; peak allocation at most {:.1} bytes per input byte \
         (inputs >= 1 KiB)",
        accepted.get() + refused.get(),
        started.elapsed().as_secs_f64(),
        accepted.get(),
        refused.get(),
        u8::from(result.is_err()),
        worst.get(),
    );
    if let Err(e) = result {
        panic!("fuzz {name}: {e}");
    }
}
