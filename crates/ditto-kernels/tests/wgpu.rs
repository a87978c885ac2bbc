//! The Wgpu half of the suite, grouped in one process (the first Wgpu call compiles shaders).
//! On machines without a GPU it runs on lavapipe (`apt-get install mesa-vulkan-drivers`);
//! without any Vulkan adapter it says it was skipped and passes, unless
//! `DITTO_REQUIRE_WGPU=1` (see `common/wgpu_probe.rs`).
#![cfg(feature = "wgpu")]

use crate::common;
#[path = "common/wgpu_probe.rs"]
mod wgpu_probe;

use burn::backend::{Autodiff, NdArray, Wgpu};
use burn::nn::{Dropout, DropoutConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use common::{Model, train};
use ditto_kernels::Ditto;

type Cpu = Ditto<NdArray>;
type Gpu = Ditto<Wgpu>;

fn bits<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<u32> {
    t.into_data()
        .to_vec::<f32>()
        .unwrap()
        .into_iter()
        .map(f32::to_bits)
        .collect()
}

fn draws<B: Backend>() -> Vec<Vec<u32>> {
    let d = Default::default();
    B::seed(&d, 2026);
    [
        Distribution::Default,
        Distribution::Uniform(-3.0, 5.0),
        Distribution::Normal(1.0, 0.5),
        Distribution::Bernoulli(0.3),
    ]
    .into_iter()
    .map(|dist| bits(Tensor::<B, 2>::random([17, 33], dist, &d)))
    .collect()
}

fn dropout_masks<B: burn::tensor::backend::AutodiffBackend>() -> Vec<u32> {
    let d = Default::default();
    B::seed(&d, 5);
    let dropout: Dropout = DropoutConfig::new(0.4).init();
    let mut out = Vec::new();
    for _ in 0..3 {
        out.extend(bits(dropout.forward(Tensor::<B, 2>::ones([8, 64], &d))));
    }
    out
}

#[test]
fn wgpu_suite() {
    if !wgpu_probe::wgpu_available("ditto-kernels wgpu_suite") {
        return;
    }
    // The device conformance probe (CANONICAL.md, "Device conformance"): the exact ops that
    // canonical mode forwards give the host's bits on this device (lavapipe in CI).
    let report = ditto_kernels::conformance::probe::<Wgpu>(&Default::default());
    let shown: Vec<String> = report
        .failures
        .iter()
        .take(12)
        .map(|f| f.to_string())
        .collect();
    assert!(
        report.passed(),
        "{} of {} results differ: {}",
        report.failures.len(),
        report.checked,
        shown.join("; ")
    );

    // Random tensors: the same bits on NdArray and Wgpu (and not all equal).
    let cpu = draws::<Cpu>();
    assert_eq!(
        cpu,
        draws::<Gpu>(),
        "random tensors differ between NdArray and Wgpu"
    );
    assert_ne!(cpu[0], cpu[1]);

    // Dropout masks through Autodiff: the same on both backends.
    let m = dropout_masks::<Autodiff<Cpu>>();
    assert_eq!(m, dropout_masks::<Autodiff<Gpu>>(), "dropout masks differ");
    assert!(m.contains(&0) && m.iter().any(|b| *b != 0));

    // Full sum of a large tensor: run-to-run on Wgpu (its own atomic sum is not), and close
    // to the CPU value (BURN-FACTS: Wgpu once gave wrong sums, so compare with a reference).
    let d = Default::default();
    Gpu::seed(&d, 1);
    let x = Tensor::<Gpu, 1>::random([300_000], Distribution::Normal(0.0, 1.0), &d);
    let sums: Vec<u32> = (0..6).map(|_| bits(x.clone().sum())[0]).collect();
    assert!(
        sums.iter().all(|s| *s == sums[0]),
        "Wgpu sum varies: {sums:?}"
    );
    Cpu::seed(&Default::default(), 1);
    let xc = Tensor::<Cpu, 1>::random(
        [300_000],
        Distribution::Normal(0.0, 1.0),
        &Default::default(),
    );
    let (g, c) = (
        f32::from_bits(sums[0]),
        f32::from_bits(bits(xc.clone().sum())[0]),
    );
    let host: f64 = xc
        .clone()
        .into_data()
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|v| f64::from(*v))
        .sum();
    assert!(
        (g - c).abs() <= 1e-3 * c.abs().max(1.0),
        "Wgpu sum {g} vs CPU {c}"
    );
    assert!(
        (f64::from(g) - host).abs() < 1e-2,
        "Wgpu sum {g} vs f64 host sum {host}"
    );
    let mean = f32::from_bits(bits(x.mean())[0]);
    assert!((mean - c / 300_000.0).abs() < 1e-6, "mean {mean}");

    // sum_dim / mean_dim over long axes (burn-cubecl 0.21 returned wrong sums for a
    // 300,000-long axis on lavapipe): ditto's fixed tree, checked against an f64 host sum, along
    // the last axis and along a leading one.
    for len in [5_000usize, 300_000, 1_000_000] {
        Cpu::seed(&Default::default(), len as u64);
        let host = Tensor::<Cpu, 2>::random(
            [2, len],
            Distribution::Normal(0.0, 1.0),
            &Default::default(),
        )
        .into_data()
        .to_vec::<f32>()
        .unwrap();
        let t =
            Tensor::<Gpu, 2>::from_data(burn::tensor::TensorData::new(host.clone(), [2, len]), &d);
        let got = t.clone().sum_dim(1).into_data().to_vec::<f32>().unwrap();
        let means = t.clone().mean_dim(1).into_data().to_vec::<f32>().unwrap();
        let cols = t
            .transpose()
            .sum_dim(0)
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        for r in 0..2 {
            let row = &host[r * len..(r + 1) * len];
            let want: f64 = row.iter().map(|v| f64::from(*v)).sum();
            let scale: f64 = row.iter().map(|v| f64::from(v.abs())).sum();
            let tol = 1e-5 * scale;
            assert!(
                (f64::from(got[r]) - want).abs() < tol,
                "len {len}: sum_dim {} vs {want}",
                got[r]
            );
            assert!(
                (f64::from(cols[r]) - want).abs() < tol,
                "len {len}: sum_dim(0) {} vs {want}",
                cols[r]
            );
            assert!(
                (f64::from(means[r]) - want / len as f64).abs() < tol / len as f64,
                "len {len}: mean_dim {} vs {}",
                means[r],
                want / len as f64
            );
        }
    }

    // Canonical mode: the MLP's and the CNN's training give the same bits on Wgpu as on
    // NdArray (every float op canonical on the host, exact ones on the device).
    {
        use ditto_kernels::{DittoConfig, KernelMode};
        let canonical = DittoConfig {
            kernels: KernelMode::Canonical,
            ..Default::default()
        };
        Gpu::configure(&Default::default(), canonical);
        Cpu::configure(&Default::default(), canonical);
        for model in [Model::Mlp, Model::Cnn] {
            let g = train::<Autodiff<Gpu>>(model, 5, 7, &Default::default());
            let c = train::<Autodiff<Cpu>>(model, 5, 7, &Default::default());
            assert_eq!(
                g, c,
                "{model:?}: canonical mode differs between Wgpu and NdArray"
            );
        }
        Gpu::configure(&Default::default(), DittoConfig::default());
        Cpu::configure(&Default::default(), DittoConfig::default());
    }

    // Strict mode refuses Wgpu's atomic deform-conv backward before launching anything.
    {
        use burn::tensor::ops::{DeformConvOptions, ModuleOps};
        let d = Default::default();
        let t = |shape: [usize; 4]| Tensor::<Gpu, 4>::zeros(shape, &d).into_primitive().tensor();
        let err = std::panic::catch_unwind(|| {
            let _ = <Gpu as ModuleOps<Gpu>>::deform_conv2d_backward(
                t([1, 1, 4, 4]),
                t([1, 18, 2, 2]),
                t([1, 1, 3, 3]),
                None,
                None,
                t([1, 1, 2, 2]),
                DeformConvOptions::new([1, 1], [0, 0], [1, 1], 1, 1),
            );
        })
        .unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains("deform_conv2d_backward") && msg.contains("atomic"),
            "{msg}"
        );
    }

    // 20 Adam steps of the MLP and CNN: identical twice on Wgpu, and close to NdArray.
    for model in [Model::Mlp, Model::Cnn] {
        let a = train::<Autodiff<Gpu>>(model, 20, 7, &Default::default());
        let b = train::<Autodiff<Gpu>>(model, 20, 7, &Default::default());
        assert_eq!(a, b, "{model:?}: two Wgpu runs differ");
        let c = train::<Autodiff<Cpu>>(model, 20, 7, &Default::default());
        let max_diff = a
            .floats()
            .iter()
            .zip(c.floats())
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(
            max_diff < 1e-3,
            "{model:?}: Wgpu vs NdArray weights differ by {max_diff}"
        );
    }
}
