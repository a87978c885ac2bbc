//! Strict mode: refusing unseeded randomness, and the fallback of the laxer modes.

use std::panic::catch_unwind;

use burn::backend::NdArray;
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use ditto_kernels::{Ditto, DittoConfig, RngState, Strict};

type D = Ditto<NdArray>;

fn draw() -> Vec<f32> {
    Tensor::<D, 1>::random([8], Distribution::Default, &Default::default())
        .into_data()
        .to_vec()
        .unwrap()
}

#[test]
fn unseeded_random_is_refused_by_default() {
    // Each test runs on its own thread, so this thread has no state yet.
    let dev = Default::default();
    assert_eq!(D::config(&dev).strict, Strict::Error);
    let err = catch_unwind(draw).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("float_random") && msg.contains("seed"),
        "{msg}"
    );
    assert_eq!(
        D::rng_state(&dev),
        None,
        "a refused op must not install state"
    );
}

#[test]
fn warn_and_off_fall_back_to_seed_zero() {
    let dev = Default::default();
    D::configure(
        &dev,
        DittoConfig {
            strict: Strict::Warn,
            ..Default::default()
        },
    );
    let a = draw();
    D::set_rng_state(&dev, RngState::from_u64(0));
    assert_eq!(draw(), a);
    assert_eq!(D::rng_state(&dev).unwrap().calls, 1);
}

#[test]
fn state_restores_mid_run_and_threads_are_isolated() {
    let dev = Default::default();
    D::seed(&dev, 11);
    let _ = draw();
    let saved = D::rng_state(&dev).unwrap();
    let json = serde_json::to_string(&saved).unwrap();
    let next = draw();
    D::set_rng_state(&dev, serde_json::from_str(&json).unwrap());
    assert_eq!(draw(), next);
    // Another thread seeded the same way sees the same sequence, untouched by this one.
    let other = std::thread::spawn(|| {
        D::seed(&Default::default(), 11);
        (draw(), draw())
    })
    .join()
    .unwrap();
    D::seed(&dev, 11);
    assert_eq!((draw(), draw()), other);
    assert_ne!(other.0, other.1);
}

/// In canonical mode, strict mode refuses an op that is neither canonical nor exact (here the
/// forwarded `float_sin`); run-to-run mode and `Strict::Off` let it run; canonical and exact
/// ops run in canonical mode.
#[test]
fn canonical_mode_refuses_forwarded_float_ops() {
    use ditto_kernels::KernelMode;
    let dev = Default::default();
    let x = || Tensor::<D, 1>::from_data([0.5f32, 1.0], &dev);
    let canonical = DittoConfig {
        kernels: KernelMode::Canonical,
        ..Default::default()
    };
    D::configure(&dev, canonical);
    let ok = (x().exp() + x() * x()).sqrt().into_data();
    assert_eq!(ok.to_vec::<f32>().unwrap().len(), 2);
    let err = catch_unwind(|| x().sin().into_data()).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("float_sin") && msg.contains("canonical mode") && msg.contains("forwarded"),
        "{msg}"
    );
    D::configure(
        &dev,
        DittoConfig {
            strict: Strict::Off,
            ..canonical
        },
    );
    let _ = x().sin().into_data();
    D::configure(&dev, DittoConfig::default());
    let _ = x().sin().into_data();
}
