//! Whole-checkpoint integrity: every bit of a version-2 checkpoint's header and 10,000 seeded
//! random bits of its tensor bytes, each flipped alone, are refused as damaged; version-1 files
//! (the committed fixture, written before the header hash) still load, flagged, and resume to
//! the uninterrupted run's bits.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use ditto_rng::Seed;
use ditto_train::{Checkpoint, ErrorKind, Integrity, VERSION};

#[test]
fn version_1_fixture_loads_flagged_and_resumes_to_the_same_bits() {
    let (ck, integrity) = Checkpoint::read_verified(&common::fixture_path()).unwrap();
    assert_eq!(integrity, Integrity::NoHeaderHash);
    assert!(integrity.describe().contains("no header hash"));
    assert_eq!(ck.state["step"], 5);
    assert_eq!(ck.state["fingerprint"], common::STEP5);
    // Written again, it is a version-2 file with a verified header hash and the same content.
    let again = ck.to_bytes().unwrap();
    let (back, integrity) = Checkpoint::from_bytes_verified(&again, None).unwrap();
    assert!(
        matches!(integrity, Integrity::HeaderHash(_)),
        "{integrity:?}"
    );
    assert_eq!(back, ck);
    // Resumed from the old file and from its version-2 re-encoding: the same, pinned bits
    // (everything the old file holds was read).
    let cfg = common::config_of(&ck);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert_eq!(common::run(&cfg, Some(&ck), a.path()), common::STEP10);
    assert_eq!(common::run(&cfg, Some(&back), b.path()), common::STEP10);
    assert_eq!(VERSION, 2);
}

#[test]
fn every_header_bit_and_10000_tensor_bits_are_refused() {
    let ck = Checkpoint::from_bytes(&common::fixture_bytes(), None).unwrap();
    let mut bytes = ck.to_bytes().unwrap();
    let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let path = Path::new("flip.safetensors");
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut check = |bytes: &mut Vec<u8>, bit: usize, region: &str| {
        bytes[bit / 8] ^= 1 << (bit % 8);
        let result = Checkpoint::from_bytes(bytes, Some(path));
        bytes[bit / 8] ^= 1 << (bit % 8);
        let err = match result {
            Ok(_) => panic!("{region} bit {bit} (byte {}) flipped: accepted", bit / 8),
            Err(e) => e,
        };
        let msg = err.to_string();
        assert!(msg.contains("flip.safetensors"), "bit {bit}: {msg}");
        *kinds
            .entry(format!("{region} {:?}", err.kind()))
            .or_default() += 1;
        err
    };
    for bit in 0..header_end * 8 {
        check(&mut bytes, bit, "header");
    }
    let mut rng = Seed::from_u64(15).derive("tensor-bit-flips").stream();
    let tensor_bits = ((bytes.len() - header_end) * 8) as u64;
    for _ in 0..10_000 {
        let bit = header_end * 8 + (rng.next_u64() % tensor_bits) as usize;
        let err = check(&mut bytes, bit, "tensor");
        assert_eq!(err.kind(), ErrorKind::Corrupted, "{err}");
        let msg = err.to_string();
        assert!(msg.contains("damaged") && msg.contains("tensor "), "{msg}");
    }
    assert!(
        Checkpoint::from_bytes(&bytes, None).is_ok(),
        "every flip was undone"
    );
    let header_flips: usize = kinds
        .iter()
        .filter(|(k, _)| k.starts_with("header"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(header_flips, header_end * 8);
    eprintln!(
        "refused all {} header bit flips ({header_end} bytes) and 10000 tensor bit flips: {kinds:?}",
        header_end * 8
    );
}

#[test]
fn a_changed_config_value_is_named_as_header_damage() {
    // The example: `lr = 0.001` turned into `lr = 0.003` by one bit.
    let ck = Checkpoint::from_bytes(&common::fixture_bytes(), None).unwrap();
    let mut bytes = ck.to_bytes().unwrap();
    let needle = b"0.001";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("lr not found");
    bytes[at + 4] ^= 0b10; // '1' -> '3'
    let err = Checkpoint::from_bytes(&bytes, Some(Path::new("lr.safetensors"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupted);
    let msg = err.to_string();
    assert!(
        msg.contains("header is damaged") && msg.contains("config"),
        "{msg}"
    );
}
