//! Op-level thread-count invariance on NdArray, at sizes where burn-ndarray and
//! matrixmultiply actually split work across threads: each op's output bits are digested in
//! child processes run with `RAYON_NUM_THREADS` and `MATMUL_NUM_THREADS` = 1, 2 and 4.
//! These tests back the `run-to-run` claims of `DETERMINISM.md` for NdArray.

use crate::common;

use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::Backend;
use burn::tensor::module::{conv2d, max_pool2d};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Distribution, Int, Tensor};
use common::{child, is_child};
use ditto_kernels::Ditto;

type D = Ditto<NdArray>;
type A = Autodiff<D>;

fn digest_f<Bk: Backend, const N: usize>(h: &mut blake3::Hasher, t: Tensor<Bk, N>) {
    for v in t.into_data().to_vec::<f32>().unwrap() {
        h.update(&v.to_bits().to_le_bytes());
    }
}

/// One digest per op, `name=hex` lines.
fn digests() -> Vec<(&'static str, String)> {
    let dev = Default::default();
    D::seed(&dev, 3);
    let a = Tensor::<D, 2>::random([384, 512], Distribution::Normal(0.0, 1.0), &dev);
    let b = Tensor::<D, 2>::random([512, 320], Distribution::Normal(0.0, 1.0), &dev);
    let big = Tensor::<D, 2>::random([1024, 2048], Distribution::Normal(0.0, 1.0), &dev);
    let img = Tensor::<D, 4>::random([16, 8, 32, 32], Distribution::Normal(0.0, 1.0), &dev);
    let w = Tensor::<D, 4>::random([16, 8, 3, 3], Distribution::Normal(0.0, 0.1), &dev);
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut put = |name: &'static str, f: &dyn Fn(&mut blake3::Hasher)| {
        let mut h = blake3::Hasher::new();
        f(&mut h);
        out.push((name, h.finalize().to_hex().to_string()));
    };
    put("float_matmul", &|h| {
        digest_f(h, a.clone().matmul(b.clone()))
    });
    put("float_sum_dim", &|h| {
        digest_f(h, big.clone().sum_dim(0));
        digest_f(h, big.clone().sum_dim(1));
    });
    put("float_sum", &|h| digest_f(h, big.clone().sum()));
    put("float_mean_dim", &|h| digest_f(h, big.clone().mean_dim(1)));
    put("float_max_dim", &|h| digest_f(h, big.clone().max_dim(1)));
    put("float_argmax", &|h| {
        let i: Tensor<D, 2, Int> = big.clone().argmax(1);
        for v in i.into_data().convert::<i64>().to_vec::<i64>().unwrap() {
            h.update(&v.to_le_bytes());
        }
    });
    put("float_exp_log_powi", &|h| {
        digest_f(h, big.clone().exp());
        digest_f(h, big.clone().abs().log());
        digest_f(h, big.clone().powi_scalar(2));
    });
    put("conv2d", &|h| {
        let opts = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        digest_f(h, conv2d(img.clone(), w.clone(), None, opts));
    });
    put("max_pool2d", &|h| {
        digest_f(
            h,
            max_pool2d(img.clone(), [2, 2], [2, 2], [0, 0], [1, 1], false),
        )
    });
    put("backward_matmul_conv2d_pool", &|h| {
        let x = Tensor::<A, 4>::from_inner(img.clone()).require_grad();
        let k = Tensor::<A, 4>::from_inner(w.clone()).require_grad();
        let opts = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        let y = max_pool2d(
            conv2d(x.clone(), k.clone(), None, opts),
            [2, 2],
            [2, 2],
            [0, 0],
            [1, 1],
            false,
        );
        let m = Tensor::<A, 2>::from_inner(a.clone()).require_grad();
        let z = m.clone().matmul(Tensor::<A, 2>::from_inner(b.clone()));
        let g = (y.sum() + z.sum()).backward();
        digest_f(h, x.grad(&g).unwrap());
        digest_f(h, k.grad(&g).unwrap());
        digest_f(h, m.grad(&g).unwrap());
    });
    out
}

fn render(d: &[(&str, String)]) -> String {
    d.iter()
        .map(|(n, h)| format!("{n}:{h}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn ops_identical_across_thread_counts() {
    let here = digests();
    if is_child() {
        println!("OPS={}", render(&here));
        return;
    }
    for threads in ["1", "2", "4"] {
        let got = child(
            &common::exact(module_path!(), "ops_identical_across_thread_counts"),
            "OPS",
            &[
                ("RAYON_NUM_THREADS", threads),
                ("MATMUL_NUM_THREADS", threads),
            ],
        );
        for (mine, theirs) in here.iter().zip(got.split(',')) {
            assert_eq!(
                format!("{}:{}", mine.0, mine.1),
                theirs,
                "{} differs with {threads} thread(s)",
                mine.0
            );
        }
    }
}
