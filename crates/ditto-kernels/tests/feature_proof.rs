//! `Ditto<NdArray>` computes every op that burn-ndarray's `simd` feature changes itself
//! (`Inner::FEATURE_PROOF`), so a user's `burn` dependency with default features (which turns
//! `simd` on in ditto's build too) cannot change a bit: the routed ops give the bits of
//! burn-ndarray's scalar code (this build's plain NdArray, which has no `simd`: checked by
//! `build_check`) and, for the convolutions and pooling ops, of ditto's canonical kernels.
//! `tests/feature-guard/` checks the same with the feature on.

use crate::common::values;

use burn::backend::NdArray;
use burn::tensor::backend::Backend;
use burn::tensor::module::{avg_pool1d, avg_pool2d, conv1d, max_pool1d};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Bool, Tensor, TensorData};
use ditto_kernels::canonical::conv::{self, Conv2dOptions};
use ditto_kernels::{Ditto, DittoConfig, KernelMode, build_check};
use values::{bits, normal};

type D = Ditto<NdArray>;

/// Values with every case the feature treats differently: NaN, both zeros, infinities,
/// ties with the clamp bounds, and normal values; 100 of them (the SIMD path starts at 32).
fn awkward() -> Vec<f32> {
    let mut v = normal("feature-proof", 100);
    let special = [
        f32::NAN,
        -0.0,
        0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.5,
        -0.5,
        3.0,
    ];
    for (i, s) in special.iter().enumerate() {
        v[i * 11] = *s;
    }
    v
}

fn float<B: Backend, const N: usize>(t: Tensor<B, N>) -> Vec<u32> {
    bits(&t.into_data().to_vec::<f32>().unwrap())
}

fn boolean<B: Backend, const N: usize>(t: Tensor<B, N, Bool>) -> Vec<bool> {
    t.into_data().to_vec::<bool>().unwrap()
}

/// Every float op `f` of the element-wise family, on `Ditto<NdArray>` and on plain NdArray.
fn both<const N: usize>(
    shape: [usize; N],
    f: impl Fn(Tensor<D, N>) -> Tensor<D, N>,
    g: impl Fn(Tensor<NdArray, N>) -> Tensor<NdArray, N>,
) -> (Vec<u32>, Vec<u32>) {
    let v = awkward();
    let dev = Default::default();
    let d = Tensor::<D, N>::from_data(TensorData::new(v.clone(), shape), &dev);
    let n = Tensor::<NdArray, N>::from_data(TensorData::new(v, shape), &dev);
    (float(f(d)), float(g(n)))
}

#[test]
fn this_build_has_no_simd_so_plain_ndarray_is_the_scalar_reference() {
    let report = build_check::<NdArray>().unwrap();
    assert!(report.is_clean(), "{report}");
}

#[test]
fn element_wise_ops_give_burn_ndarrays_scalar_bits() {
    macro_rules! same {
        ($name:literal, $op:expr) => {
            let (got, want) = both([4, 25], $op, $op);
            assert_eq!(got, want, $name);
        };
    }
    same!("recip", |t| t.recip());
    same!("powi -1", |t| t.powi_scalar(-1));
    same!("powi -2", |t| t.powi_scalar(-2));
    same!("powf -1.0", |t| t.powf_scalar(-1.0));
    same!("powf -2.0", |t| t.powf_scalar(-2.0));
    same!("powi 3", |t| t.powi_scalar(3));
    same!("clamp_min", |t| t.clamp_min(0.0));
    same!("clamp_max", |t| t.clamp_max(0.5));
    same!("clamp", |t| t.clamp(-0.5, 0.5));
    same!("hard_sigmoid", |t| burn::tensor::activation::hard_sigmoid(
        t, 0.2, 0.5
    ));
}

#[test]
fn comparisons_give_burn_ndarrays_scalar_bits() {
    let v = awkward();
    let dev = Default::default();
    let d = Tensor::<D, 2>::from_data(TensorData::new(v.clone(), [4, 25]), &dev);
    let n = Tensor::<NdArray, 2>::from_data(TensorData::new(v.clone(), [4, 25]), &dev);
    // Broadcast against one row (with its own NaN and zeros) and against itself.
    let row: Vec<f32> = v[..25].iter().rev().copied().collect();
    let dr = Tensor::<D, 2>::from_data(TensorData::new(row.clone(), [1, 25]), &dev);
    let nr = Tensor::<NdArray, 2>::from_data(TensorData::new(row, [1, 25]), &dev);
    let cases: [(&str, Vec<bool>, Vec<bool>); 8] = [
        (
            "equal",
            boolean(d.clone().equal(dr.clone())),
            boolean(n.clone().equal(nr.clone())),
        ),
        (
            "equal self",
            boolean(d.clone().equal(d.clone())),
            boolean(n.clone().equal(n.clone())),
        ),
        (
            "not_equal",
            boolean(d.clone().not_equal(dr)),
            boolean(n.clone().not_equal(nr)),
        ),
        (
            "equal_elem",
            boolean(d.clone().equal_elem(0.0)),
            boolean(n.clone().equal_elem(0.0)),
        ),
        (
            "not_equal_elem",
            boolean(d.clone().not_equal_elem(0.5)),
            boolean(n.clone().not_equal_elem(0.5)),
        ),
        (
            "is_nan",
            boolean(d.clone().is_nan()),
            boolean(n.clone().is_nan()),
        ),
        (
            "is_inf",
            boolean(d.clone().is_inf()),
            boolean(n.clone().is_inf()),
        ),
        (
            "any_dim, all_dim",
            [
                boolean(d.clone().any_dim(1)),
                boolean(d.clone().all_dim(0)),
                boolean(d.clone().any()),
                boolean(d.clone().all()),
            ]
            .concat(),
            [
                boolean(n.clone().any_dim(1)),
                boolean(n.clone().all_dim(0)),
                boolean(n.clone().any()),
                boolean(n.all()),
            ]
            .concat(),
        ),
    ];
    for (name, got, want) in cases {
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn the_ops_simd_changes_give_the_exact_bits() {
    // The values burn-ndarray's `simd` feature changes (x86-64 and aarch64), written out.
    let dev = Default::default();
    let third = Tensor::<D, 1>::from_data(TensorData::new(vec![3.0f32; 64], [64]), &dev);
    // 1/3; with `simd`, burn-ndarray gives 0x3eaaaa80 (AVX-512's rcp14ps) or coarser.
    assert!(float(third.recip()).iter().all(|&b| b == 0x3eaa_aaab));
    let zeros = Tensor::<D, 1>::from_data(TensorData::new(vec![-0.0f32; 64], [64]), &dev);
    assert!(
        float(zeros.clamp_min(0.0))
            .iter()
            .all(|&b| b == 0x8000_0000)
    );
    let nan = Tensor::<D, 1>::from_data(TensorData::new(vec![f32::NAN; 64], [64]), &dev);
    assert!(boolean(nan.clone().equal(nan.clone())).iter().all(|b| !b));
    assert!(boolean(nan.clone().is_nan()).iter().all(|b| *b));
    assert!(boolean(nan.is_inf()).iter().all(|b| !b));
}

/// `f` on the device in run-to-run mode and in canonical mode.
fn in_both_modes<T>(
    f: impl Fn(&<D as burn::tensor::backend::BackendTypes>::Device) -> T,
) -> (T, T) {
    let dev = Default::default();
    let run_to_run = f(&dev);
    D::configure(
        &dev,
        DittoConfig {
            kernels: KernelMode::Canonical,
            ..Default::default()
        },
    );
    let canonical = f(&dev);
    D::configure(&dev, DittoConfig::default());
    (run_to_run, canonical)
}

#[test]
fn convolutions_and_pooling_run_ditto_kernels_in_run_to_run_mode() {
    let x = normal("pool-x", 2 * 3 * 9 * 8);
    let (r2r, canon) = in_both_modes(|dev| {
        let t = Tensor::<D, 4>::from_data(TensorData::new(x.clone(), [2, 3, 9, 8]), dev);
        float(avg_pool2d(t, [3, 2], [2, 2], [1, 0], true, false))
    });
    assert_eq!(r2r, canon, "avg_pool2d");
    let mut want = vec![0f32; 2 * 3 * 5 * 4];
    let opts = Conv2dOptions {
        stride: [2, 2],
        padding: [1, 0],
        dilation: [1, 1],
        groups: 1,
    };
    conv::avg_pool2d(&x, [2, 3, 9, 8], [3, 2], &opts, true, &mut want).unwrap();
    assert_eq!(r2r, bits(&want), "avg_pool2d is the canonical kernel");

    let s = normal("pool-s", 2 * 3 * 40);
    let w = normal("conv-w", 4 * 3 * 5);
    let (r2r, canon) = in_both_modes(|dev| {
        let t = Tensor::<D, 3>::from_data(TensorData::new(s.clone(), [2, 3, 40]), dev);
        let w = Tensor::<D, 3>::from_data(TensorData::new(w.clone(), [4, 3, 5]), dev);
        let conv = conv1d(t.clone(), w, None, ConvOptions::new([2], [1], [1], 1));
        [
            float(avg_pool1d(t.clone(), 4, 3, 1, false, false)),
            float(max_pool1d(t, 4, 3, 1, 1, false)),
            float(conv),
        ]
    });
    assert_eq!(r2r, canon, "avg_pool1d, max_pool1d, conv1d");
}

#[test]
fn gradients_whose_burn_default_bodies_call_conv2d_run_ditto_kernels_in_run_to_run_mode() {
    use burn::tensor::TensorPrimitive;
    use burn::tensor::ops::ConvTransposeOptions;
    use burn_backend::ops::ModuleOps;
    let prim =
        |v: &[f32], shape: [usize; 3], dev: &<D as burn::tensor::backend::BackendTypes>::Device| {
            Tensor::<D, 3>::from_data(TensorData::new(v.to_vec(), shape), dev)
                .into_primitive()
                .tensor()
        };
    let out = |t| float(Tensor::<D, 3>::from_primitive(TensorPrimitive::Float(t)));
    let x = normal("grad-x", 2 * 3 * 40);
    let w = normal("grad-w", 4 * 3 * 5);
    let gy = normal("grad-gy", 2 * 4 * 19);
    let wt = normal("grad-wt", 3 * 4 * 3);
    let gyt = normal("grad-gyt", 2 * 4 * 39);
    let xt = normal("grad-xt", 2 * 3 * 20);
    let (r2r, canon) = in_both_modes(|dev| {
        let conv = ConvOptions::new([2], [1], [1], 1);
        let transposed = ConvTransposeOptions::new([2], [1], [0], [1], 1);
        [
            out(D::conv1d_weight_backward(
                prim(&x, [2, 3, 40], dev),
                prim(&w, [4, 3, 5], dev),
                prim(&gy, [2, 4, 19], dev),
                conv,
            )),
            out(D::conv_transpose1d_x_backward(
                prim(&wt, [3, 4, 3], dev),
                prim(&gyt, [2, 4, 39], dev),
                transposed.clone(),
            )),
            out(D::conv_transpose1d_weight_backward(
                prim(&xt, [2, 3, 20], dev),
                prim(&wt, [3, 4, 3], dev),
                prim(&gyt, [2, 4, 39], dev),
                transposed,
            )),
        ]
    });
    assert_eq!(
        r2r, canon,
        "conv1d weight, conv_transpose1d input and weight gradients"
    );
}

#[cfg(feature = "wgpu")]
#[test]
fn wgpu_build_has_no_autotune_and_no_device_is_touched() {
    // No adapter is asked for: the check reads burn-cubecl's compiled default strategy.
    let report = build_check::<burn::backend::Wgpu>().unwrap();
    assert!(report.is_clean(), "{report}");
}
