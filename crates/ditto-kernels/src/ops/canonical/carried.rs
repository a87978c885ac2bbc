//! Batch reductions of a cut batch (`crate::microbatch`): each continues the previous
//! micro-batch's canonical order. Every function returns `None` unless this thread is in the
//! backward pass of a micro-batch and the operand is batch-leading; the caller then runs the
//! ordinary canonical op, which gives the same bits for an uncut batch.

use burn_backend::TensorMetadata;
use burn_backend::ops::ConvOptions;

use super::elementwise::usize_indices;
use super::{F, I, dims4, host, host_int, ok, opts, upload};
use crate::canonical::carry::ColumnSums;
use crate::canonical::matmul::{Strides, matmul_strided_from};
use crate::canonical::{Isa, conv_backward, scatter};
use crate::inner::Inner;
use crate::microbatch::{Value, batch_reduction, carry};

fn chain(v: &mut Value) -> &mut Vec<f32> {
    match v {
        Value::Chain(acc) => acc,
        Value::Sums(_) => unreachable!("a chain slot holds accumulators (checked by op name)"),
    }
}

fn sums(v: &mut Value) -> &mut ColumnSums {
    match v {
        Value::Sums(s) => s,
        Value::Chain(_) => unreachable!("a sum slot holds sums (checked by op name)"),
    }
}

/// `linear`'s weight gradient `xᵀ · dy` over all rows, continuing the chain.
pub(crate) fn linear_weight_backward<B: Inner>(x: &F<B>, output_grad: &F<B>) -> Option<F<B>> {
    let xs = x.shape().to_vec();
    batch_reduction(*xs.first()?)?;
    let d_in = *xs.last()?;
    let d_out = *output_grad.shape().to_vec().last()?;
    let rows = xs.iter().product::<usize>() / d_in.max(1);
    let device = B::float_device(x);
    let (xv, _) = host::<B>(x.clone());
    let (gv, _) = host::<B>(output_grad.clone());
    let out = carry(
        "linear_weight_backward",
        &[d_in, d_out],
        || Value::Chain(vec![0.0; d_in * d_out]),
        |v| {
            let acc = chain(v);
            ok(matmul_strided_from(
                Isa::active(),
                &xv,
                Strides::transposed(rows, d_in),
                &gv,
                Strides::row_major(rows, d_out),
                acc,
                1,
                d_in,
                rows,
                d_out,
            ));
            acc.clone()
        },
    );
    Some(upload::<B>(out, vec![d_in, d_out], &device))
}

/// `linear`'s bias gradient: the canonical sum over all rows, continued.
pub(crate) fn linear_bias_backward<B: Inner>(output_grad: &F<B>) -> Option<F<B>> {
    let gs = output_grad.shape().to_vec();
    batch_reduction(*gs.first()?)?;
    let d_out = *gs.last()?;
    let device = B::float_device(output_grad);
    let (gv, _) = host::<B>(output_grad.clone());
    let out = column_sums("linear_bias_backward", d_out, &gv);
    Some(upload::<B>(out, vec![d_out], &device))
}

/// `sum_dim(t, 0)` of a batch-leading tensor (autodiff's reduction of a parameter broadcast
/// over the batch), continued; the result keeps the axis with length 1.
pub(crate) fn sum_dim0<B: Inner>(t: &F<B>) -> Option<F<B>> {
    let mut shape = t.shape().to_vec();
    let rows = *shape.first()?;
    batch_reduction(rows)?;
    let width = shape.iter().product::<usize>() / rows.max(1);
    let device = B::float_device(t);
    let (v, _) = host::<B>(t.clone());
    let out = column_sums("sum_dim", width, &v);
    shape[0] = 1;
    Some(upload::<B>(out, shape, &device))
}

fn column_sums(op: &'static str, width: usize, rows: &[f32]) -> Vec<f32> {
    carry(
        op,
        &[width],
        || Value::Sums(ColumnSums::new(width)),
        |v| {
            let s = sums(v);
            ok(s.push_rows(rows));
            let mut out = vec![0.0; width];
            ok(s.values(&mut out));
            out
        },
    )
}

/// conv2d's weight gradient, its chain over `(n, oh, ow)` continued.
pub(crate) fn conv2d_weight_backward<B: Inner>(
    x: &F<B>,
    weight: &F<B>,
    output_grad: &F<B>,
    options: &ConvOptions<2>,
) -> Option<F<B>> {
    let xs = x.shape().to_vec();
    if xs.len() != 4 {
        return None;
    }
    batch_reduction(xs[0])?;
    let ws = weight.shape().to_vec();
    let device = B::float_device(x);
    let (xv, _) = host::<B>(x.clone());
    let (gy, _) = host::<B>(output_grad.clone());
    let len = ws.iter().product();
    let out = carry(
        "conv2d_weight_backward",
        &ws,
        || Value::Chain(vec![0.0; len]),
        |v| {
            let acc = chain(v);
            ok(conv_backward::conv2d_weight_grad_from(
                &xv,
                dims4(&xs),
                &gy,
                dims4(&ws),
                &opts(options),
                acc,
            ));
            acc.clone()
        },
    );
    Some(upload::<B>(out, ws, &device))
}

/// conv2d's bias gradient: per channel, the canonical sum over `(n, oh, ow)`, continued.
pub(crate) fn conv2d_bias_backward<B: Inner>(bias: &F<B>, output_grad: &F<B>) -> Option<F<B>> {
    let gs = output_grad.shape().to_vec();
    if gs.len() != 4 {
        return None;
    }
    batch_reduction(gs[0])?;
    let [n, c, h, w] = dims4(&gs);
    let p = h * w;
    let device = B::float_device(bias);
    let (gy, _) = host::<B>(output_grad.clone());
    // Rows in (n, oh, ow) order, one column per channel.
    let mut rows = vec![0.0f32; n * p * c];
    for b in 0..n {
        for ch in 0..c {
            let src = &gy[(b * c + ch) * p..(b * c + ch + 1) * p];
            for (q, &v) in src.iter().enumerate() {
                rows[(b * p + q) * c + ch] = v;
            }
        }
    }
    let out = column_sums("conv2d_bias_backward", c, &rows);
    Some(upload::<B>(out, bias.shape().to_vec(), &device))
}

/// The embedding gradient of batch-leading token indices: the index-add continues from the
/// previous micro-batch's table.
pub(crate) fn embedding_backward<B: Inner>(
    weights: &F<B>,
    output_grad: &F<B>,
    indices: &I<B>,
) -> Option<F<B>> {
    let is = indices.shape().to_vec();
    batch_reduction(*is.first()?)?;
    let ws = weights.shape().to_vec();
    let [n_emb, d_model] = [ws[0], ws[1]];
    let device = B::float_device(weights);
    let (idx, _) = host_int::<B>(indices.clone());
    let idx = usize_indices(idx, "embedding_backward");
    let (g, _) = host::<B>(output_grad.clone());
    let out = carry(
        "embedding_backward",
        &ws,
        || Value::Chain(vec![0.0; n_emb * d_model]),
        |v| {
            let acc = chain(v);
            ok(scatter::index_add(acc, n_emb, &idx, &g, 1, d_model));
            acc.clone()
        },
    );
    Some(upload::<B>(out, ws, &device))
}
