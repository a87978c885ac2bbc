//! The op-level trace: canonical runs agree op for op at any thread count; run-to-run and
//! canonical mode differ at a named op; `compare_traces` reports misaligned traces.

use ditto_kernels::{
    DittoConfig, KernelMode, OpRecord, TensorRecord, compare_traces, ulp_distance,
};

use super::common::{Model, train};
use super::{A, D};

fn traced_steps(model: Model, kernels: KernelMode, threads: usize) -> Vec<OpRecord> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let dev = Default::default();
        D::configure(
            &dev,
            DittoConfig {
                kernels,
                ..Default::default()
            },
        );
        D::start_op_trace(&dev);
        let _ = train::<A>(model, 2, 7, &dev);
        let trace = D::take_op_trace(&dev);
        D::configure(&dev, DittoConfig::default());
        trace
    })
}

#[test]
fn canonical_traces_agree_across_thread_counts() {
    for model in [Model::Mlp, Model::Cnn] {
        let one = traced_steps(model, KernelMode::Canonical, 1);
        let two = traced_steps(model, KernelMode::Canonical, 2);
        assert!(
            one.iter().any(|r| r.op == "linear"),
            "the trace records top-level ops"
        );
        assert!(
            !one.iter()
                .any(|r| r.op == "float_matmul" && r.inputs.len() != 2)
        );
        let diff = compare_traces(&one, &two);
        assert!(diff.identical(), "{diff:?}");
        assert_eq!(diff.compared, one.len());
    }
}

#[test]
fn run_to_run_and_canonical_traces_differ_at_a_named_op() {
    let canon = traced_steps(Model::Mlp, KernelMode::Canonical, 1);
    let plain = traced_steps(Model::Mlp, KernelMode::RunToRun, 1);
    let diff = compare_traces(&plain, &canon);
    let d = diff
        .divergence
        .expect("run-to-run and canonical mode compute other bits");
    eprintln!(
        "first divergence: {d:?}; misaligned: {:?}",
        diff.misaligned_at
    );
    assert!(!d.op.is_empty() && d.ulp.is_some_and(|u| u > 0), "{d:?}");
    assert_eq!(plain[d.index].op, d.op);
    // Both modes run the same top-level ops: the traces stay aligned.
    assert_eq!(diff.misaligned_at, None);
}

fn rec(index: usize, op: &str, input: u64, out: &[f32]) -> OpRecord {
    let t = |hash: u64, bits: Vec<u32>| TensorRecord {
        dtype: "F32".into(),
        shape: vec![bits.len().max(1)],
        hash,
        bits,
    };
    OpRecord {
        index,
        op: op.into(),
        inputs: vec![t(input, vec![0])],
        outputs: vec![t(
            out.iter().map(|v| u64::from(v.to_bits())).sum(),
            out.iter().map(|v| v.to_bits()).collect(),
        )],
    }
}

#[test]
fn compare_names_the_first_divergent_op_and_the_misalignment() {
    let a = vec![
        rec(0, "float_exp", 1, &[1.0, 2.0]),
        rec(1, "float_log", 2, &[3.0, 4.0]),
        rec(2, "float_add", 9, &[0.0]),
    ];
    let b = vec![
        rec(0, "float_exp", 1, &[1.0, 2.0]),
        rec(
            1,
            "float_log",
            2,
            &[3.0, f32::from_bits(4f32.to_bits() + 3)],
        ),
        rec(2, "float_mul", 9, &[0.0]),
        rec(3, "float_mul", 9, &[0.0]),
    ];
    let diff = compare_traces(&a, &b);
    let d = diff.divergence.clone().unwrap();
    assert_eq!(
        (d.index, d.op.as_str(), d.element, d.ulp),
        (1, "float_log", Some(1), Some(3))
    );
    let m = diff.misaligned_at.unwrap();
    assert_eq!(
        (m.index, m.a.as_deref(), m.b.as_deref()),
        (2, Some("float_add"), Some("float_mul"))
    );
    assert!(compare_traces(&a, &a).identical());
    let short = compare_traces(&a[..2], &a);
    assert_eq!(short.misaligned_at.unwrap().a, None);
    assert_eq!(ulp_distance(0x8000_0000, 0), 1);
    assert_eq!(
        ulp_distance(1f32.to_bits(), (-1f32).to_bits()),
        2 * u64::from(1f32.to_bits()) + 1
    );
}

#[test]
fn ops_on_other_inputs_are_an_inherited_difference_never_a_match() {
    // Two runs that already differ before the traced steps: every op sees other inputs and
    // computes other outputs. No op diverged from equal inputs, yet nothing matched.
    let a = vec![
        rec(0, "float_exp", 1, &[1.0]),
        rec(1, "float_log", 5, &[2.0]),
    ];
    let b = vec![
        rec(0, "float_exp", 7, &[1.5]),
        rec(1, "float_log", 8, &[2.5]),
    ];
    let diff = compare_traces(&a, &b);
    assert!(!diff.identical(), "{diff:?}");
    assert_eq!(diff.divergence, None);
    assert_eq!(diff.skipped, 2);
    let h = diff.inherited.unwrap();
    assert_eq!(
        (h.index, h.op.as_str(), h.input, h.produced_by),
        (0, "float_exp", 0, None)
    );

    // A divergence from equal inputs, then an op fed by its output: the divergence is named
    // first, and the inherited input points back at the op that produced it.
    let out = |v: f32| u64::from(v.to_bits());
    let a = vec![
        rec(0, "float_exp", 1, &[1.0]),
        rec(1, "float_log", out(1.0), &[0.0]),
    ];
    let b = vec![
        rec(0, "float_exp", 1, &[1.25]),
        rec(1, "float_log", out(1.25), &[0.5]),
    ];
    let diff = compare_traces(&a, &b);
    assert_eq!(diff.divergence.unwrap().index, 0);
    assert_eq!(diff.inherited.unwrap().produced_by, Some(0));
}
