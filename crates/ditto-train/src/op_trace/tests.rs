use ditto_kernels::{OpRecord, TensorRecord, tensor_hash};

use super::*;
use crate::error::ErrorKind;

#[test]
fn step_ranges_parse_and_bad_ones_are_refused() {
    let r: StepRange = "1..3".parse().unwrap();
    assert_eq!((r.first(), r.last()), (1, 3));
    assert!(r.contains(1) && r.contains(3) && !r.contains(4) && !r.contains(0));
    assert_eq!(
        "5".parse::<StepRange>().unwrap(),
        StepRange::new(5, 5).unwrap()
    );
    assert_eq!("2..=4".parse::<StepRange>().unwrap().to_string(), "2..4");
    for bad in ["0", "0..2", "3..1", "x", "1..", "..3", "1..2..3", "-1", ""] {
        let e = bad.parse::<StepRange>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{bad:?}: {e}");
    }
    assert!(
        "3..1"
            .parse::<StepRange>()
            .unwrap_err()
            .to_string()
            .contains("reversed")
    );
}

fn f32_tensor(values: &[f32]) -> TensorRecord {
    let bits: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
    let bytes: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
    let shape = vec![values.len()];
    TensorRecord {
        hash: tensor_hash("F32", &shape, &bytes),
        dtype: "F32".into(),
        shape,
        bits,
    }
}

fn op(index: usize, name: &str, input: &[f32], out: &[f32]) -> OpRecord {
    let mut i = f32_tensor(input);
    i.bits.clear();
    OpRecord {
        index,
        op: name.into(),
        inputs: vec![i],
        outputs: vec![f32_tensor(out)],
    }
}

fn write(dir: &std::path::Path, steps: &[(usize, Vec<OpRecord>)]) {
    let mut w = OpTraceWriter::create(dir, StepRange::new(1, 3).unwrap(), "test").unwrap();
    for (s, ops) in steps {
        w.step(*s, ops).unwrap();
    }
}

fn two_steps(last: f32) -> Vec<(usize, Vec<OpRecord>)> {
    vec![
        (
            1,
            vec![op(0, "a", &[1.0], &[2.0, 3.0]), op(1, "b", &[2.0], &[4.0])],
        ),
        (
            2,
            vec![op(0, "a", &[1.0], &[2.0, 3.0]), op(1, "b", &[2.0], &[last])],
        ),
    ]
}

#[test]
fn a_written_trace_reads_back_and_compares() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    write(&a, &two_steps(4.0));
    let back = OpTrace::read(&a).unwrap();
    assert_eq!(back.steps, two_steps(4.0));
    write(&b, &two_steps(4.0));
    let c = compare_op_traces(&a, &b).unwrap();
    assert!(c.identical(), "{c}");
    assert_eq!((c.steps, c.ops), (2, 4));

    write(&b, &two_steps(f32::from_bits(4f32.to_bits() + 3)));
    let c = compare_op_traces(&a, &b).unwrap();
    let (step, d) = c.divergence.clone().unwrap();
    assert_eq!((step, d.index, d.op.as_str(), d.ulp), (2, 1, "b", Some(3)));
    assert!(c.to_string().contains("step 2, op 1 `b`"), "{c}");

    write(&b, &two_steps(4.0)[..1]);
    let c = compare_op_traces(&a, &b).unwrap();
    let m = c.misalignment.clone().unwrap();
    assert_eq!(
        (m.step, m.index, m.a.as_deref(), m.b),
        (2, 0, Some("a"), None)
    );
    assert!(c.divergence.is_none());
}

#[test]
fn damaged_traces_are_refused_with_their_kind() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let err = OpTrace::read(dir).unwrap_err();
    assert!(err.to_string().contains("--trace-ops"), "{err}");
    let kind = |f: &dyn Fn()| {
        write(dir, &two_steps(4.0));
        f();
        OpTrace::read(dir).unwrap_err().kind()
    };
    let bin = dir.join(OPS_BIN);
    let jsonl = dir.join(OPS_JSONL);
    // A flipped bit in ops.bin.
    let flip = || {
        let mut b = std::fs::read(&bin).unwrap();
        b[5] ^= 1;
        std::fs::write(&bin, b).unwrap();
    };
    assert_eq!(kind(&flip), ErrorKind::Corrupted);
    let cut_bin = || {
        let b = std::fs::read(&bin).unwrap();
        std::fs::write(&bin, &b[..b.len() - 2]).unwrap();
    };
    assert_eq!(kind(&cut_bin), ErrorKind::Truncated);
    let cut_jsonl = || {
        let s = std::fs::read_to_string(&jsonl).unwrap();
        std::fs::write(&jsonl, &s[..s.len() - 10]).unwrap();
    };
    assert_eq!(kind(&cut_jsonl), ErrorKind::Truncated);
    let drop_line = || {
        let s = std::fs::read_to_string(&jsonl).unwrap();
        let keep: Vec<&str> = s.lines().take(4).collect();
        std::fs::write(&jsonl, keep.join("\n") + "\n").unwrap();
    };
    assert_eq!(kind(&drop_line), ErrorKind::Invalid);
    let swap = || {
        let s = std::fs::read_to_string(&jsonl).unwrap();
        let mut l: Vec<&str> = s.lines().collect();
        l.swap(1, 2);
        std::fs::write(&jsonl, l.join("\n") + "\n").unwrap();
    };
    assert_eq!(kind(&swap), ErrorKind::Invalid);
    let foreign = || std::fs::write(&jsonl, "{\"step\": 1}\n").unwrap();
    assert_eq!(kind(&foreign), ErrorKind::Foreign);
    let empty = || std::fs::write(&jsonl, "").unwrap();
    assert_eq!(kind(&empty), ErrorKind::Truncated);
}
