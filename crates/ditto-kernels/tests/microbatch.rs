//! `ditto_kernels::microbatch`: a batch cut into micro-batches gives the uncut batch's
//! gradients bit for bit, for every batch reduction the scope carries, including the one the
//! bundled models do not use (the embedding gradient of batch-leading token indices); without
//! the carry the bits differ (so the comparison can fail); a backward pass that changes with
//! the cut is refused.

use std::sync::Arc;

use burn::backend::{Autodiff, NdArray};
use burn::tensor::module::{conv2d, embedding, linear};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Int, Tensor, TensorData, activation::relu};
use ditto_kernels::microbatch::{Carry, MicroBatch, Scope};
use ditto_kernels::{Ditto, DittoConfig, KernelMode};

type B = Autodiff<Ditto<NdArray>>;

const ROWS: usize = 11;
const TOKENS: usize = 5;
const VOCAB: usize = 7;
const D: usize = 6;

/// A reproducible spread of values.
fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            ((s >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 3.0
        })
        .collect()
}

struct Params {
    table: Tensor<B, 2>,
    gain: Tensor<B, 1>,
    w: Tensor<B, 2>,
    b: Tensor<B, 1>,
    kernel: Tensor<B, 4>,
    kbias: Tensor<B, 1>,
}

fn param<const N: usize>(shape: [usize; N], seed: u32) -> Tensor<B, N> {
    let n = shape.iter().product();
    Tensor::<B, N>::from_data(TensorData::new(values(n, seed), shape), &Default::default())
        .require_grad()
}

fn params() -> Params {
    Params {
        table: param([VOCAB, D], 1),
        gain: param([D], 2),
        w: param([D, 3], 3),
        b: param([3], 4),
        kernel: param([2, 1, 3, 3], 5),
        kbias: param([2], 6),
    }
}

/// Tokens `[rows, TOKENS]`, images `[rows, 1, 4, 4]`.
fn inputs(offset: usize, rows: usize) -> (Tensor<B, 2, Int>, Tensor<B, 4>) {
    let device = Default::default();
    let tokens: Vec<i64> = (offset * TOKENS..(offset + rows) * TOKENS)
        .map(|i| ((i * 5 + 3) % VOCAB) as i64)
        .collect();
    let images = values(ROWS * 16, 9)[offset * 16..(offset + rows) * 16].to_vec();
    (
        Tensor::from_data(TensorData::new(tokens, [rows, TOKENS]), &device),
        Tensor::from_data(TensorData::new(images, [rows, 1, 4, 4]), &device),
    )
}

/// Per-sample losses `[rows, 1]`: embedding (batch-leading indices) times a broadcast gain
/// (autodiff's `sum_dim(0)`), a 3-D linear, plus a conv2d branch.
fn sample_losses(p: &Params, offset: usize, rows: usize) -> Tensor<B, 2> {
    let (tokens, images) = inputs(offset, rows);
    let h = embedding(p.table.clone(), tokens) * p.gain.clone().reshape([1, 1, D]);
    let y = linear(h, p.w.clone(), Some(p.b.clone()));
    let a: Tensor<B, 2> = relu(y).sum_dim(1).squeeze_dim(1).sum_dim(1);
    let c = conv2d(
        images,
        p.kernel.clone(),
        Some(p.kbias.clone()),
        ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
    );
    let c: Tensor<B, 2> = c.reshape([rows, 32]).sum_dim(1);
    (a + c).powi_scalar(2)
}

fn bits<const N: usize>(t: Tensor<Ditto<NdArray>, N>) -> Vec<u32> {
    t.into_data()
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

/// Every parameter's gradient, as bits.
fn grads_of(
    p: &Params,
    g: &<B as burn::tensor::backend::AutodiffBackend>::Gradients,
) -> Vec<Vec<u32>> {
    vec![
        bits(p.table.grad(g).unwrap()),
        bits(p.gain.grad(g).unwrap()),
        bits(p.w.grad(g).unwrap()),
        bits(p.b.grad(g).unwrap()),
        bits(p.kernel.grad(g).unwrap()),
        bits(p.kbias.grad(g).unwrap()),
    ]
}

fn configure() {
    Ditto::<NdArray>::configure(
        &Default::default(),
        DittoConfig {
            kernels: KernelMode::Canonical,
            ..DittoConfig::default()
        },
    );
}

fn whole() -> Vec<Vec<u32>> {
    configure();
    let p = params();
    let loss = sample_losses(&p, 0, ROWS)
        .sum()
        .mul_scalar(1.0 / ROWS as f64);
    grads_of(&p, &loss.backward())
}

/// The gradients after the micro-batches `sizes`, each continuing the previous one
/// (`carried`), or each from scratch and then added (what frameworks do).
fn cut(sizes: &[usize], carried: bool) -> Vec<Vec<u32>> {
    configure();
    let p = params();
    let carry = Carry::new();
    let mut offset = 0;
    let mut last = Vec::new();
    let mut summed: Option<Vec<Vec<f32>>> = None;
    for (index, &rows) in sizes.iter().enumerate() {
        let scope = carried.then(|| {
            Scope::enter(
                MicroBatch {
                    index,
                    count: sizes.len(),
                    offset,
                    rows,
                    total: ROWS,
                },
                Arc::clone(&carry),
            )
        });
        let loss = sample_losses(&p, offset, rows)
            .sum()
            .mul_scalar(1.0 / ROWS as f64);
        if let Some(s) = &scope {
            s.backward();
        }
        let g = loss.backward();
        if let Some(s) = &scope {
            s.check().unwrap();
        }
        last = grads_of(&p, &g);
        let as_f32: Vec<Vec<f32>> = last
            .iter()
            .map(|v| v.iter().map(|b| f32::from_bits(*b)).collect())
            .collect();
        summed = Some(match summed {
            None => as_f32,
            Some(acc) => acc
                .iter()
                .zip(&as_f32)
                .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x + y).collect())
                .collect(),
        });
        offset += rows;
    }
    if carried {
        last
    } else {
        summed
            .unwrap()
            .iter()
            .map(|v| v.iter().map(|x| x.to_bits()).collect())
            .collect()
    }
}

#[test]
fn carried_micro_batches_give_the_whole_batch_gradients() {
    let want = whole();
    for sizes in [&[11][..], &[6, 5], &[4, 4, 3], &[2, 2, 2, 2, 3]] {
        assert_eq!(cut(sizes, true), want, "cut {sizes:?}");
    }
}

#[test]
fn uncarried_micro_batches_differ() {
    assert_ne!(cut(&[4, 4, 3], false), whole());
}

#[test]
fn a_backward_pass_that_changes_with_the_cut_is_refused() {
    configure();
    let p = params();
    let carry = Carry::new();
    let mut errors = Vec::new();
    for (index, (offset, rows)) in [(0usize, 6usize), (6, 5)].into_iter().enumerate() {
        let scope = Scope::enter(
            MicroBatch {
                index,
                count: 2,
                offset,
                rows,
                total: ROWS,
            },
            Arc::clone(&carry),
        );
        // The second micro-batch skips the conv branch: one carried reduction fewer.
        let (tokens, _) = inputs(offset, rows);
        let h = embedding(p.table.clone(), tokens);
        let mut loss = h.sum();
        if index == 0 {
            let (_, images) = inputs(offset, rows);
            loss = loss
                + conv2d(
                    images,
                    p.kernel.clone(),
                    Some(p.kbias.clone()),
                    ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
                )
                .sum();
        }
        scope.backward();
        // The mismatch shows either at the first carried op that differs from micro-batch 0's
        // (a panic inside Burn's backward pass) or in the count after it.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| loss.backward()));
        match ran {
            Err(panic) => errors.push(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "a panic without a message".into()),
            ),
            Ok(_) => {
                if let Err(e) = scope.check() {
                    errors.push(e);
                }
            }
        }
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("depends on the cut")
            || errors[0].contains("carried 1 batch reductions, micro-batch 0 carried 3"),
        "{}",
        errors[0]
    );
}
