//! `Ditto<B>` in canonical mode: its ops give exactly the bits of the canonical kernels they
//! route to, forward and (through Burn's autodiff) backward; run-to-run mode is untouched.

use crate::common::values;

use values::{bits, normal};

use burn::backend::{Autodiff, NdArray};
use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2dConfig;
use burn::tensor::{Tensor, TensorData, activation};
use ditto_kernels::canonical::conv::Conv2dOptions;
use ditto_kernels::canonical::reduce::{self, Axis};
use ditto_kernels::canonical::{conv, conv_backward, math, matmul};
use ditto_kernels::{Ditto, DittoConfig, KernelMode};

use crate::common;
#[path = "canonical_mode/composites.rs"]
mod composites;
#[path = "canonical_mode/trace.rs"]
mod trace;

type D = Ditto<NdArray>;
type A = Autodiff<D>;

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
    conv2d_equals_the_kernels(canonical_mode());
}

/// On NdArray run-to-run mode also takes ditto's conv2d, 2-D max pooling and relu, backward
/// included (`Inner::CANONICAL_IN_RUN_TO_RUN`, REPRODUCIBILITY.md): the canonical bits.
#[test]
fn run_to_run_mode_on_ndarray_runs_dittos_faster_kernels() {
    let dev = Default::default();
    assert_eq!(D::config(&dev).kernels, KernelMode::RunToRun);
    conv2d_equals_the_kernels(dev);
    let x = normal("rp", 2 * 3 * 6 * 6);
    let xs = [2, 3, 6, 6];
    let tx = Tensor::<A, 4>::from_data(TensorData::new(x.clone(), xs), &dev).require_grad();
    let y = burn::tensor::module::max_pool2d(tx.clone(), [2, 2], [2, 2], [0, 0], [1, 1], false);
    let opts = Conv2dOptions {
        stride: [2, 2],
        ..Default::default()
    };
    let (mut want, mut idx) = (vec![0f32; 2 * 3 * 9], vec![0i64; 2 * 3 * 9]);
    ditto_kernels::canonical::pool::max_pool2d_with_indices(
        &x,
        xs,
        [2, 2],
        &opts,
        &mut want,
        &mut idx,
    )
    .unwrap();
    assert_eq!(bits(&values(y.clone())), bits(&want), "max_pool2d");
    let r = activation::relu(Tensor::<D, 1>::from_data([-0.0f32, 1.5, -2.0], &dev));
    // burn-ndarray's own relu keeps -0.0; ditto's gives +0.0.
    assert_eq!(bits(&values(r)), vec![0, 1.5f32.to_bits(), 0]);
    // The activations run ditto's canonical functions (burn-ndarray calls libm's).
    let v = normal("r2r-act", 301);
    let tv = Tensor::<D, 1>::from_data(TensorData::new(v.clone(), [301]), &dev);
    let each = |f: fn(f32) -> f32| bits(&v.iter().map(|&a| f(a)).collect::<Vec<_>>());
    assert_eq!(
        bits(&values(activation::gelu(tv.clone()))),
        each(math::gelu)
    );
    assert_eq!(
        bits(&values(activation::sigmoid(tv.clone()))),
        each(math::sigmoid)
    );
    assert_eq!(bits(&values(tv.clone().tanh())), each(math::tanh));
    assert_eq!(bits(&values(tv.clone().erf())), each(math::erf));
    // matmul (batched, as attention's) is the canonical one.
    let (a, b) = (normal("r2r-a", 2 * 5 * 7), normal("r2r-b", 2 * 7 * 3));
    let ta = Tensor::<D, 3>::from_data(TensorData::new(a.clone(), [2, 5, 7]), &dev);
    let tb = Tensor::<D, 3>::from_data(TensorData::new(b.clone(), [2, 7, 3]), &dev);
    let mut want = vec![0f32; 2 * 5 * 3];
    matmul::matmul_batched(&a, &b, &mut want, 2, 5, 7, 3).unwrap();
    assert_eq!(bits(&values(ta.matmul(tb))), bits(&want), "matmul");
}

/// On NdArray run-to-run mode takes ditto's `linear`, input and weight gradients included, for
/// inputs of rank 3 and more, where burn-ndarray's copies its operands, and for products of
/// 2^20 multiply-adds and more; on a smaller matrix it keeps burn-ndarray's own
/// (REPRODUCIBILITY.md, "Which kernels each mode runs").
#[test]
fn run_to_run_linear_on_ndarray_is_dittos_from_rank_3_and_on_large_products_else_burns() {
    let dev = Default::default();
    assert_eq!(D::config(&dev).kernels, KernelMode::RunToRun);
    let (rows, d_in, d_out) = (2 * 5, 7, 3);
    let (x, w, b) = (
        normal("lx", rows * d_in),
        normal("lw", d_in * d_out),
        normal("lb", d_out),
    );
    let gy = normal("lgy", rows * d_out);
    // y = x·W + b, dx = gy·Wᵀ, dW = xᵀ·gy: canonical products, an exact bias add.
    let mut want_y = vec![0f32; rows * d_out];
    matmul::matmul(&x, &w, &mut want_y, rows, d_in, d_out).unwrap();
    for (i, v) in want_y.iter_mut().enumerate() {
        *v += b[i % d_out];
    }
    let mut want_dx = vec![0f32; rows * d_in];
    matmul::matmul(&gy, &transpose(&w, d_in), &mut want_dx, rows, d_out, d_in).unwrap();
    let mut want_dw = vec![0f32; d_in * d_out];
    matmul::matmul(&transpose(&x, rows), &gy, &mut want_dw, d_in, rows, d_out).unwrap();

    let tw =
        Tensor::<A, 2>::from_data(TensorData::new(w.clone(), [d_in, d_out]), &dev).require_grad();
    let tb = Tensor::<A, 1>::from_data(TensorData::new(b.clone(), [d_out]), &dev);
    let tx =
        Tensor::<A, 3>::from_data(TensorData::new(x.clone(), [2, 5, d_in]), &dev).require_grad();
    let y = burn::tensor::module::linear(tx.clone(), tw.clone(), Some(tb));
    assert_eq!(bits(&values(y.clone())), bits(&want_y), "3-D linear");
    let r = Tensor::<A, 3>::from_data(TensorData::new(gy.clone(), [2, 5, d_out]), &dev);
    let grads = (y * r).sum().backward();
    assert_eq!(
        bits(&values(tx.grad(&grads).unwrap())),
        bits(&want_dx),
        "dx"
    );
    assert_eq!(
        bits(&values(tw.grad(&grads).unwrap())),
        bits(&want_dw),
        "dW"
    );

    // A matrix input: burn-ndarray's linear, exactly plain NdArray's bits.
    let plain =
        |t: Vec<f32>, s: [usize; 2]| Tensor::<NdArray, 2>::from_data(TensorData::new(t, s), &dev);
    let want = burn::tensor::module::linear(
        plain(x.clone(), [rows, d_in]),
        plain(w.clone(), [d_in, d_out]),
        Some(Tensor::from_data(TensorData::new(b.clone(), [d_out]), &dev)),
    );
    let got = burn::tensor::module::linear(
        Tensor::<D, 2>::from_data(TensorData::new(x, [rows, d_in]), &dev),
        Tensor::<D, 2>::from_data(TensorData::new(w, [d_in, d_out]), &dev),
        Some(Tensor::from_data(TensorData::new(b, [d_out]), &dev)),
    );
    assert_eq!(bits(&values(got)), bits(&values(want)), "2-D linear");

    // A matrix product of `LINEAR_LARGE` (2^20) multiply-adds: ditto's kernel; one row
    // fewer: burn-ndarray's. The two differ on these values, so each check can fail (up to
    // 256 terms matrixmultiply's FMA kernel runs the canonical chain; past its 256-deep
    // blocks it adds each block's partial sum to the output instead of continuing it).
    let (d_in, d_out) = (1024, 32);
    let linear_2d = |rows: usize| {
        let x = normal("large-x", rows * d_in);
        let w = normal("large-w", d_in * d_out);
        let mut canonical = vec![0f32; rows * d_out];
        matmul::matmul(&x, &w, &mut canonical, rows, d_in, d_out).unwrap();
        let plain = burn::tensor::module::linear(
            Tensor::<NdArray, 2>::from_data(TensorData::new(x.clone(), [rows, d_in]), &dev),
            Tensor::<NdArray, 2>::from_data(TensorData::new(w.clone(), [d_in, d_out]), &dev),
            None,
        );
        let got = burn::tensor::module::linear(
            Tensor::<D, 2>::from_data(TensorData::new(x, [rows, d_in]), &dev),
            Tensor::<D, 2>::from_data(TensorData::new(w, [d_in, d_out]), &dev),
            None,
        );
        (bits(&values(got)), bits(&canonical), bits(&values(plain)))
    };
    let (got, canonical, plain) = linear_2d(32);
    assert_ne!(
        canonical, plain,
        "the test needs values where the two products differ"
    );
    assert_eq!(got, canonical, "2^20 multiply-adds: ditto's product");
    let (got, canonical, plain) = linear_2d(31);
    assert_ne!(
        canonical, plain,
        "the test needs values where the two products differ"
    );
    assert_eq!(got, plain, "fewer: burn-ndarray's product");
}

/// `t` (`rows x cols`, row-major) transposed.
fn transpose(t: &[f32], rows: usize) -> Vec<f32> {
    let cols = t.len() / rows;
    (0..cols)
        .flat_map(|j| (0..rows).map(move |i| t[i * cols + j]))
        .collect()
}

fn conv2d_equals_the_kernels(dev: <D as burn::tensor::backend::BackendTypes>::Device) {
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

fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
            "{what}[{i}]: canonical {x} vs burn-ndarray {y}"
        );
    }
}

/// conv2d and conv_transpose2d (stride 2, padding 1, padding_out 1, 2 groups): canonical mode
/// computes what burn-ndarray computes, forward and every gradient (to rounding), and is
/// deterministic.
#[test]
fn convolutions_match_burn_semantics_forward_and_backward() {
    use burn::nn::conv::ConvTranspose2dConfig;
    let dev = canonical_mode();
    let x = normal("tx", 2 * 4 * 5 * 6);
    let gy_len = 2 * 6 * 10 * 12;
    let r = normal("tr", gy_len);
    let run = |canonical: bool| -> Vec<Vec<f32>> {
        D::configure(
            &dev,
            DittoConfig {
                kernels: if canonical {
                    KernelMode::Canonical
                } else {
                    KernelMode::RunToRun
                },
                ..Default::default()
            },
        );
        let mut layer = ConvTranspose2dConfig::new([4, 6], [3, 3])
            .with_stride([2, 2])
            .with_padding([1, 1])
            .with_padding_out([1, 1])
            .with_groups(2)
            .with_bias(true)
            .init::<A>(&dev);
        let w = normal("tw", 4 * 3 * 9);
        layer.weight =
            Param::from_tensor(Tensor::from_data(TensorData::new(w, [4, 3, 3, 3]), &dev));
        layer.bias = Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(normal("tb", 6), [6]),
            &dev,
        )));
        let tx = Tensor::<A, 4>::from_data(TensorData::new(x.clone(), [2, 4, 5, 6]), &dev)
            .require_grad();
        let y = layer.forward(tx.clone());
        assert_eq!(y.dims(), [2, 6, 10, 12]);
        let tr = Tensor::<A, 4>::from_data(TensorData::new(r.clone(), [2, 6, 10, 12]), &dev);
        let grads = (y.clone() * tr).sum().backward();
        vec![
            values(y),
            values(tx.grad(&grads).unwrap()),
            values(layer.weight.grad(&grads).unwrap()),
            values(layer.bias.as_ref().unwrap().grad(&grads).unwrap()),
        ]
    };
    let canon = run(true);
    let again = run(true);
    let plain = run(false);
    // The canonical output is, bit for bit, conv2d's input gradient with x as the output
    // gradient, plus the bias (CANONICAL.md).
    let opts = Conv2dOptions {
        stride: [2, 2],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 2,
    };
    let mut want = vec![0f32; 2 * 6 * 10 * 12];
    conv_backward::conv2d_input_grad(
        &x,
        &normal("tw", 4 * 3 * 9),
        [4, 3, 3, 3],
        [2, 6, 10, 12],
        &opts,
        &mut want,
    )
    .unwrap();
    let b = normal("tb", 6);
    for (i, v) in want.iter_mut().enumerate() {
        *v += b[(i / 120) % 6];
    }
    assert_eq!(
        bits(&canon[0]),
        bits(&want),
        "routed to the canonical kernel"
    );
    D::configure(&dev, DittoConfig::default());
    for (i, what) in ["output", "input grad", "weight grad", "bias grad"]
        .iter()
        .enumerate()
    {
        assert_eq!(bits(&canon[i]), bits(&again[i]), "{what}: deterministic");
        close(&canon[i], &plain[i], what);
    }
}

/// Average pooling (overlapping 3x3 windows, stride 2, padding 1, both divisor modes):
/// canonical forward and gradient match burn-ndarray to rounding and are deterministic.
#[test]
fn avg_pool_matches_burn_semantics_forward_and_backward() {
    use burn::nn::pool::AvgPool2dConfig;
    let dev = canonical_mode();
    let x = normal("px", 2 * 3 * 9 * 8);
    for include_pad in [true, false] {
        let run = |canonical: bool| -> (Vec<f32>, Vec<f32>) {
            D::configure(
                &dev,
                DittoConfig {
                    kernels: if canonical {
                        KernelMode::Canonical
                    } else {
                        KernelMode::RunToRun
                    },
                    ..Default::default()
                },
            );
            let pool = AvgPool2dConfig::new([3, 3])
                .with_strides([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_count_include_pad(include_pad)
                .init();
            let tx = Tensor::<A, 4>::from_data(TensorData::new(x.clone(), [2, 3, 9, 8]), &dev)
                .require_grad();
            let y = pool.forward(tx.clone());
            let r = Tensor::<A, 4>::from_data(
                TensorData::new(normal("pr", y.dims().iter().product()), y.dims()),
                &dev,
            );
            let grads = (y.clone() * r).sum().backward();
            (values(y), values(tx.grad(&grads).unwrap()))
        };
        let (c, again, p) = (run(true), run(true), run(false));
        assert_eq!(bits(&c.0), bits(&again.0));
        assert_eq!(bits(&c.1), bits(&again.1));
        close(&c.0, &p.0, "avg_pool2d");
        close(&c.1, &p.1, "avg_pool2d gradient");
    }
    D::configure(&dev, DittoConfig::default());
}
