//! 20 Adam steps of an MLP and a CNN (with dropout) through `Autodiff<Ditto<NdArray>>`: the
//! final weights and every loss are bitwise identical across processes and across
//! `RAYON_NUM_THREADS` / `MATMUL_NUM_THREADS` 1 and 2.

use crate::common;

use burn::backend::{Autodiff, NdArray};
use common::{Model, child, is_child, train};
use ditto_kernels::Ditto;

type B = Autodiff<Ditto<NdArray>>;

fn run(model: Model, key: &str, test: &str) {
    let here = train::<B>(model, 20, 7, &Default::default());
    if is_child() {
        println!("{key}={}", here.digest());
        return;
    }
    assert_eq!(
        here,
        train::<B>(model, 20, 7, &Default::default()),
        "same process"
    );
    for threads in ["1", "2"] {
        let got = child(
            &common::exact(module_path!(), test),
            key,
            &[
                ("RAYON_NUM_THREADS", threads),
                ("MATMUL_NUM_THREADS", threads),
            ],
        );
        assert_eq!(got, here.digest(), "{model:?} with {threads} thread(s)");
    }
}

#[test]
fn mlp_adam_20_steps_identical_across_processes_and_threads() {
    run(
        Model::Mlp,
        "MLP",
        "mlp_adam_20_steps_identical_across_processes_and_threads",
    );
}

#[test]
fn cnn_adam_20_steps_identical_across_processes_and_threads() {
    run(
        Model::Cnn,
        "CNN",
        "cnn_adam_20_steps_identical_across_processes_and_threads",
    );
}

#[test]
fn different_seeds_differ() {
    // Guards the tests above against comparing constants.
    let a = train::<B>(Model::Mlp, 3, 7, &Default::default());
    let b = train::<B>(Model::Mlp, 3, 8, &Default::default());
    assert_ne!(a.weights, b.weights);
    assert_ne!(a.losses, b.losses);
    assert!(a.losses.iter().all(|l| f32::from_bits(*l).is_finite()));
}
