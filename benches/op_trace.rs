//! What the op trace (`--trace-ops`, `Trainer::trace_ops`) costs a digits-mlp step: one
//! training step (forward, backward, Adam; 64-128-10 MLP, batch 32) on
//! `Autodiff<Ditto<NdArray>>` with the recorder on (`start_op_trace` .. `take_op_trace`) and
//! off, in run-to-run and canonical mode. What the trainer adds (writing `ops.jsonl` and
//! `ops.bin`) is measured with the `ditto` binary (benches/README.md).

#![allow(missing_docs)] // criterion_group! generates an undocumented `benches` fn.

use std::time::Instant;

use burn::backend::{Autodiff, NdArray};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::{Int, Tensor, TensorData};
use criterion::{Criterion, criterion_group, criterion_main};
use ditto::Seed;
use ditto::kernels::{Ditto, DittoConfig, KernelMode};
use ditto::rng::{BurnDefaults, reinit};
use ditto::train::{Mlp, TrainModel};

type Wrapped = Autodiff<Ditto<NdArray>>;
type D = Ditto<NdArray>;

/// The digits-mlp model, a batch and Adam, ready to step.
struct Step {
    model: Option<Mlp<Wrapped>>,
    optim: burn::optim::adaptor::OptimizerAdaptor<burn::optim::Adam, Mlp<Wrapped>, Wrapped>,
    x: Tensor<Wrapped, 2>,
    y: Tensor<Wrapped, 1, Int>,
}

impl Step {
    fn new() -> Self {
        let d = Default::default();
        let model = reinit(
            Mlp::new(64, &[128], 10, 0.1, &d),
            &Seed::from_u64(0).derive("init"),
            &BurnDefaults,
        )
        .map_err(|(_, e)| e)
        .expect("bundled models are initialisable");
        let mut s = Seed::from_u64(0).derive("bench-batch").stream();
        let mut x = vec![0f32; 32 * 64];
        s.fill_uniform_f32(&mut x, 0.0, 1.0).expect("finite range");
        let y: Vec<i64> = (0..32).map(|i| i % 10).collect();
        Self {
            model: Some(model),
            optim: AdamConfig::new().init(),
            x: Tensor::from_data(TensorData::new(x, [32, 64]), &d),
            y: Tensor::from_data(TensorData::new(y, [32]), &d),
        }
    }

    fn run(&mut self) {
        let model = self.model.take().expect("model present");
        let device = self.x.device();
        let logits = model.forward(self.x.clone());
        let loss = CrossEntropyLossConfig::new()
            .init(&device)
            .forward(logits, self.y.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optim.step(1e-3, model, grads));
    }

    /// One step with the recorder on; returns the number of ops recorded.
    fn traced(&mut self) -> usize {
        let d = Default::default();
        D::start_op_trace(&d);
        self.run();
        D::take_op_trace(&d).len()
    }
}

fn mode(kernels: KernelMode) {
    D::configure(
        &Default::default(),
        DittoConfig {
            kernels,
            ..Default::default()
        },
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
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
                    ops = s.traced();
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
    let mut s = Step::new();
    for (name, kernels) in [
        ("run_to_run", KernelMode::RunToRun),
        ("canonical", KernelMode::Canonical),
    ] {
        mode(kernels);
        g.bench_function(format!("digits_mlp_step_{name}_untraced"), |b| {
            b.iter(|| s.run())
        });
        g.bench_function(format!("digits_mlp_step_{name}_traced"), |b| {
            b.iter(|| s.traced())
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
