//! Half-precision weights in (#32): `f16` and `bf16` safetensors files written by Python
//! (numpy and `safetensors` for f16, a hand-built header for bf16, which numpy has no dtype
//! for) load exactly, bit for bit as Python decodes them, through the weights reader, into a
//! Burn model with `load_params_from`, and from a ditto checkpoint holding half tensors
//! (`load_params`, `load_params_matching`). Truncated and malformed files are refused with
//! clear errors, never a panic.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use burn::backend::NdArray;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::backend::Backend;
use ditto_train::{
    Checkpoint, Dtype, ErrorKind, Provenance, TensorEntry, Weights, load_params, load_params_from,
    load_params_matching, load_weights_matching, read_params,
};

#[derive(Module, Debug)]
struct Net<B: Backend> {
    hidden: Linear<B>,
    out: Linear<B>,
}

impl<B: Backend> Net<B> {
    fn new(device: &B::Device) -> Self {
        Self {
            hidden: LinearConfig::new(3, 4).init(device),
            out: LinearConfig::new(4, 2).init(device),
        }
    }
}

/// Writes `f16.safetensors` (numpy + safetensors) and `bf16.safetensors` (raw header) into
/// `argv[1]`, each shaped as `Net`, with adversarial values: subnormals, signed zeros,
/// infinities, extremes, quiet and signalling NaNs with payloads. Prints Python's own decoding
/// to f32 bits: numpy's `astype(float32)` for f16, `u16 << 16` for bf16.
const WRITE: &str = r#"
import json, struct, sys
import numpy as np
from safetensors.numpy import save_file
d = sys.argv[1]
shapes = {"hidden.weight": [3, 4], "hidden.bias": [4], "out.weight": [4, 2], "out.bias": [2]}
f16 = {
    "hidden.weight": [0x3C00, 0x0001, 0x8001, 0x03FF, 0x0400, 0x7BFF, 0xFBFF, 0x8000,
                      0x0000, 0x7C00, 0xFC00, 0x7E00],
    "hidden.bias": [0x7C01, 0xFD55, 0x3555, 0xB555],
    "out.weight": [0x7FFF, 0xFFFF, 0x0200, 0x8200, 0x3BFF, 0x3C01, 0x1234, 0xC000],
    "out.bias": [0x7D00, 0x0155],
}
bf16 = {
    "hidden.weight": [0x3F80, 0x0001, 0x8001, 0x007F, 0x0080, 0x7F7F, 0xFF7F, 0x8000,
                      0x0000, 0x7F80, 0xFF80, 0x7FC0],
    "hidden.bias": [0x7F81, 0xFFAA, 0x3EAB, 0xBEAB],
    "out.weight": [0x7FFF, 0xFFFF, 0x0040, 0x8040, 0x3F7F, 0x3F81, 0x1234, 0xC000],
    "out.bias": [0x7FA0, 0x00FF],
}
arrays = {k: np.array(v, dtype="<u2").view(np.float16).reshape(shapes[k]) for k, v in f16.items()}
save_file(arrays, d + "/f16.safetensors")
decoded = {k: [int(x) for x in a.astype(np.float32).reshape(-1).view("<u4")] for k, a in arrays.items()}
print("F16=" + json.dumps(decoded))
header, data = {}, b""
for k in sorted(bf16):
    raw = np.array(bf16[k], dtype="<u2").tobytes()
    header[k] = {"dtype": "BF16", "shape": shapes[k], "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
h = json.dumps(header).encode()
h += b" " * (-len(h) % 8)
with open(d + "/bf16.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + data)
decoded = {}
for k in sorted(bf16):
    a, b = header[k]["data_offsets"]
    u = np.frombuffer(data[a:b], "<u2").astype("<u4") << 16
    decoded[k] = [int(x) for x in u.view(np.float32).view("<u4")]
print("BF16=" + json.dumps(decoded))
"#;

type Bits = BTreeMap<String, Vec<u32>>;

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn model_bits<B: Backend, M: Module<B>>(m: &M) -> Bits {
    read_params(m)
        .into_iter()
        .map(|(p, (_, v))| (p, bits(&v)))
        .collect()
}

fn python_line(stdout: &str, key: &str) -> Bits {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in {stdout}"));
    serde_json::from_str(line).unwrap()
}

#[test]
fn half_files_written_by_python_load_bit_for_bit_as_python_decodes_them() {
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = common::python::run(
        "half_files_written_by_python_load_bit_for_bit_as_python_decodes_them",
        &["safetensors", "numpy"],
        WRITE,
        &[dir.path().to_str().unwrap()],
    ) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (file, key, dtype) in [
        ("f16.safetensors", "F16=", Dtype::F16),
        ("bf16.safetensors", "BF16=", Dtype::BF16),
    ] {
        let python = python_line(&stdout, key);
        let path = dir.path().join(file);
        // The reader `load_params_from` uses.
        let w = Weights::read(&path).unwrap();
        assert_eq!(w.integrity, None);
        let read: Bits = w
            .tensors
            .iter()
            .map(|(n, t)| {
                assert_eq!(t.dtype, dtype, "{file} {n}");
                (n.clone(), bits(&t.to_f32().unwrap()))
            })
            .collect();
        assert_eq!(read, python, "{file}: the reader against Python");
        // Into a Burn model.
        let device = Default::default();
        let model = load_params_from(Net::<NdArray>::new(&device), &path).unwrap();
        assert_eq!(
            model_bits(&model),
            python,
            "{file}: the model against Python"
        );
        // Only the hidden layer, from the weights.
        let fresh = Net::<NdArray>::new(&device);
        let before = model_bits(&fresh);
        let part = load_weights_matching(fresh, &w, &["hidden"]).unwrap();
        let part = model_bits(&part);
        assert_eq!(part["hidden.weight"], python["hidden.weight"], "{file}");
        assert_eq!(part["out.weight"], before["out.weight"], "{file}");
    }
    // What `half`'s own `to_f32` would not give: a signalling NaN keeps its payload and
    // stays signalling (Python: 0x7C01 -> 0x7F802000, bf16 0x7F81 -> 0x7F810000).
    assert_eq!(python_line(&stdout, "F16=")["hidden.bias"][0], 0x7F80_2000);
    assert_eq!(python_line(&stdout, "BF16=")["hidden.bias"][0], 0x7F81_0000);
    assert_eq!(
        python_line(&stdout, "F16=")["hidden.weight"][1],
        0x3380_0000
    );

    // A ditto checkpoint holding the f16 tensors (another tool's conversion): written,
    // verified on reading, loaded whole and in part.
    let w = Weights::read(&dir.path().join("f16.safetensors")).unwrap();
    let ck = Checkpoint {
        state: serde_json::json!({"step": 0}),
        provenance: Provenance::collect("ditto<ndarray>", "Cpu"),
        tensors: w
            .tensors
            .iter()
            .map(|(n, t)| (format!("model.{n}"), t.clone()))
            .collect(),
    };
    let ck_path = dir.path().join("half-checkpoint.safetensors");
    ck.write(&ck_path).unwrap();
    let back = Checkpoint::read(&ck_path).unwrap();
    assert_eq!(back.tensors["model.out.bias"].dtype, Dtype::F16);
    let python = python_line(&stdout, "F16=");
    let device = Default::default();
    let model = load_params(Net::<NdArray>::new(&device), &back).unwrap();
    assert_eq!(model_bits(&model), python);
    let model = load_params_from(Net::<NdArray>::new(&device), &ck_path).unwrap();
    assert_eq!(model_bits(&model), python);
    let model = load_params_matching(Net::<NdArray>::new(&device), &back, &["out"]).unwrap();
    assert_eq!(model_bits(&model)["out.weight"], python["out.weight"]);
}

/// A safetensors file from a header (JSON) and data, as any writer lays it out.
fn safetensors(header: &str, data: &[u8]) -> Vec<u8> {
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(data);
    b
}

#[test]
fn truncated_and_malformed_half_files_are_refused_with_clear_errors() {
    let good = safetensors(
        r#"{"x":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}}"#,
        &[0x80, 0x3F, 0, 0, 0, 0x80, 0x80, 0x7F],
    );
    let w = Weights::from_bytes(&good, None).unwrap();
    assert_eq!(
        bits(&w.tensors["x"].to_f32().unwrap()),
        [0x3F80_0000, 0, 0x8000_0000, 0x7F80_0000]
    );
    // Cut anywhere: the data, the header, the length field.
    for cut in [good.len() - 1, good.len() - 5, 40, 8, 3, 0] {
        let e = Weights::from_bytes(&good[..cut], None).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Truncated | ErrorKind::Invalid),
            "cut at {cut}: {e}"
        );
    }
    let e = Weights::from_bytes(&good[..good.len() - 1], None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated, "{e}");
    // Bytes that do not fill the shape, a shape the bytes overfill, an odd byte count.
    for header in [
        r#"{"x":{"dtype":"F16","shape":[3],"data_offsets":[0,4]}}"#,
        r#"{"x":{"dtype":"BF16","shape":[1],"data_offsets":[0,4]}}"#,
        r#"{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,3]}}"#,
        r#"{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]"#,
        r#"{"x":{"dtype":"F8","shape":[4],"data_offsets":[0,4]}}"#,
    ] {
        let e = Weights::from_bytes(&safetensors(header, &[0; 4]), None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{header}: {e}");
        assert!(e.to_string().contains("safetensors"), "{header}: {e}");
    }
    // A dtype weights are not stored in.
    let ints = safetensors(
        r#"{"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#,
        &[1, 0, 0, 0],
    );
    let e = Weights::from_bytes(&ints, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(e.to_string().contains("F32, F16 or BF16"), "{e}");
    // A tensor entry whose bytes do not fill its shape (its fields are public).
    let short = TensorEntry {
        dtype: Dtype::F16,
        shape: vec![4],
        bytes: vec![0; 7],
    };
    let e = short.to_f32().unwrap_err();
    assert!(e.to_string().contains("truncated or malformed"), "{e}");

    // On disk, through `load_params_from`: an error naming the file, no panic.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.safetensors");
    std::fs::write(&path, &good[..good.len() - 3]).unwrap();
    let device = Default::default();
    let e = load_params_from(Net::<NdArray>::new(&device), &path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated);
    assert_eq!(e.path(), Some(path.as_path()));
    // Well-formed weights that are not this model's.
    let path = dir.path().join("other.safetensors");
    std::fs::write(&path, &good).unwrap();
    let e = load_params_from(Net::<NdArray>::new(&device), &path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(e.to_string().contains("weights file does not fit"), "{e}");
}

#[test]
fn a_checkpoint_with_a_damaged_metadata_key_does_not_pass_as_plain_weights() {
    let mut tensors = BTreeMap::new();
    tensors.insert(
        "model.w".to_owned(),
        TensorEntry::f32(vec![2], &[1.0, 2.0]).unwrap(),
    );
    let ck = Checkpoint {
        state: serde_json::json!({"step": 1}),
        provenance: Provenance::collect("ditto<ndarray>", "Cpu"),
        tensors,
    };
    let mut bytes = ck.to_bytes().unwrap();
    let w = Weights::from_bytes(&bytes, Some(Path::new("ck"))).unwrap();
    assert!(w.integrity.is_some());
    assert_eq!(w.tensors.keys().collect::<Vec<_>>(), ["w"]);
    let at = bytes
        .windows(8)
        .position(|s| s == b"\"ditto\":")
        .expect("the metadata key");
    bytes[at + 5] = b'x';
    let e = Weights::from_bytes(&bytes, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupted, "{e}");
    assert_eq!(
        Checkpoint::from_bytes(&bytes, None).unwrap_err().kind(),
        ErrorKind::Foreign
    );
}
