//! Overhead of the `Ditto<B>` decorator alone (forwarding, no random ops) on a training step:
//! forward + backward + Adam of a 784-256-10 MLP, batch 128, `Autodiff<NdArray>` against
//! `Autodiff<Ditto<NdArray>>`. Prints the ratio of medians (interleaved runs). Target: < 1%.

#![allow(missing_docs)] // criterion_group! generates an undocumented `benches` fn.

use std::hint::black_box;
use std::time::{Duration, Instant};

use burn::backend::{Autodiff, NdArray};
use burn::module::{AutodiffModule, Module};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData, backend::Backend};
use criterion::{Criterion, criterion_group};
use ditto::Ditto;
use ditto::rng::{BurnDefaults, Seed, reinit};

#[derive(Module, Debug)]
struct Mlp<B: Backend> {
    fc1: Linear<B>,
    fc2: Linear<B>,
    act: Relu,
}

struct Step<B: AutodiffBackend> {
    model: Option<Mlp<B>>,
    optim: burn::optim::adaptor::OptimizerAdaptor<burn::optim::Adam, Mlp<B>, B>,
    x: Tensor<B, 2>,
    y: Tensor<B, 1, Int>,
}

impl<B: AutodiffBackend> Step<B>
where
    Mlp<B>: AutodiffModule<B>,
{
    fn new() -> Self {
        let d = B::Device::default();
        let m = Mlp {
            fc1: LinearConfig::new(784, 256).init(&d),
            fc2: LinearConfig::new(256, 10).init(&d),
            act: Relu::new(),
        };
        let m = reinit(m, &Seed::from_u64(0).derive("init"), &BurnDefaults)
            .ok()
            .unwrap();
        let mut s = Seed::from_u64(0).derive("bench-data").stream();
        let mut x = vec![0f32; 128 * 784];
        s.fill_normal_f32(&mut x, 0.0, 1.0).unwrap();
        let y: Vec<i64> = (0..128).map(|_| s.below(10).unwrap() as i64).collect();
        Self {
            model: Some(m),
            optim: AdamConfig::new().init(),
            x: Tensor::from_data(TensorData::new(x, [128, 784]), &d),
            y: Tensor::from_data(TensorData::new(y, [128]), &d),
        }
    }

    fn run(&mut self) {
        let m = self.model.take().unwrap();
        let logits = m.fc2.forward(m.act.forward(m.fc1.forward(self.x.clone())));
        let loss = CrossEntropyLossConfig::new()
            .init(&self.x.device())
            .forward(logits, self.y.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &m);
        let m = self.optim.step(1e-3, m, grads);
        black_box(m.fc2.bias.as_ref().map(|b| b.val().into_data()));
        self.model = Some(m);
    }
}

type Plain = Autodiff<NdArray>;
type Wrapped = Autodiff<Ditto<NdArray>>;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("train_step_mlp_784_256_10_b128");
    let mut plain = Step::<Plain>::new();
    g.bench_function("burn Autodiff<NdArray>", |b| b.iter(|| plain.run()));
    let mut wrapped = Step::<Wrapped>::new();
    g.bench_function("ditto Autodiff<Ditto<NdArray>>", |b| {
        b.iter(|| wrapped.run())
    });
    g.finish();
}

/// Interleaved medians, robust to the machine's drift over the run.
fn ratio() {
    let mut plain = Step::<Plain>::new();
    let mut wrapped = Step::<Wrapped>::new();
    for _ in 0..5 {
        plain.run();
        wrapped.run();
    }
    let (mut tp, mut tw) = (Vec::new(), Vec::new());
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline || tp.len() < 30 {
        tp.push(time(&mut || plain.run()));
        tw.push(time(&mut || wrapped.run()));
    }
    tp.sort();
    tw.sort();
    let (mp, mw) = (tp[tp.len() / 2], tw[tw.len() / 2]);
    println!(
        "decorator overhead: plain {:?}, ditto {:?}, ratio {:.4} ({} pairs)",
        mp,
        mw,
        mw.as_secs_f64() / mp.as_secs_f64(),
        tp.len()
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(8));
    targets = bench
}

fn main() {
    benches();
    ratio();
    Criterion::default().configure_from_args().final_summary();
}
