//! `ditto export`: a run's weights as a plain safetensors file. Python reads the f32, f16 and
//! bf16 files back (`safetensors` for f32 and f16, the header by hand for bf16) and finds the
//! run's parameter names and shapes, the f32 bits unchanged and the half values rounded to
//! nearest, ties to even, as it computes them itself from the checkpoint (numpy for f16, bit
//! arithmetic for bf16). Adversarial values (overflow, underflow, ties, NaN payloads) convert
//! as CANONICAL.md says and are counted in the report. Bad requests are refused.

use crate::common;
#[path = "../../ditto-train/tests/common/python.rs"]
mod python;

use std::path::Path;

use common::{ditto, ok};

/// Python's check of exported files against the checkpoint they came from: `argv[1]` the
/// source (a ditto checkpoint, whose `model.` tensors are compared, or a plain f32 file),
/// then the f32, f16 and bf16 exports. Non-NaN halves are numpy's `astype(float16)` and the
/// bf16 bit formula; NaNs the quiet NaN of the same sign with the payload's top bits.
const CHECK: &str = r#"
import json, struct, sys
import numpy as np
from safetensors import safe_open
src, f32, f16, bf16 = sys.argv[1:5]
def header(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop("__metadata__", None)
    return h, b[8 + n:]
want = {}
with safe_open(src, framework="numpy") as f:
    for k in f.keys():
        if not k.startswith("optimizer") and f.get_tensor(k).dtype == np.float32:
            want[k[len("model."):] if k.startswith("model.") else k] = f.get_tensor(k)
assert want, "no tensors in the source"
with safe_open(f32, framework="numpy") as f:
    assert sorted(f.keys()) == sorted(want), (sorted(f.keys()), sorted(want))
    for k, w in want.items():
        a = f.get_tensor(k)
        assert a.dtype == np.float32 and a.shape == w.shape, k
        assert (a.view("<u4") == w.view("<u4")).all(), k
h16, _ = header(f16)
with safe_open(f16, framework="numpy") as f:
    assert sorted(f.keys()) == sorted(want)
    for k, w in want.items():
        a = f.get_tensor(k)
        assert h16[k]["dtype"] == "F16" and a.dtype == np.float16 and a.shape == w.shape, k
        u = w.reshape(-1).view("<u4")
        nan = np.isnan(w.reshape(-1))
        with np.errstate(over="ignore"):
            exp = w.reshape(-1).astype(np.float16).view("<u2").copy()
        exp[nan] = (((u >> 16) & 0x8000) | 0x7E00 | ((u >> 13) & 0x3FF))[nan].astype("<u2")
        got = a.reshape(-1).view("<u2")
        assert (got == exp).all(), (k, [hex(x) for x in got], [hex(x) for x in exp])
hb, data = header(bf16)
assert sorted(hb) == sorted(want), sorted(hb)
for k, w in want.items():
    e = hb[k]
    assert e["dtype"] == "BF16" and e["shape"] == list(w.shape), (k, e)
    a, b = e["data_offsets"]
    got = np.frombuffer(data[a:b], "<u2")
    u = w.reshape(-1).view("<u4").astype(np.uint64)
    exp = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
    nan = np.isnan(w.reshape(-1))
    exp[nan] = ((u >> 16) | 0x40)[nan].astype("<u2")
    assert (got == exp).all(), (k, [hex(x) for x in got], [hex(x) for x in exp])
print("CHECKED %d tensors" % len(want))
"#;

/// A plain safetensors file of f32 tensors, laid out by hand (as any writer may).
fn plain_f32(path: &Path, tensors: &[(&str, &[usize], &[u32])]) {
    let (mut header, mut data) = (Vec::new(), Vec::new());
    for (name, shape, bits) in tensors {
        let start = data.len();
        data.extend(bits.iter().flat_map(|b| b.to_le_bytes()));
        header.push(format!(
            r#""{name}":{{"dtype":"F32","shape":{shape:?},"data_offsets":[{start},{}]}}"#,
            data.len()
        ));
    }
    let header = format!("{{{}}}", header.join(","));
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(&data);
    std::fs::write(path, b).unwrap();
}

/// Overflow, underflow, ties, subnormals, signed zeros, infinities, NaNs with payloads.
const ADVERSARIAL: [u32; 21] = [
    0x3F80_0000, // 1
    0x3EAA_AAAB, // 1/3
    0x477F_E000, // 65504, the largest f16
    0x477F_EF00, // 65519: f16 65504
    0x477F_F000, // 65520: the f16 midpoint, to infinity
    0x47C3_5000, // 1e5
    0x3380_0000, // 2^-24, the smallest f16 subnormal
    0x3300_0000, // 2^-25: tie, f16 0
    0x3280_0000, // 2^-26
    0x33C0_0000, // 3 x 2^-25: tie, f16 2 x 2^-24
    0x8000_0000, // -0
    0x7F80_0000, // inf
    0xFF80_0000, // -inf
    0x7FC0_0000, // quiet NaN
    0x7F80_0001, // signalling NaN, low payload
    0xFFA0_0000, // negative signalling NaN, high payload
    0x7F7F_FFFF, // f32::MAX
    0x3F80_8000, // bf16 tie, to even 0x3F80
    0x3F81_8000, // bf16 tie, to even 0x3F82
    0x0000_0001, // the smallest f32 subnormal
    0x0001_8000, // bf16 tie among subnormals, to 0x0002
];

fn export(args: &[&str]) -> String {
    let mut a = vec!["export"];
    a.extend_from_slice(args);
    ok(&a)
}

fn python_check(test: &str, files: [&Path; 4]) {
    let args: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let Some(out) = python::run(test, &["safetensors", "numpy"], CHECK, &args) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("CHECKED"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exported_run_weights_read_back_in_python_rounded_to_nearest_even() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    ok(&[
        "train",
        "--example",
        "digits-mlp",
        "--max-steps",
        "5",
        "--out",
        run.to_str().unwrap(),
    ]);
    let outs = ["f32", "f16", "bf16"].map(|d| dir.path().join(format!("{d}.safetensors")));
    for (dtype, out) in ["f32", "f16", "bf16"].iter().zip(&outs) {
        let text = export(&[
            run.to_str().unwrap(),
            "--dtype",
            dtype,
            "--out",
            out.to_str().unwrap(),
        ]);
        // One line per parameter (an MLP 64-128-10: two weights, two biases) and the totals.
        assert!(text.lines().any(|l| l.starts_with("tensor ")), "{text}");
        let rows = text.lines().filter(|l| l.contains(" f32 ")).count();
        assert_eq!(rows, 4, "{text}");
        assert!(
            text.contains(&format!(
                "{} values as {dtype}",
                64 * 128 + 128 + 128 * 10 + 10
            )),
            "{text}"
        );
        if *dtype == "f32" {
            assert!(text.contains(": 0 rounded, 0 overflowed"), "{text}");
        }
    }
    let ck = run.join("final.safetensors");
    python_check(
        "exported_run_weights_read_back_in_python_rounded_to_nearest_even",
        [&ck, &outs[0], &outs[1], &outs[2]],
    );
    // The same export twice: the same bytes.
    let again = dir.path().join("again.safetensors");
    export(&[
        run.to_str().unwrap(),
        "--dtype",
        "bf16",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&outs[2]).unwrap()
    );
}

#[test]
fn adversarial_values_convert_as_documented_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("adversarial.safetensors");
    let small: [u32; 6] = [0.5f32, -1.5, 2.0, 0.25, 3.0, -4.0].map(f32::to_bits);
    plain_f32(
        &src,
        &[
            ("layer.w", &[3, 7], &ADVERSARIAL),
            ("layer.b", &[2, 3], &small),
        ],
    );
    let outs = ["f32", "f16", "bf16"].map(|d| dir.path().join(format!("{d}.safetensors")));
    let mut reports = Vec::new();
    for (dtype, out) in ["f32", "f16", "bf16"].iter().zip(&outs) {
        reports.push(export(&[
            "--checkpoint",
            src.to_str().unwrap(),
            "--dtype",
            dtype,
            "--out",
            out.to_str().unwrap(),
        ]));
    }
    // Counted by hand from ADVERSARIAL (CANONICAL.md's rules); `layer.b` is exact.
    assert!(reports[0].contains("27 values as f32, "), "{}", reports[0]);
    assert!(
        reports[1]
            .contains("): 10 rounded, 3 overflowed to infinity, 4 flushed to zero, 2 subnormal"),
        "{}",
        reports[1]
    );
    assert!(
        reports[2]
            .contains("): 10 rounded, 1 overflowed to infinity, 1 flushed to zero, 1 subnormal"),
        "{}",
        reports[2]
    );
    let row = |text: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.starts_with("layer.w")).unwrap();
        line.split_whitespace().map(str::to_owned).collect()
    };
    // name, shape ([3, 7] is two words), from, values, rounded, to_inf, to_zero, subnormal, nan
    assert_eq!(row(&reports[1])[4..], ["21", "10", "3", "4", "2", "3"]);
    assert_eq!(row(&reports[2])[4..], ["21", "10", "1", "1", "1", "3"]);
    // f32: the file's bytes of each tensor are the source's.
    let f32_file = std::fs::read(&outs[0]).unwrap();
    let adv: Vec<u8> = ADVERSARIAL.iter().flat_map(|b| b.to_le_bytes()).collect();
    assert!(f32_file.windows(adv.len()).any(|w| w == adv.as_slice()));
    python_check(
        "adversarial_values_convert_as_documented_and_are_counted",
        [&src, &outs[0], &outs[1], &outs[2]],
    );
}

#[test]
fn bad_requests_are_refused_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("w.safetensors");
    plain_f32(&src, &[("w", &[2], &[0x3F80_0000, 0x4000_0000])]);
    let s = src.to_str().unwrap();
    let fails = |args: &[&str], want: &[&str]| {
        let out = ditto(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        for w in want {
            assert!(err.contains(w), "{args:?}: {err:?} lacks {w:?}");
        }
    };
    // An unknown dtype, a missing --out, --best with --checkpoint: clap refuses.
    let out = dir.path().join("out.safetensors");
    let o = out.to_str().unwrap();
    fails(
        &["export", "--checkpoint", s, "--dtype", "f64", "--out", o],
        &["f64", "f32", "f16", "bf16"],
    );
    fails(&["export", "--checkpoint", s, "--dtype", "f16"], &["--out"]);
    fails(
        &[
            "export",
            "--checkpoint",
            s,
            "--best",
            "--dtype",
            "f16",
            "--out",
            o,
        ],
        &["--best"],
    );
    fails(&["export", "--dtype", "f16", "--out", o], &["RUN"]);
    // A run directory without checkpoints.
    let empty = dir.path().join("empty-run");
    std::fs::create_dir(&empty).unwrap();
    fails(
        &[
            "export",
            empty.to_str().unwrap(),
            "--dtype",
            "f16",
            "--out",
            o,
        ],
        &["no final.safetensors or last.safetensors"],
    );
    fails(
        &[
            "export",
            empty.to_str().unwrap(),
            "--best",
            "--dtype",
            "f16",
            "--out",
            o,
        ],
        &["summary.json"],
    );
    // An existing output: refused without --force, untouched; replaced with it.
    std::fs::write(&out, b"precious").unwrap();
    fails(
        &["export", "--checkpoint", s, "--dtype", "bf16", "--out", o],
        &["exists", "--force"],
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    ok(&[
        "export",
        "--checkpoint",
        s,
        "--dtype",
        "bf16",
        "--out",
        o,
        "--force",
    ]);
    assert_ne!(std::fs::read(&out).unwrap(), b"precious");
    // The source itself, even with --force.
    let before = std::fs::read(&src).unwrap();
    fails(
        &[
            "export",
            "--checkpoint",
            s,
            "--dtype",
            "f16",
            "--out",
            s,
            "--force",
        ],
        &["--out is the checkpoint"],
    );
    assert_eq!(std::fs::read(&src).unwrap(), before);
    // A truncated file, and one that is not safetensors.
    let cut = dir.path().join("cut.safetensors");
    std::fs::write(&cut, &before[..before.len() - 3]).unwrap();
    let c = cut.to_str().unwrap();
    let o2 = dir.path().join("o2.safetensors");
    let o2 = o2.to_str().unwrap();
    fails(
        &["export", "--checkpoint", c, "--dtype", "f16", "--out", o2],
        &["truncated"],
    );
    std::fs::write(&cut, b"not a safetensors file at all").unwrap();
    fails(
        &["export", "--checkpoint", c, "--dtype", "f16", "--out", o2],
        &["invalid value"],
    );
    assert!(!Path::new(o2).exists());
}
