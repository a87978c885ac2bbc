//! Whole-checkpoint integrity: every bit of a version-2 checkpoint's header and 10,000 seeded
//! random bits of its tensor bytes, each flipped alone, are refused as damaged; version-1 files
//! (the committed fixture, written before the header hash) are refused by default and, when
//! asked for explicitly, load flagged and resume to the uninterrupted run's bits; a version-2
//! file turned into a "version 1" one is refused the same way.

use crate::common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use ditto_rng::Seed;
use ditto_train::{Checkpoint, ErrorKind, Integrity, VERSION};

#[test]
fn version_1_fixture_loads_flagged_and_resumes_to_the_same_bits() {
    let err = Checkpoint::read_verified(&common::fixture_path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unverified, "{err}");
    let (ck, integrity) = Checkpoint::read_with(&common::fixture_path(), common::v1()).unwrap();
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
    let ck = common::fixture();
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
    let ck = common::fixture();
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

/// `bytes` (a version-2 checkpoint) made into a "version 1" file as an attacker would: the
/// document's `version` set to 1, its `header_blake3` removed, `edit` applied to it, and the
/// safetensors header written again properly (by the safetensors crate, tensors unchanged).
fn forged_v1(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes).unwrap();
    let text = &meta.metadata().as_ref().unwrap()["ditto"];
    let mut doc: serde_json::Value = serde_json::from_str(text).unwrap();
    doc["version"] = 1.into();
    doc.as_object_mut()
        .unwrap()
        .remove("header_blake3")
        .unwrap();
    edit(&mut doc);
    let meta = HashMap::from([("ditto".to_owned(), doc.to_string())]);
    safetensors::serialize(st.tensors(), Some(meta)).unwrap()
}

/// The hole issue 27 names: a version-2 checkpoint whose version is set to 1 and whose header
/// hash is deleted used to load with an unverified header. Every default reader refuses it now
/// (whole file, header only, run-directory lookup, `Trainer::resume`), saying how to opt in;
/// with the opt-in it loads, flagged, with a warning. A change to such a header cannot be
/// detected (that is what the warning says): the opt-in loads an edited one too.
#[test]
fn a_version_2_file_turned_into_version_1_is_refused_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let mut cfg = common::config_of(&common::fixture());
    cfg.max_steps = Some(4);
    // Checkpoints at step 3 only: the final one (step 4) is the newest, the one looked up.
    cfg.checkpoint_every = 3;
    common::run(&cfg, None, &run);
    let last = run.join("final.safetensors");
    let forged = forged_v1(&std::fs::read(&last).unwrap(), |_| {});
    std::fs::write(&last, &forged).unwrap();

    let refused = |e: ditto_train::Error| {
        assert_eq!(e.kind(), ErrorKind::Unverified, "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("format version 1")
                && msg.contains("--allow-unverified-header")
                && msg.contains("allowing_unverified_header"),
            "{msg}"
        );
    };
    refused(Checkpoint::read(&last).unwrap_err());
    refused(Checkpoint::from_bytes(&forged, None).unwrap_err());
    refused(Checkpoint::read_header(&last).unwrap_err());
    refused(ditto_train::locate_checkpoint(&run).unwrap_err());
    refused(ditto_train::Trainer::resume(&run).unwrap_err());
    refused(ditto_train::Trainer::resume(&last).unwrap_err());

    let (ck, integrity) = Checkpoint::read_with(&last, common::v1()).unwrap();
    assert_eq!(integrity, Integrity::NoHeaderHash);
    let warning = integrity.unverified_warning(&last).unwrap();
    assert!(warning.contains("NOT verified"), "{warning}");
    assert_eq!(ck.state["step"], 4);
    let header = Checkpoint::read_header_with(&last, common::v1()).unwrap();
    assert_eq!(header.integrity, Integrity::NoHeaderHash);
    let (found, _) = ditto_train::locate_checkpoint_with(&run, common::v1()).unwrap();
    assert_eq!(found, last);
    // A library resumes it as the docs of `ReadOptions` say: read it explicitly, then train
    // from it.
    let (ck, _) = Checkpoint::read_with(&found, common::v1()).unwrap();
    let t = ditto_train::Trainer::new(common::config_of(&ck))
        .unwrap()
        .out(&run)
        .from_checkpoint(ck);
    assert_eq!(t.config().max_steps, Some(4));

    // An edited header (another learning rate) in such a file cannot be detected: it loads.
    let edited = forged_v1(
        &std::fs::read(run.join("checkpoints/step-00000003.safetensors")).unwrap(),
        |doc| {
            doc["state"]["config"]["optimizer"]["lr"] = 0.5.into();
        },
    );
    let (ck, _) = Checkpoint::from_bytes_with(&edited, None, common::v1()).unwrap();
    assert_eq!(ck.state["config"]["optimizer"]["lr"], 0.5);
    refused(Checkpoint::from_bytes(&edited, None).unwrap_err());
}
