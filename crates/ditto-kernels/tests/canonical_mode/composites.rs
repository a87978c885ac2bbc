//! Composite ops in canonical mode (`linear` with its three backward ops through autodiff,
//! softmax, log-softmax, layer norm) and the newly routed element-wise and order-free ops:
//! each equals, bit for bit, the composition of canonical kernels CANONICAL.md specifies.

use burn::module::Param;
use burn::nn::{LayerNormConfig, LinearConfig};
use burn::tensor::{Tensor, TensorData, activation};
use ditto_kernels::canonical::reduce::{self, Axis};
use ditto_kernels::canonical::{elementwise as ew, math, matmul, pool};

use super::{A, D, bits, canonical_mode, normal, values};

fn transpose(v: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0f32; v.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = v[r * cols + c];
        }
    }
    t
}

/// `linear` over a rank-3 input: the forward pass is the canonical matmul of the rows plus one
/// IEEE add; `dx = dy · Wᵀ`, `dW = xᵀ · dy` over all 6 rows, `db` = canonical sum of the rows.
#[test]
fn linear_and_its_backward_ops_equal_the_kernels_bits() {
    let dev = canonical_mode();
    let (rows, d_in, d_out) = (6, 37, 5);
    let (x, w, b, r) = (
        normal("lx", rows * d_in),
        normal("lw", d_in * d_out),
        normal("lb", d_out),
        normal("lr", rows * d_out),
    );
    let mut layer = LinearConfig::new(d_in, d_out).init::<A>(&dev);
    layer.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(w.clone(), [d_in, d_out]),
        &dev,
    ));
    layer.bias = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(b.clone(), [d_out]),
        &dev,
    )));
    let tx =
        Tensor::<A, 3>::from_data(TensorData::new(x.clone(), [2, 3, d_in]), &dev).require_grad();
    let y = layer.forward(tx.clone());
    let tr = Tensor::<A, 3>::from_data(TensorData::new(r.clone(), [2, 3, d_out]), &dev);
    let grads = (y.clone() * tr).sum().backward();

    let mut want_y = vec![0f32; rows * d_out];
    matmul::matmul(&x, &w, &mut want_y, rows, d_in, d_out).unwrap();
    for (i, v) in want_y.iter_mut().enumerate() {
        *v += b[i % d_out];
    }
    assert_eq!(bits(&values(y)), bits(&want_y), "linear forward");

    let mut want_gx = vec![0f32; rows * d_in];
    matmul::matmul(
        &r,
        &transpose(&w, d_in, d_out),
        &mut want_gx,
        rows,
        d_out,
        d_in,
    )
    .unwrap();
    let mut want_gw = vec![0f32; d_in * d_out];
    matmul::matmul(
        &transpose(&x, rows, d_in),
        &r,
        &mut want_gw,
        d_in,
        rows,
        d_out,
    )
    .unwrap();
    let mut want_gb = vec![0f32; d_out];
    reduce::sum_dim(&r, Axis::of(&[rows, d_out], 0).unwrap(), &mut want_gb).unwrap();

    assert_eq!(
        bits(&values(tx.grad(&grads).unwrap())),
        bits(&want_gx),
        "linear_x_backward"
    );
    assert_eq!(
        bits(&values(layer.weight.grad(&grads).unwrap())),
        bits(&want_gw),
        "linear_weight_backward"
    );
    assert_eq!(
        bits(&values(layer.bias.as_ref().unwrap().grad(&grads).unwrap())),
        bits(&want_gb),
        "linear_bias_backward"
    );
}

/// The canonical `softmax` and `log_softmax` of `[rows, len]` along dim 1 (Burn's
/// composition, CANONICAL.md), from the kernels.
fn softmax_want(x: &[f32], rows: usize, len: usize, log: bool) -> Vec<f32> {
    let axis = Axis::of(&[rows, len], 1).unwrap();
    let mut m = vec![0f32; rows];
    reduce::max_dim(x, axis, &mut m).unwrap();
    let shifted: Vec<f32> = x.iter().enumerate().map(|(i, v)| v - m[i / len]).collect();
    let e: Vec<f32> = shifted.iter().map(|v| math::exp(*v)).collect();
    let mut s = vec![0f32; rows];
    reduce::sum_dim(&e, axis, &mut s).unwrap();
    (0..rows * len)
        .map(|i| {
            if log {
                shifted[i] - math::ln(s[i / len])
            } else {
                ew::div(e[i], s[i / len])
            }
        })
        .collect()
}

#[test]
fn softmax_log_softmax_and_layer_norm_equal_the_kernels_bits() {
    let dev = canonical_mode();
    let (rows, len) = (7, 300);
    let x = normal("sx", rows * len);
    let tx = Tensor::<D, 2>::from_data(TensorData::new(x.clone(), [rows, len]), &dev);
    assert_eq!(
        bits(&values(activation::softmax(tx.clone(), 1))),
        bits(&softmax_want(&x, rows, len, false)),
        "softmax"
    );
    assert_eq!(
        bits(&values(activation::log_softmax(tx.clone(), 1))),
        bits(&softmax_want(&x, rows, len, true)),
        "log_softmax"
    );

    // Layer norm (Burn's composition): c = x - mean, var = mean(c * c), c / sqrt(var + eps),
    // then * gamma + beta (gamma = 1, beta = 0 at init: exact).
    let ln = LayerNormConfig::new(len).init::<D>(&dev);
    let got = values(ln.forward(tx.clone()));
    let axis = Axis::of(&[rows, len], 1).unwrap();
    let mut mu = vec![0f32; rows];
    reduce::mean_dim(&x, axis, &mut mu).unwrap();
    let c: Vec<f32> = x.iter().enumerate().map(|(i, v)| v - mu[i / len]).collect();
    let sq: Vec<f32> = c.iter().map(|v| v * v).collect();
    let mut var = vec![0f32; rows];
    reduce::mean_dim(&sq, axis, &mut var).unwrap();
    let want: Vec<f32> = c
        .iter()
        .enumerate()
        .map(|(i, v)| ew::div(*v, ew::sqrt(var[i / len] + 1e-5)) * 1.0 + 0.0)
        .collect();
    assert_eq!(bits(&got), bits(&want), "layer_norm");
    // Under autodiff, the same bits.
    let ta = Tensor::<A, 2>::from_data(TensorData::new(x, [rows, len]), &dev);
    let lna = LayerNormConfig::new(len).init::<A>(&dev);
    assert_eq!(
        bits(&values(lna.forward(ta))),
        bits(&want),
        "layer_norm (autodiff)"
    );
}

#[test]
fn routed_elementwise_and_order_free_ops_equal_the_kernels_bits() {
    let dev = canonical_mode();
    let n = 4 * 50;
    let (x, y) = (normal("ex", n), normal("ey", n));
    let tx = Tensor::<D, 2>::from_data(TensorData::new(x.clone(), [4, 50]), &dev);
    let ty = Tensor::<D, 2>::from_data(TensorData::new(y.clone(), [4, 50]), &dev);
    let each =
        |f: fn(f32) -> f32, v: &[f32]| -> Vec<u32> { v.iter().map(|a| f(*a).to_bits()).collect() };
    let pair = |f: fn(f32, f32) -> f32| -> Vec<u32> {
        x.iter().zip(&y).map(|(a, b)| f(*a, *b).to_bits()).collect()
    };
    assert_eq!(bits(&values(tx.clone() / ty.clone())), pair(ew::div), "div");
    assert_eq!(
        bits(&values(tx.clone().remainder(ty.clone()))),
        pair(ew::remainder),
        "remainder"
    );
    assert_eq!(
        bits(&values(tx.clone().div_scalar(3.0))),
        each(|a| a / 3.0, &x),
        "div_scalar"
    );
    assert_eq!(
        bits(&values(tx.clone().div_scalar(4.0))),
        each(|a| a / 4.0, &x),
        "div_scalar by 4"
    );
    assert_eq!(
        bits(&values(tx.clone().recip())),
        each(ew::recip, &x),
        "recip"
    );
    let ax: Vec<f32> = x.iter().map(|v| v.abs()).collect();
    assert_eq!(
        bits(&values(tx.clone().abs().sqrt())),
        each(ew::sqrt, &ax),
        "sqrt"
    );
    assert_eq!(
        bits(&values(tx.clone().abs().log1p())),
        each(ew::log1p, &ax),
        "log1p"
    );
    assert_eq!(
        bits(&values(tx.clone().powi_scalar(3))),
        each(|a| ew::powi(a, 3), &x),
        "powi 3"
    );
    assert_eq!(
        bits(&values(tx.clone().powf_scalar(-2.0))),
        each(|a| ew::powi(a, -2), &x),
        "powf -2"
    );

    let axis = Axis::of(&[4, 50], 1).unwrap();
    let mut m = vec![0f32; 4];
    reduce::max_dim(&x, axis, &mut m).unwrap();
    assert_eq!(bits(&values(tx.clone().max_dim(1))), bits(&m), "max_dim");
    let mut am = vec![0usize; 4];
    reduce::argmin_dim(&x, axis, &mut am).unwrap();
    let got: Vec<i64> = tx
        .clone()
        .argmin(1)
        .into_data()
        .convert::<i64>()
        .to_vec()
        .unwrap();
    assert_eq!(
        got,
        am.iter().map(|v| *v as i64).collect::<Vec<_>>(),
        "argmin"
    );
    assert_eq!(
        values(tx.clone().max())[0].to_bits(),
        reduce::max_all(&x).unwrap().to_bits(),
        "max"
    );
    let mut cs = vec![0f32; n];
    ew::cumsum(&x, axis, &mut cs).unwrap();
    assert_eq!(bits(&values(tx.clone().cumsum(1))), bits(&cs), "cumsum");
    let mut p = vec![0f32; 4];
    ew::prod_dim(&x, axis, &mut p).unwrap();
    assert_eq!(bits(&values(tx.clone().prod_dim(1))), bits(&p), "prod_dim");
    // A NaN result is the canonical quiet NaN.
    let nan = values(Tensor::<D, 1>::from_data([-1.0f32, 0.0], &dev).sqrt());
    assert_eq!(nan[0].to_bits(), 0x7fc0_0000);
    // relu(-0.0) = +0.0 in canonical mode; a NaN passes with its payload (relu is exact).
    let payload = f32::from_bits(0x7fc0_1234);
    let r = values(activation::relu(Tensor::<D, 1>::from_data(
        [-0.0f32, 2.0, payload, -3.0],
        &dev,
    )));
    assert_eq!(bits(&r), vec![0, 2f32.to_bits(), 0x7fc0_1234, 0]);
}

/// Max pooling (forward with indices, and its gradient through autodiff) is routed to the
/// canonical kernels.
#[test]
fn max_pool_and_its_gradient_equal_the_kernels_bits() {
    use burn::nn::pool::MaxPool2dConfig;
    use ditto_kernels::canonical::conv::Conv2dOptions;
    let dev = canonical_mode();
    let (xs, n) = ([2, 3, 8, 7], 2 * 3 * 8 * 7);
    let x = normal("mx", n);
    let tx = Tensor::<A, 4>::from_data(TensorData::new(x.clone(), xs), &dev).require_grad();
    let y = MaxPool2dConfig::new([3, 2])
        .with_strides([2, 2])
        .init()
        .forward(tx.clone());
    let opts = Conv2dOptions {
        stride: [2, 2],
        ..Default::default()
    };
    let m = 2 * 3 * 3 * 3;
    assert_eq!(y.dims(), [2, 3, 3, 3]);
    let (mut want, mut idx) = (vec![0f32; m], vec![0i64; m]);
    pool::max_pool2d_with_indices(&x, xs, [3, 2], &opts, &mut want, &mut idx).unwrap();
    assert_eq!(bits(&values(y.clone())), bits(&want), "max_pool2d");
    let r = normal("mr", m);
    let grads = (y * Tensor::<A, 4>::from_data(TensorData::new(r.clone(), [2, 3, 3, 3]), &dev))
        .sum()
        .backward();
    let mut gx = vec![0f32; n];
    pool::max_pool2d_backward(&r, &idx, xs, &mut gx).unwrap();
    assert_eq!(
        bits(&values(tx.grad(&grads).unwrap())),
        bits(&gx),
        "max_pool2d backward"
    );
}

/// gelu's gradient through autodiff: Burn's tanh-approximation derivative, each step the IEEE
/// f32 operation of the documented sequence (`ew::gelu_grad`'s docs), with the canonical
/// `powi` and `tanh`; one fused pass gives the bits of that op-by-op composition.
#[test]
fn gelu_backward_is_the_documented_composition() {
    let dev = canonical_mode();
    let n = 257;
    let mut x = normal("gelu-x", n);
    x[..6].copy_from_slice(&[0.0, -0.0, 9.5, -9.5, 1e-30, f32::MAX]);
    let r = normal("gelu-r", n);
    let tx = Tensor::<A, 1>::from_data(TensorData::new(x.clone(), [n]), &dev).require_grad();
    let tr = Tensor::<A, 1>::from_data(TensorData::new(r.clone(), [n]), &dev);
    let grads = (activation::gelu(tx.clone()) * tr).sum().backward();
    let got = values(tx.grad(&grads).unwrap());
    let k = |c: f64| c as f32;
    for i in 0..n {
        let (v, g) = (x[i], r[i]);
        let x3 = ew::powi(v, 3);
        let t = math::tanh(x3 * k(0.0356774) + v * k(0.797885));
        let sech = -(t * t) + 1.0;
        let want = (t * 0.5 + ((x3 * k(0.0535161) + v * k(0.398942)) * sech + 0.5)) * g;
        let want = if want.is_nan() { f32::NAN } else { want };
        assert_eq!(got[i].to_bits(), want.to_bits(), "x = {v:e}");
    }
}
