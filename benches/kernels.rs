//! Canonical kernels against the plain paths: the canonical matmul (256, 512, 1024 square,
//! and the digits-mlp layer shapes)
//! against burn-ndarray's matmul (matrixmultiply), in GFLOP/s, and the canonical `exp` / `tanh`
//! over a slice against `f32::exp` / `f32::tanh` (the platform libm). Prints the ratios
//! (best of interleaved runs), then runs the same cases under criterion.

#![allow(missing_docs)] // criterion_group! generates an undocumented `benches` fn.

use std::hint::black_box;
use std::time::{Duration, Instant};

use burn::backend::NdArray;
use burn::tensor::{Tensor, TensorData};
use criterion::{Criterion, criterion_group};
use ditto::rng::Seed;
use ditto_kernels::canonical::conv::{Conv2dOptions, conv2d};
use ditto_kernels::canonical::conv_backward::{conv2d_input_grad, conv2d_weight_grad};
use ditto_kernels::canonical::pool::max_pool2d_with_indices;
use ditto_kernels::canonical::{Isa, math, matmul};

fn normal(label: &str, n: usize) -> Vec<f32> {
    let mut s = Seed::from_u64(0).derive(label).stream();
    let mut v = vec![0.0f32; n];
    s.fill_normal_f32(&mut v, 0.0, 1.0).expect("valid std");
    v
}

/// Best wall time of `f` over `reps` runs.
fn best(reps: usize, mut f: impl FnMut()) -> Duration {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn ndarray_tensor(v: &[f32], rows: usize, cols: usize) -> Tensor<NdArray, 2> {
    Tensor::from_data(
        TensorData::new(v.to_vec(), [rows, cols]),
        &Default::default(),
    )
}

fn matmul_report() {
    println!("isa: {:?} (DITTO_SIMD=off forces Scalar)", Isa::active());
    // Square sizes, then the digits-mlp shapes (batch 128, 784-256-10) forward.
    let shapes = [
        (256, 256, 256),
        (512, 512, 512),
        (1024, 1024, 1024),
        (128, 784, 256),
        (128, 256, 10),
    ];
    for (m, k, n) in shapes {
        let a = normal("a", m * k);
        let b = normal("b", k * n);
        let (ta, tb) = (ndarray_tensor(&a, m, k), ndarray_tensor(&b, k, n));
        let mut out = vec![0.0f32; m * n];
        let reps = if m * k * n >= 1 << 30 { 5 } else { 15 };
        let mut t_canon = Duration::MAX;
        let mut t_nd = Duration::MAX;
        for _ in 0..3 {
            t_canon = t_canon.min(best(reps, || {
                matmul::matmul(&a, &b, &mut out, m, k, n).expect("shapes match");
                black_box(&out);
            }));
            t_nd = t_nd.min(best(reps, || {
                black_box(ta.clone().matmul(tb.clone()));
            }));
        }
        let flops = 2.0 * (m * k * n) as f64;
        let g = |t: Duration| flops / t.as_secs_f64() / 1e9;
        println!(
            "matmul {m}x{k}x{n}: canonical {:.1} GFLOP/s, ndarray {:.1} GFLOP/s, ratio {:.2}x",
            g(t_canon),
            g(t_nd),
            t_nd.as_secs_f64() / t_canon.as_secs_f64()
        );
    }
}

fn unary_report() {
    let n = 1 << 20;
    let x: Vec<f32> = normal("x", n).iter().map(|v| v * 4.0).collect();
    let mut out = vec![0.0f32; n];
    type Case = (&'static str, fn(&[f32], &mut [f32]), fn(f32) -> f32);
    let cases: [Case; 2] = [
        ("exp", math::exp_slice, f32::exp),
        ("tanh", math::tanh_slice, f32::tanh),
    ];
    for (name, canon, std_fn) in cases {
        let mut t_c = Duration::MAX;
        let mut t_s = Duration::MAX;
        for _ in 0..3 {
            t_c = t_c.min(best(10, || {
                canon(&x, &mut out);
                black_box(&out);
            }));
            t_s = t_s.min(best(10, || {
                for (o, &v) in out.iter_mut().zip(&x) {
                    *o = std_fn(v);
                }
                black_box(&out);
            }));
        }
        let rate = |t: Duration| n as f64 / t.as_secs_f64() / 1e9;
        println!(
            "{name}: canonical {:.2} Gelem/s, std {:.2} Gelem/s, ratio {:.2}x",
            rate(t_c),
            rate(t_s),
            t_s.as_secs_f64() / t_c.as_secs_f64()
        );
    }
}

/// The canonical conv2d and its two gradients at fashion-cnn's shapes (batch 64, 3x3 kernels,
/// padding 1), in GFLOP/s: the three ops the example's step spends most of its time in.
fn conv_report() {
    let opts = Conv2dOptions {
        padding: [1, 1],
        ..Conv2dOptions::default()
    };
    for (x_shape, w_shape) in [
        ([64, 1, 28, 28], [8, 1, 3, 3]),
        ([64, 8, 14, 14], [16, 8, 3, 3]),
    ] {
        let numel = |s: [usize; 4]| s.iter().product::<usize>();
        let y_len = x_shape[0] * w_shape[0] * x_shape[2] * x_shape[3];
        let x = normal("x", numel(x_shape));
        let w = normal("w", numel(w_shape));
        let gy = normal("gy", y_len);
        let (mut y, mut gw, mut gx) = (
            vec![0.0; y_len],
            vec![0.0; numel(w_shape)],
            vec![0.0; numel(x_shape)],
        );
        let mut t = [Duration::MAX; 3];
        for _ in 0..3 {
            t[0] = t[0].min(best(20, || {
                conv2d(&x, x_shape, &w, w_shape, None, &opts, &mut y).expect("shapes match");
                black_box(&y);
            }));
            t[1] = t[1].min(best(20, || {
                conv2d_weight_grad(&x, x_shape, &gy, w_shape, &opts, &mut gw, None)
                    .expect("shapes match");
                black_box(&gw);
            }));
            t[2] = t[2].min(best(20, || {
                conv2d_input_grad(&gy, &w, w_shape, x_shape, &opts, &mut gx).expect("shapes match");
                black_box(&gx);
            }));
        }
        let flops = 2.0 * (y_len * numel(w_shape) / w_shape[0]) as f64;
        let g = |t: Duration| flops / t.as_secs_f64() / 1e9;
        println!(
            "conv2d {x_shape:?} * {w_shape:?}: forward {:.0} us ({:.1} GFLOP/s), weight grad {:.0} us ({:.1}), input grad {:.0} us ({:.1})",
            t[0].as_secs_f64() * 1e6,
            g(t[0]),
            t[1].as_secs_f64() * 1e6,
            g(t[1]),
            t[2].as_secs_f64() * 1e6,
            g(t[2]),
        );
    }
}

/// Max pooling with indices (2x2, stride 2) at fashion-cnn's two pooling shapes.
fn pool_report() {
    let opts = Conv2dOptions {
        stride: [2, 2],
        ..Conv2dOptions::default()
    };
    for x_shape in [[64, 8, 28, 28], [64, 16, 14, 14]] {
        // After a relu, as in the model: a third of the inputs are +0.0.
        let x: Vec<f32> = normal("pool-x", x_shape.iter().product())
            .into_iter()
            .map(|v| (v + 0.4).max(0.0))
            .collect();
        let len = x.len() / 4;
        let (mut out, mut idx) = (vec![0.0f32; len], vec![0i64; len]);
        let mut t = Duration::MAX;
        for _ in 0..3 {
            t = t.min(best(20, || {
                max_pool2d_with_indices(&x, x_shape, [2, 2], &opts, &mut out, &mut idx)
                    .expect("shapes match");
                black_box(&out);
            }));
        }
        println!(
            "max_pool2d_with_indices {x_shape:?} 2x2/2: {:.0} us ({:.2} ns per output)",
            t.as_secs_f64() * 1e6,
            t.as_secs_f64() * 1e9 / len as f64
        );
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernels");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    for n in [256usize, 512] {
        let a = normal("a", n * n);
        let b = normal("b", n * n);
        let (ta, tb) = (ndarray_tensor(&a, n, n), ndarray_tensor(&b, n, n));
        let mut out = vec![0.0f32; n * n];
        g.bench_function(format!("canonical_matmul_{n}"), |bch| {
            bch.iter(|| matmul::matmul(&a, &b, &mut out, n, n, n).expect("shapes match"))
        });
        g.bench_function(format!("ndarray_matmul_{n}"), |bch| {
            bch.iter(|| black_box(ta.clone().matmul(tb.clone())))
        });
    }
    let x = normal("x", 1 << 16);
    let mut out = vec![0.0f32; 1 << 16];
    g.bench_function("canonical_exp_64k", |bch| {
        bch.iter(|| math::exp_slice(&x, &mut out))
    });
    g.bench_function("std_exp_64k", |bch| {
        bch.iter(|| {
            for (o, &v) in out.iter_mut().zip(&x) {
                *o = v.exp();
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    matmul_report();
    conv_report();
    pool_report();
    unary_report();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
