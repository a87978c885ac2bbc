//! Re-initialising Burn modules from the seed tree: the values depend on the seed and the
//! parameter paths only (not on devices, threads, build order, laziness or the backend).

use burn::backend::NdArray;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::backend::Backend;
use ditto_rng::{
    BurnDefaults, ErrorKind, Fans, Init, InitRule, KeepPaths, ParamInfo, Seed, param_infos, reinit,
};

#[derive(Module, Debug)]
struct Net<B: Backend> {
    conv: Conv2d<B>,
    fc1: Linear<B>,
    fc2: Linear<B>,
    norm: LayerNorm<B>,
    emb: Embedding<B>,
}

fn build<B: Backend>(device: &B::Device, touch_fc2_first: bool) -> Net<B> {
    // Build (and read) the layers in different orders: Burn's own init would differ.
    let (fc1, fc2) = if touch_fc2_first {
        let fc2 = LinearConfig::new(16, 4).init::<B>(device);
        let _ = fc2.weight.val();
        (LinearConfig::new(8, 16).init(device), fc2)
    } else {
        let fc1 = LinearConfig::new(8, 16).init::<B>(device);
        let _ = fc1.weight.val();
        (fc1, LinearConfig::new(16, 4).init(device))
    };
    Net {
        conv: Conv2dConfig::new([2, 3], [3, 3]).init(device),
        fc1,
        fc2,
        norm: LayerNormConfig::new(4).init(device),
        emb: EmbeddingConfig::new(5, 3).init(device),
    }
}

/// Every float parameter's bits, keyed by path.
fn snapshot<B: Backend>(net: &Net<B>) -> Vec<(String, Vec<u32>)> {
    let mut out = Vec::new();
    let tensors: Vec<(&str, Vec<f32>)> = vec![
        (
            "conv.weight",
            net.conv.weight.val().into_data().to_vec().unwrap(),
        ),
        (
            "conv.bias",
            net.conv
                .bias
                .as_ref()
                .unwrap()
                .val()
                .into_data()
                .to_vec()
                .unwrap(),
        ),
        (
            "fc1.weight",
            net.fc1.weight.val().into_data().to_vec().unwrap(),
        ),
        (
            "fc1.bias",
            net.fc1
                .bias
                .as_ref()
                .unwrap()
                .val()
                .into_data()
                .to_vec()
                .unwrap(),
        ),
        (
            "fc2.weight",
            net.fc2.weight.val().into_data().to_vec().unwrap(),
        ),
        (
            "norm.gamma",
            net.norm.gamma.val().into_data().to_vec().unwrap(),
        ),
        (
            "emb.weight",
            net.emb.weight.val().into_data().to_vec().unwrap(),
        ),
    ];
    for (name, v) in tensors {
        out.push((name.to_owned(), v.into_iter().map(f32::to_bits).collect()));
    }
    out
}

fn init_on<B: Backend>(device: &B::Device, seed: u64, fc2_first: bool) -> Vec<(String, Vec<u32>)> {
    let net = build::<B>(device, fc2_first);
    let net = reinit(net, &Seed::from_u64(seed).derive("init"), &BurnDefaults)
        .map_err(|(_, e)| e)
        .unwrap();
    snapshot(&net)
}

#[test]
fn paths_shapes_and_containers() {
    let net = build::<NdArray>(&Default::default(), false);
    let infos = param_infos::<NdArray, _>(&net);
    let paths: Vec<&str> = infos.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "conv.weight",
            "conv.bias",
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "norm.gamma",
            "norm.beta",
            "emb.weight"
        ]
    );
    assert_eq!(infos[0].shape, [3, 2, 3, 3]);
    assert_eq!(infos[0].container, "Struct:Conv2d");
    assert_eq!(infos[2].shape, [8, 16]);
    assert!(
        !net.fc2.bias.as_ref().unwrap().is_initialized(),
        "collecting must stay lazy"
    );
}

#[test]
fn same_seed_same_weights_any_build_order_device_or_thread() {
    let reference = init_on::<NdArray>(&Default::default(), 7, false);
    assert_eq!(init_on::<NdArray>(&Default::default(), 7, true), reference);
    // Other threads (NdArray devices are all `Cpu`; burn's RNG is global, ours is not).
    let handles: Vec<_> = (0..4)
        .map(|i| std::thread::spawn(move || init_on::<NdArray>(&Default::default(), 7, i % 2 == 0)))
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), reference);
    }
    assert_ne!(init_on::<NdArray>(&Default::default(), 8, false), reference);
}

#[test]
fn defaults_follow_burn_formulas() {
    let snap = init_on::<NdArray>(&Default::default(), 1, false);
    let get = |k: &str| -> Vec<f32> {
        let (_, v) = snap.iter().find(|(n, _)| n == k).unwrap();
        v.iter().map(|b| f32::from_bits(*b)).collect()
    };
    // Linear 8 -> 16: uniform in [-1/sqrt(8), 1/sqrt(8)], bias too.
    let a = 1.0 / 8f32.sqrt();
    assert!(get("fc1.weight").iter().all(|x| x.abs() <= a));
    assert!(get("fc1.bias").iter().all(|x| x.abs() <= a));
    // Conv 2 -> 3, 3x3: fan_in 18.
    let a = 1.0 / 18f32.sqrt();
    assert!(get("conv.weight").iter().all(|x| x.abs() <= a));
    assert!(get("norm.gamma").iter().all(|x| *x == 1.0));
    assert_eq!(get("emb.weight").len(), 15);
}

#[test]
fn deterministic_param_ids() {
    type B = burn::backend::Autodiff<NdArray>;
    let d = Default::default();
    let a = reinit(build::<B>(&d, false), &Seed::from_u64(3), &BurnDefaults)
        .ok()
        .unwrap();
    let b = reinit(build::<B>(&d, true), &Seed::from_u64(3), &BurnDefaults)
        .ok()
        .unwrap();
    assert_eq!(a.fc1.weight.id, b.fc1.weight.id);
    assert_ne!(a.fc1.weight.id, a.fc2.weight.id);
    // Both an already-read parameter (fc1 in `a`) and a lazy one (fc1 in `b`) stay trainable.
    assert!(a.fc1.weight.val().is_require_grad());
    assert!(b.fc1.weight.val().is_require_grad());
}

#[test]
fn custom_rule_and_errors_keep_the_module() {
    let d = Default::default();
    let rule = |p: &ParamInfo, s: &[ParamInfo]| {
        if p.path.starts_with("emb") {
            Ok((Init::Zeros, Fans::default()))
        } else {
            BurnDefaults.choose(p, s)
        }
    };
    let net = reinit(build::<NdArray>(&d, false), &Seed::from_u64(0), &rule)
        .ok()
        .unwrap();
    let emb: Vec<f32> = net.emb.weight.val().into_data().to_vec().unwrap();
    assert!(emb.iter().all(|x| *x == 0.0));

    let refuse = |p: &ParamInfo, _: &[ParamInfo]| {
        if p.path == "fc2.bias" {
            Ok((Init::XavierUniform { gain: 1.0 }, Fans::default()))
        } else {
            Ok((Init::Ones, Fans::default()))
        }
    };
    let before = snapshot(&net);
    let (back, err) = reinit(net, &Seed::from_u64(0), &refuse).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::MissingFan);
    assert!(err.to_string().contains("fc2.bias"), "{err}");
    assert_eq!(
        snapshot(&back),
        before,
        "an error must hand the module back untouched"
    );
}

#[test]
fn kept_parameters_keep_their_values_and_get_stable_ids() {
    type B = burn::backend::Autodiff<NdArray>;
    let d = Default::default();
    // "Pretrained": every parameter drawn from seed 11 (all initialised now).
    let pretrained = reinit(build::<B>(&d, false), &Seed::from_u64(11), &BurnDefaults)
        .ok()
        .unwrap();
    let before = snapshot(&pretrained);
    let kept = reinit(
        pretrained,
        &Seed::from_u64(5),
        &KeepPaths::new(["conv", "fc1"], BurnDefaults),
    )
    .ok()
    .unwrap();
    let after = snapshot(&kept);
    let fresh = snapshot(
        &reinit(build::<B>(&d, false), &Seed::from_u64(5), &BurnDefaults)
            .ok()
            .unwrap(),
    );
    for ((path, bits), ((_, old), (_, new))) in after.iter().zip(before.iter().zip(&fresh)) {
        if path.starts_with("conv.") || path.starts_with("fc1.") {
            assert_eq!(bits, old, "{path} is kept");
        } else {
            assert_eq!(bits, new, "{path} is drawn from the seed");
        }
    }
    // The ids are the seed's, as for drawn parameters; kept ones stay trainable.
    let drawn = reinit(build::<B>(&d, true), &Seed::from_u64(5), &BurnDefaults)
        .ok()
        .unwrap();
    assert_eq!(kept.fc1.weight.id, drawn.fc1.weight.id);
    assert!(kept.fc1.weight.val().is_require_grad());
}

#[test]
fn keeping_a_lazy_parameter_is_refused() {
    let d = Default::default();
    // fc2 is never read in `build(.., false)`: its value would be Burn's unseeded draw.
    let (back, err) = reinit(
        build::<NdArray>(&d, false),
        &Seed::from_u64(0),
        &KeepPaths::new(["fc2"], BurnDefaults),
    )
    .err()
    .unwrap();
    assert_eq!(err.kind(), ErrorKind::NoRule);
    assert!(err.to_string().contains("fc2.weight"), "{err}");
    assert!(err.to_string().contains("never initialised"), "{err}");
    assert!(!back.fc2.weight.is_initialized());
}

#[cfg(feature = "wgpu")]
#[path = "../../ditto-kernels/tests/common/wgpu_probe.rs"]
mod wgpu_probe;

#[cfg(feature = "wgpu")]
#[test]
fn ndarray_and_wgpu_get_identical_weights() {
    use burn::backend::Wgpu;
    if !wgpu_probe::wgpu_available("ditto-rng ndarray_and_wgpu_get_identical_weights") {
        return;
    }
    let cpu = init_on::<NdArray>(&Default::default(), 11, false);
    let gpu = init_on::<Wgpu>(&Default::default(), 11, true);
    assert_eq!(cpu, gpu);
}
