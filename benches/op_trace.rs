//! What the op trace (`--trace-ops`, `Trainer::trace_ops`) costs a digits-mlp step: one
//! training step (forward, backward, Adam; 64-128-10 MLP, batch 32) on
//! `Autodiff<Ditto<NdArray>>` with the recorder on (`start_op_trace` .. `take_op_trace`) and
//! off, in run-to-run and canonical mode. What the trainer adds (writing `ops.jsonl` and
//! `ops.bin`) is measured with the `ditto` binary (benches/README.md).

#![allow(missing_docs)] // criterion_group! generates an undocumented `benches` fn.

#[path = "common/step.rs"]
mod step;

use std::time::Instant;

use burn::backend::{Autodiff, NdArray};
use criterion::{Criterion, criterion_group, criterion_main};
use ditto::kernels::{Ditto, KernelMode};
use ditto::train::Mlp;
use step::{median, mode};

type Wrapped = Autodiff<Ditto<NdArray>>;
type D = Ditto<NdArray>;

type Step = step::Step<Wrapped, Mlp<Wrapped>>;

/// The digits-mlp model, a batch and Adam, ready to step.
fn digits_mlp() -> Step {
    let d = Default::default();
    Step::new(Mlp::new(64, &[128], 10, 0.1, &d), 64, 32, &d)
}

/// One step with the recorder on; returns the number of ops recorded.
fn traced(s: &mut Step) -> usize {
    let d = Default::default();
    D::start_op_trace(&d);
    s.run();
    D::take_op_trace(&d).len()
}

/// Interleaved rounds of `n` untraced and `n` traced steps (order alternating).
fn interleaved(name: &str, s: &mut Step) {
    let (mut off, mut on) = (Vec::new(), Vec::new());
    let mut ops = 0;
    for round in 0..30 {
        for slot in 0..2 {
            let t = Instant::now();
            for _ in 0..20 {
                if (round + slot) % 2 == 0 {
                    s.run();
                } else {
                    ops = traced(s);
                }
            }
            let ms = t.elapsed().as_secs_f64() * 1e3 / 20.0;
            if (round + slot) % 2 == 0 {
                off.push(ms);
            } else {
                on.push(ms);
            }
        }
    }
    let (off, on) = (median(off), median(on));
    println!(
        "digits-mlp step, {name}: untraced {off:.3} ms, op trace on {on:.3} ms ({:.2}x; {ops} \
         ops recorded)",
        on / off
    );
}

fn bench(cr: &mut Criterion) {
    let mut g = cr.benchmark_group("op_trace");
    let mut s = digits_mlp();
    for (name, kernels) in [
        ("run_to_run", KernelMode::RunToRun),
        ("canonical", KernelMode::Canonical),
    ] {
        mode(kernels);
        g.bench_function(format!("digits_mlp_step_{name}_untraced"), |b| {
            b.iter(|| s.run())
        });
        g.bench_function(format!("digits_mlp_step_{name}_traced"), |b| {
            b.iter(|| traced(&mut s))
        });
    }
    g.finish();
    for (name, kernels) in [
        ("run-to-run", KernelMode::RunToRun),
        ("canonical", KernelMode::Canonical),
    ] {
        mode(kernels);
        interleaved(name, &mut s);
    }
    mode(KernelMode::RunToRun);
}

criterion_group!(benches, bench);
criterion_main!(benches);
