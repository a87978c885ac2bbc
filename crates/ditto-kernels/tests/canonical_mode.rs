//! `Ditto<B>` in canonical mode: its ops give exactly the bits of the canonical kernels they
//! route to, forward and (through Burn's autodiff) backward; run-to-run mode is untouched.

use burn::backend::{Autodiff, NdArray};
use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2dConfig;
use burn::tensor::{Tensor, TensorData, activation};
use ditto_kernels::canonical::conv::Conv2dOptions;
use ditto_kernels::canonical::reduce::{self, Axis};
use ditto_kernels::canonical::{conv, conv_backward, math, matmul};
use ditto_kernels::{Ditto, DittoConfig, KernelMode};
use ditto_rng::Seed;

type D = Ditto<NdArray>;
type A = Autodiff<D>;

fn normal(label: &str, n: usize) -> Vec<f32> {
    let mut s = Seed::from_u64(11).derive(label).stream();
    let mut v = vec![0.0f32; n];
    s.fill_normal_f32(&mut v, 0.0, 1.0).unwrap();
    v
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn values<const N: usize, B: burn::tensor::backend::Backend>(t: Tensor<B, N>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().unwrap()
}

fn canonical_mode() -> <D as burn::tensor::backend::BackendTypes>::Device {
    let device = Default::default();
    D::configure(
        &device,
        DittoConfig {
            kernels: KernelMode::Canonical,
            ..Default::default()
        },
    );
    device
}

#[test]
fn forward_ops_equal_the_kernels_bits() {
    let dev = canonical_mode();
    // Batched matmul with broadcasting: [2, 1, 5, 4] x [1, 3, 4, 6] -> [2, 3, 5, 6].
    let (a, b) = (normal("a", 2 * 5 * 4), normal("b", 3 * 4 * 6));
    let ta = Tensor::<D, 4>::from_data(TensorData::new(a.clone(), [2, 1, 5, 4]), &dev);
    let tb = Tensor::<D, 4>::from_data(TensorData::new(b.clone(), [1, 3, 4, 6]), &dev);
    let got = values(ta.matmul(tb));
    let mut want = vec![0f32; 2 * 3 * 5 * 6];
    for i in 0..2 {
        for j in 0..3 {
            let t = i * 3 + j;
            matmul::matmul(
                &a[i * 20..(i + 1) * 20],
                &b[j * 24..(j + 1) * 24],
                &mut want[t * 30..(t + 1) * 30],
                5,
                4,
                6,
            )
            .unwrap();
        }
    }
    assert_eq!(bits(&got), bits(&want), "matmul");

    // Reductions along a dim and over everything.
    let x = normal("x", 7 * 300 * 3);
    let tx = Tensor::<D, 3>::from_data(TensorData::new(x.clone(), [7, 300, 3]), &dev);
    let mut want = vec![0f32; 21];
    reduce::sum_dim(&x, Axis::of(&[7, 300, 3], 1).unwrap(), &mut want).unwrap();
    assert_eq!(bits(&values(tx.clone().sum_dim(1))), bits(&want), "sum_dim");
    let mut want_mean = vec![0f32; 2100];
    reduce::mean_dim(&x, Axis::of(&[7, 300, 3], 2).unwrap(), &mut want_mean).unwrap();
    assert_eq!(
        bits(&values(tx.clone().mean_dim(2))),
        bits(&want_mean),
        "mean_dim"
    );
    assert_eq!(
        values(tx.clone().sum())[0].to_bits(),
        reduce::sum_all(&x).to_bits(),
        "sum"
    );
    assert_eq!(
        values(tx.clone().mean())[0].to_bits(),
        reduce::mean_all(&x).to_bits(),
        "mean"
    );

    // Element-wise transcendentals.
    let expect =
        |f: fn(f32) -> f32, v: &[f32]| -> Vec<u32> { v.iter().map(|x| f(*x).to_bits()).collect() };
    assert_eq!(
        bits(&values(tx.clone().exp())),
        expect(math::exp, &x),
        "exp"
    );
    assert_eq!(
        bits(&values(tx.clone().abs().log())),
        {
            let ax: Vec<f32> = x.iter().map(|v| v.abs()).collect();
            expect(math::ln, &ax)
        },
        "log"
    );
    assert_eq!(
        bits(&values(tx.clone().tanh())),
        expect(math::tanh, &x),
        "tanh"
    );
    assert_eq!(
        bits(&values(tx.clone().erf())),
        expect(math::erf, &x),
        "erf"
    );
    assert_eq!(
        bits(&values(activation::sigmoid(tx.clone()))),
        expect(math::sigmoid, &x),
        "sigmoid"
    );
    assert_eq!(
        bits(&values(activation::gelu(tx.clone()))),
        expect(math::gelu, &x),
        "gelu"
    );
    let p = tx.abs().powf_scalar(1.5);
    let ax: Vec<f32> = x.iter().map(|v| v.abs()).collect();
    assert_eq!(
        bits(&values(p)),
        ax.iter()
            .map(|v| math::powf(*v, 1.5).to_bits())
            .collect::<Vec<_>>(),
        "powf_scalar"
    );
}

#[test]
fn conv2d_and_its_autodiff_backward_equal_the_kernels_bits() {
    let dev = canonical_mode();
    let (xs, ws) = ([2, 3, 9, 8], [4, 3, 3, 3]);
    let opts = Conv2dOptions {
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 1,
    };
    let (x, w, bias) = (
        normal("cx", 2 * 3 * 72),
        normal("cw", 4 * 27),
        normal("cb", 4),
    );
    let [oh, ow] = conv::output_size([9, 8], [3, 3], &opts).unwrap();
    let gy = normal("gy", 2 * 4 * oh * ow);

    let mut layer = Conv2dConfig::new([3, 4], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init::<A>(&dev);
    layer.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w.clone(), ws), &dev));
    layer.bias = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(bias.clone(), [4]),
        &dev,
    )));
    let tx = Tensor::<A, 4>::from_data(TensorData::new(x.clone(), xs), &dev).require_grad();
    let y = layer.forward(tx.clone());
    let mut want_y = vec![0f32; 2 * 4 * oh * ow];
    conv::conv2d(&x, xs, &w, ws, Some(&bias), &opts, &mut want_y).unwrap();
    assert_eq!(bits(&values(y.clone())), bits(&want_y), "conv2d forward");

    // loss = sum(y * gy): the output gradient is exactly gy.
    let r = Tensor::<A, 4>::from_data(TensorData::new(gy.clone(), [2, 4, oh, ow]), &dev);
    let grads = (y * r).sum().backward();
    let gx = values(tx.grad(&grads).unwrap());
    let gw = values(layer.weight.grad(&grads).unwrap());
    let gb = values(layer.bias.as_ref().unwrap().grad(&grads).unwrap());
    let mut want_gx = vec![0f32; x.len()];
    conv_backward::conv2d_input_grad(&gy, &w, ws, xs, &opts, &mut want_gx).unwrap();
    let (mut want_gw, mut want_gb) = (vec![0f32; w.len()], vec![0f32; 4]);
    conv_backward::conv2d_weight_grad(&x, xs, &gy, ws, &opts, &mut want_gw, Some(&mut want_gb))
        .unwrap();
    assert_eq!(bits(&gx), bits(&want_gx), "input gradient");
    assert_eq!(bits(&gw), bits(&want_gw), "weight gradient");
    assert_eq!(bits(&gb), bits(&want_gb), "bias gradient");
}

/// The mode is per device and thread: the default stays run-to-run, whose matmul is
/// burn-ndarray's (equal to plain NdArray's bits).
#[test]
fn run_to_run_mode_still_forwards_to_the_backend() {
    let dev = Default::default();
    assert_eq!(D::config(&dev).kernels, KernelMode::RunToRun);
    let (a, b) = (normal("ra", 33 * 70), normal("rb", 70 * 9));
    let plain = Tensor::<NdArray, 2>::from_data(TensorData::new(a.clone(), [33, 70]), &dev)
        .matmul(Tensor::from_data(TensorData::new(b.clone(), [70, 9]), &dev));
    let ditto = Tensor::<D, 2>::from_data(TensorData::new(a, [33, 70]), &dev)
        .matmul(Tensor::from_data(TensorData::new(b, [70, 9]), &dev));
    assert_eq!(bits(&values(plain)), bits(&values(ditto)));
}
