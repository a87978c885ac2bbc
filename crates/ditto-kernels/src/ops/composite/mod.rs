//! Canonical mode: Burn's composite ops written as compositions of `Ditto<B>`'s own ops.
//!
//! Burn gives ops such as `linear`, `softmax` or `layer_norm` default bodies that call the
//! backend's primitives. Forwarding `Ditto::<B>::linear` to `B::linear` would run *B's* matmul
//! and `sum_dim`, bypassing the canonical kernels, so in canonical mode these ops are composed
//! here on `Ditto<B>` (every primitive they call is canonical or exact). The compositions
//! follow Burn 0.21's default bodies unless a comment says otherwise (CANONICAL.md).

mod activation;
mod conv1d;

pub(crate) use activation::*;
pub(crate) use conv1d::*;

use burn_backend::ops::{AttentionModuleOptions, FloatTensorOps};
use burn_backend::tensor::{BoolTensor, FloatTensor};
use burn_backend::{Scalar, TensorMetadata};
use burn_std::Shape;

use crate::backend::Ditto;
use crate::inner::Inner;
use crate::ops::canonical::carried;

type F<B> = FloatTensor<Ditto<B>>;

/// `x` as a matrix `[rows, last]` (rows = product of the leading dims).
fn rows<B: Inner>(x: F<B>) -> (F<B>, Shape) {
    let shape = x.shape();
    let last = shape[shape.num_dims() - 1];
    let n = shape.num_elements() / last.max(1);
    (Ditto::<B>::float_reshape(x, Shape::new([n, last])), shape)
}

/// `y = x · W + b` with `W` `[d_in, d_out]`: the canonical matmul of `x` seen as
/// `[rows, d_in]`, then one IEEE `+` of the bias per output.
pub(crate) fn linear<B: Inner>(x: F<B>, weight: F<B>, bias: Option<F<B>>) -> F<B> {
    let (x2, shape) = rows::<B>(x);
    let d_out = weight.shape()[1];
    let y = Ditto::<B>::float_matmul(x2, weight);
    let y = match bias {
        Some(b) => Ditto::<B>::float_add(y, Ditto::<B>::float_reshape(b, Shape::new([1, d_out]))),
        None => y,
    };
    let mut dims = shape.to_vec();
    *dims.last_mut().expect("linear input has rank >= 1") = d_out;
    Ditto::<B>::float_reshape(y, Shape::from(dims))
}

/// `dx = dy · Wᵀ` (canonical matmul over `d_out`).
pub(crate) fn linear_x_backward<B: Inner>(weight: F<B>, output_grad: F<B>) -> F<B> {
    let (g2, shape) = rows::<B>(output_grad);
    let d_in = weight.shape()[0];
    let wt = Ditto::<B>::float_swap_dims(weight, 0, 1);
    let dx = Ditto::<B>::float_matmul(g2, wt);
    let mut dims = shape.to_vec();
    *dims.last_mut().expect("rank >= 1") = d_in;
    Ditto::<B>::float_reshape(dx, Shape::from(dims))
}

/// `dW = xᵀ · dy` over all rows: one canonical matmul whose chain runs over every row of the
/// batch (and sequence) in order, not a matmul per batch element followed by a sum.
pub(crate) fn linear_weight_backward<B: Inner>(x: F<B>, output_grad: F<B>) -> F<B> {
    if let Some(carried) = carried::linear_weight_backward::<B>(&x, &output_grad) {
        return carried;
    }
    let (x2, _) = rows::<B>(x);
    let (g2, _) = rows::<B>(output_grad);
    Ditto::<B>::float_matmul(Ditto::<B>::float_swap_dims(x2, 0, 1), g2)
}

/// `db`: the canonical sum over all rows of `dy` (`sum_dim(0)` of `dy` seen as
/// `[rows, d_out]`).
pub(crate) fn linear_bias_backward<B: Inner>(output_grad: F<B>) -> F<B> {
    if let Some(carried) = carried::linear_bias_backward::<B>(&output_grad) {
        return carried;
    }
    let (g2, _) = rows::<B>(output_grad);
    let d_out = g2.shape()[1];
    Ditto::<B>::float_reshape(Ditto::<B>::float_sum_dim(g2, 0), Shape::new([d_out]))
}

/// Burn's softmax: `e = exp(x - max_dim(x))`, `e / sum_dim(e)`.
pub(crate) fn softmax<B: Inner>(x: F<B>, dim: usize) -> F<B> {
    let max = Ditto::<B>::float_max_dim(Ditto::<B>::float_detach(x.clone()), dim);
    let e = Ditto::<B>::float_exp(Ditto::<B>::float_sub(x, max));
    let s = Ditto::<B>::float_sum_dim(e.clone(), dim);
    Ditto::<B>::float_div(e, s)
}

/// Burn's log-softmax: `shifted = x - max_dim(x)`, `shifted - ln(sum_dim(exp(shifted)))`.
pub(crate) fn log_softmax<B: Inner>(x: F<B>, dim: usize) -> F<B> {
    let max = Ditto::<B>::float_max_dim(Ditto::<B>::float_detach(x.clone()), dim);
    let shifted = Ditto::<B>::float_sub(x, max);
    let lse = Ditto::<B>::float_log(Ditto::<B>::float_sum_dim(
        Ditto::<B>::float_exp(shifted.clone()),
        dim,
    ));
    Ditto::<B>::float_sub(shifted, lse)
}

/// Burn's layer norm over the last axis: `c = x - mean`, `var = mean(c * c)`,
/// `(c / sqrt(var + eps)) * gamma (+ beta)`.
pub(crate) fn layer_norm<B: Inner>(x: F<B>, gamma: F<B>, beta: Option<F<B>>, eps: f64) -> F<B> {
    let shape = x.shape();
    let rank = shape.num_dims();
    let last = rank - 1;
    let d = shape[last];
    let mean = Ditto::<B>::float_mean_dim(x.clone(), last);
    let c = Ditto::<B>::float_sub(x, mean);
    let var = Ditto::<B>::float_mean_dim(Ditto::<B>::float_mul(c.clone(), c.clone()), last);
    let denom = Ditto::<B>::float_sqrt(Ditto::<B>::float_add_scalar(var, Scalar::from(eps)));
    let normalized = Ditto::<B>::float_div(c, denom);
    let bshape: Vec<usize> = (0..rank).map(|i| if i == last { d } else { 1 }).collect();
    let scaled = Ditto::<B>::float_mul(
        normalized,
        Ditto::<B>::float_reshape(gamma, Shape::from(bshape.clone())),
    );
    match beta {
        Some(b) => Ditto::<B>::float_add(scaled, Ditto::<B>::float_reshape(b, Shape::from(bshape))),
        None => scaled,
    }
}

/// Scaled dot-product attention: Burn's `attention_fallback` on `Ditto<B>` (canonical matmuls,
/// max, exp, sum and division; masking is exact).
pub(crate) fn attention<B: Inner>(
    query: F<B>,
    key: F<B>,
    value: F<B>,
    mask: Option<BoolTensor<Ditto<B>>>,
    attn_bias: Option<F<B>>,
    options: AttentionModuleOptions,
) -> F<B> {
    burn_backend::ops::attention::attention_fallback::<Ditto<B>>(
        query, key, value, mask, attn_bias, options,
    )
}

/// Embedding backward: zeros, then the canonical index-add of the output-gradient rows in
/// token order.
pub(crate) fn embedding_backward<B: Inner>(
    weights: F<B>,
    output_grad: F<B>,
    indices: burn_backend::tensor::IntTensor<Ditto<B>>,
) -> F<B> {
    if let Some(carried) = carried::embedding_backward::<B>(&weights, &output_grad, &indices) {
        return carried;
    }
    let [n_emb, d_model] = weights.shape().dims();
    let tokens = indices.shape().num_elements();
    let device = Ditto::<B>::float_device(&weights);
    let dtype = output_grad.dtype();
    let indices = <Ditto<B> as burn_backend::ops::IntTensorOps<Ditto<B>>>::int_reshape(
        indices,
        Shape::new([tokens]),
    );
    let g = Ditto::<B>::float_reshape(output_grad, Shape::new([tokens, d_model]));
    let zeros = Ditto::<B>::float_zeros(Shape::new([n_emb, d_model]), &device, dtype.into());
    Ditto::<B>::float_select_add(zeros, 0, indices, g)
}
