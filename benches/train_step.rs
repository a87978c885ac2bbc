//! One full training step (forward, backward, Adam) of each bundled example's model:
//! `Autodiff<Ditto<NdArray>>` in canonical mode and in run-to-run mode against the plain
//! `Autodiff<NdArray>`, same initial weights, same batch. digits-mlp: 64-128-10 MLP, batch 32;
//! fashion-cnn: the two-conv CNN on 28x28, batch 64. Ratios are printed after criterion's
//! figures from interleaved timings.

#![allow(missing_docs)] // criterion_group! generates an undocumented `benches` fn.

#[path = "common/models.rs"]
mod models;
#[path = "common/step.rs"]
mod step;

use std::time::Instant;

use burn::backend::{Autodiff, NdArray};
use criterion::{Criterion, criterion_group, criterion_main};
use ditto::kernels::{Ditto, KernelMode};
use ditto::train::{Cnn, fingerprint, read_params};
use models::{cnn, mlp, transformer};
use step::{Step, median, mode};

type Plain = Autodiff<NdArray>;
type Wrapped = Autodiff<Ditto<NdArray>>;

/// Interleaved rounds of `n` steps each of plain, run-to-run and canonical.
fn ratios(name: &str, n: usize, rounds: usize, mut plain: impl FnMut(), mut wrapped: impl FnMut()) {
    let (mut p, mut r, mut c) = (Vec::new(), Vec::new(), Vec::new());
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        t.elapsed().as_secs_f64() * 1e3 / n as f64
    };
    // Rotate the order each round so that no variant always runs first (warm caches) or
    // right after a mode switch.
    for round in 0..rounds {
        for slot in 0..3 {
            match (round + slot) % 3 {
                0 => p.push(time(&mut plain)),
                1 => {
                    mode(KernelMode::RunToRun);
                    r.push(time(&mut wrapped));
                }
                _ => {
                    mode(KernelMode::Canonical);
                    c.push(time(&mut wrapped));
                    mode(KernelMode::RunToRun);
                }
            }
        }
    }
    let (p, r, c) = (median(p), median(r), median(c));
    println!(
        "{name}: plain {p:.3} ms, run-to-run {r:.3} ms ({:.3}x), canonical {c:.3} ms ({:.3}x)",
        r / p,
        c / p
    );
}

fn bench(cr: &mut Criterion) {
    let d = Default::default();
    let mut g = cr.benchmark_group("train_step");
    let mut s = mlp::<Plain>(&d);
    g.bench_function("digits_mlp_plain", |b| b.iter(|| s.run()));
    let mut s = mlp::<Wrapped>(&d);
    mode(KernelMode::RunToRun);
    g.bench_function("digits_mlp_run_to_run", |b| b.iter(|| s.run()));
    mode(KernelMode::Canonical);
    g.bench_function("digits_mlp_canonical", |b| b.iter(|| s.run()));
    mode(KernelMode::RunToRun);
    let mut s = cnn::<Plain>(&d);
    g.bench_function("fashion_cnn_plain", |b| b.iter(|| s.run()));
    let mut s = cnn::<Wrapped>(&d);
    g.bench_function("fashion_cnn_run_to_run", |b| b.iter(|| s.run()));
    mode(KernelMode::Canonical);
    g.bench_function("fashion_cnn_canonical", |b| b.iter(|| s.run()));
    mode(KernelMode::RunToRun);
    let mut s = transformer::<Plain>(&d);
    g.bench_function("digits_transformer_plain", |b| b.iter(|| s.run()));
    let mut s = transformer::<Wrapped>(&d);
    g.bench_function("digits_transformer_run_to_run", |b| b.iter(|| s.run()));
    mode(KernelMode::Canonical);
    g.bench_function("digits_transformer_canonical", |b| b.iter(|| s.run()));
    mode(KernelMode::RunToRun);
    g.finish();

    let (mut a, mut b) = (mlp::<Plain>(&d), mlp::<Wrapped>(&d));
    ratios("digits-mlp step", 50, 30, || a.run(), || b.run());
    let (mut a, mut b) = (cnn::<Plain>(&d), cnn::<Wrapped>(&d));
    ratios("fashion-cnn step", 5, 15, || a.run(), || b.run());
    trace_cost(&mut b);
    let (mut a, mut b) = (transformer::<Plain>(&d), transformer::<Wrapped>(&d));
    ratios("digits-transformer step", 20, 30, || a.run(), || b.run());
}

/// What the trainer's default trace (`[trace] every = 1`: read every parameter back and
/// hash it after each step) costs, relative to a fashion-cnn step in run-to-run mode.
fn trace_cost(s: &mut Step<Wrapped, Cnn<Wrapped>>) {
    let (mut step, mut trace) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let t = Instant::now();
        s.run();
        step.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        for _ in 0..10 {
            let model = s.model.as_ref().expect("model present");
            std::hint::black_box(fingerprint(&read_params(model)));
        }
        trace.push(t.elapsed().as_secs_f64() * 1e3 / 10.0);
    }
    let (step, trace) = (median(step), median(trace));
    println!(
        "fashion-cnn trace line (read back + fingerprint of every parameter): {trace:.3} ms \
         = {:.2}% of a {step:.3} ms step",
        100.0 * trace / step
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
