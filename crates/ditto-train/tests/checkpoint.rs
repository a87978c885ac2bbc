//! Checkpoint files: round trip, atomic replacement, and refusal of truncated, corrupted,
//! foreign and future files with clear errors; readable by Python's `safetensors`.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use ditto_train::{Checkpoint, Dtype, ErrorKind, Provenance, TensorEntry};

fn sample() -> Checkpoint {
    let mut tensors = BTreeMap::new();
    let w: Vec<f32> = (0..12).map(|i| i as f32 * 0.25 - 1.0).collect();
    tensors.insert(
        "model.fc1.weight".into(),
        TensorEntry::f32(vec![3, 4], &w).unwrap(),
    );
    tensors.insert(
        "model.fc1.bias".into(),
        TensorEntry::f32(vec![4], &[0.5, -0.0, 1e-30, 7.0]).unwrap(),
    );
    tensors.insert(
        "optimizer.record".into(),
        TensorEntry::bytes(vec![1, 2, 3, 250]),
    );
    Checkpoint {
        state: serde_json::json!({"step": 12, "epoch": 1, "seed": 42}),
        provenance: Provenance::collect("ditto<ndarray>", "Cpu"),
        tensors,
    }
}

#[test]
fn round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("step-00000012.safetensors");
    let ck = sample();
    ck.write(&path).unwrap();
    let back = Checkpoint::read(&path).unwrap();
    assert_eq!(back, ck);
    assert_eq!(
        back.tensors["model.fc1.bias"].to_f32().unwrap()[1].to_bits(),
        (-0.0f32).to_bits()
    );
    assert_eq!(back.tensors["optimizer.record"].dtype, Dtype::U8);
    // Same content, same bytes: the file is a pure function of the checkpoint.
    assert_eq!(ck.to_bytes().unwrap(), back.to_bytes().unwrap());
}

#[test]
fn atomic_write_replaces_and_leaves_no_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("final.safetensors");
    let mut ck = sample();
    ck.write(&path).unwrap();
    ck.state = serde_json::json!({"step": 13});
    ck.write(&path).unwrap();
    assert_eq!(Checkpoint::read(&path).unwrap().state["step"], 13);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

fn refused(bytes: &[u8]) -> ErrorKind {
    Checkpoint::from_bytes(bytes, Some(Path::new("x.safetensors")))
        .unwrap_err()
        .kind()
}

#[test]
fn truncated_files_are_refused_at_every_length() {
    let bytes = sample().to_bytes().unwrap();
    for len in (0..bytes.len()).step_by(7).chain([bytes.len() - 1]) {
        let kind = refused(&bytes[..len]);
        assert!(
            matches!(kind, ErrorKind::Truncated | ErrorKind::Foreign),
            "length {len}: {kind:?}"
        );
    }
    assert_eq!(refused(&bytes[..bytes.len() - 1]), ErrorKind::Truncated);
    assert_eq!(refused(&bytes[..4]), ErrorKind::Truncated);
}

#[test]
fn corrupted_tensor_bytes_are_refused() {
    let mut bytes = sample().to_bytes().unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    let err = Checkpoint::from_bytes(&bytes, Some(Path::new("c.safetensors"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupted);
    let msg = err.to_string();
    assert!(
        msg.contains("c.safetensors") && msg.contains("BLAKE3"),
        "{msg}"
    );
}

#[test]
fn foreign_and_future_files_are_refused() {
    // A valid safetensors file written without ditto's metadata.
    let data = vec![0u8; 8];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2], &data).unwrap();
    let plain = safetensors::serialize([("w", view)], None).unwrap();
    assert_eq!(refused(&plain), ErrorKind::Foreign);
    assert_eq!(
        refused(b"PK\x03\x04 this is a zip file, not a checkpoint"),
        ErrorKind::Foreign
    );
    // A newer format version.
    let mut bytes = sample().to_bytes().unwrap();
    let needle = br#"\"version\":2"#;
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("version field not found");
    bytes[at + needle.len() - 1] = b'9';
    assert_eq!(refused(&bytes), ErrorKind::Version);
}

#[test]
fn python_safetensors_reads_every_tensor_and_the_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ck.safetensors");
    sample().write(&path).unwrap();
    let script = r#"
import json, sys
from safetensors import safe_open
with safe_open(sys.argv[1], framework="numpy") as f:
    meta = json.loads(f.metadata()["ditto"])
    keys = sorted(f.keys())
    w = f.get_tensor("model.fc1.weight")
    print("KEYS=" + ",".join(keys))
    print("FORMAT=%s/%d" % (meta["format"], meta["version"]))
    print("W=%r" % float(w[2][3]))
"#;
    let Some(out) = common::python::run(
        "python_safetensors_reads_every_tensor_and_the_metadata",
        &["safetensors", "numpy"],
        script,
        &[path.to_str().unwrap()],
    ) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("KEYS=model.fc1.bias,model.fc1.weight,optimizer.record"),
        "{stdout}"
    );
    assert!(stdout.contains("FORMAT=ditto-checkpoint/2"), "{stdout}");
    assert!(stdout.contains("W=1.75"), "{stdout}");
}
