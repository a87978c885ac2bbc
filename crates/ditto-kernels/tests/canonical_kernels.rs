//! Canonical matmul and reductions: exact agreement with a naive implementation of the
//! specification (CANONICAL.md), across instruction sets and thread counts, plus golden bits.

use ditto_kernels::canonical::matmul::{self, Strides};
use ditto_kernels::canonical::reduce::{self, Axis};
use ditto_kernels::canonical::{ErrorKind, Isa};
use ditto_rng::Seed;

fn normal(label: &str, n: usize) -> Vec<f32> {
    let mut s = Seed::from_u64(6).derive(label).stream();
    let mut v = vec![0.0f32; n];
    s.fill_normal_f32(&mut v, 0.0, 1.0).unwrap();
    v
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

/// The specification, literally: one fma chain over k ascending from +0.0.
fn naive_matmul(
    a: &[f32],
    sa: Strides,
    b: &[f32],
    sb: Strides,
    m: usize,
    k: usize,
    n: usize,
) -> Vec<f32> {
    let mut out = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for p in 0..k {
                acc = a[i * sa.row + p * sa.col].mul_add(b[p * sb.row + j * sb.col], acc);
            }
            out[i * n + j] = acc;
        }
    }
    out
}

/// The specification of a sum, literally: chunks of 4096, 32 strided lanes, pairwise trees.
fn naive_sum(x: &[f32]) -> f32 {
    fn tree(mut v: Vec<f32>) -> f32 {
        if v.is_empty() {
            return 0.0;
        }
        while v.len() > 1 {
            v = v
                .chunks(2)
                .map(|p| if p.len() == 2 { p[0] + p[1] } else { p[0] })
                .collect();
        }
        v[0]
    }
    let chunks = x
        .chunks(4096)
        .map(|c| {
            let mut lanes = vec![0.0f32; 32];
            for (i, &v) in c.iter().enumerate() {
                lanes[i % 32] += v;
            }
            tree(lanes)
        })
        .collect();
    tree(chunks)
}

#[test]
fn matmul_matches_specification_on_every_isa_and_shape() {
    for &(m, k, n) in &[
        (1, 1, 1),
        (7, 13, 5),
        (33, 300, 47),
        (6, 600, 16),
        (9, 2, 70),
        (3, 0, 4),
    ] {
        let a = normal("mm-a", m * k);
        let b = normal("mm-b", k * n);
        let want = naive_matmul(
            &a,
            Strides::row_major(m, k),
            &b,
            Strides::row_major(k, n),
            m,
            k,
            n,
        );
        for isa in Isa::available() {
            let mut out = vec![f32::NAN; m * n];
            matmul::matmul_strided(
                isa,
                &a,
                Strides::row_major(m, k),
                &b,
                Strides::row_major(k, n),
                &mut out,
                1,
                m,
                k,
                n,
            )
            .unwrap();
            assert_eq!(bits(&out), bits(&want), "{isa:?} {m}x{k}x{n}");
        }
    }
}

#[test]
fn matmul_strided_and_batched() {
    let (m, k, n) = (19, 37, 23);
    // a stored transposed (k x m), b broadcast over a batch of 3 (batch stride 0).
    let at = normal("mm-at", k * m);
    let b = normal("mm-b2", k * n);
    let sa = Strides::transposed(k, m);
    let sb = Strides {
        batch: 0,
        ..Strides::row_major(k, n)
    };
    let want = naive_matmul(&at, sa, &b, sb, m, k, n);
    for isa in Isa::available() {
        let mut out = vec![0.0f32; 3 * m * n];
        let sa3 = Strides { batch: 0, ..sa };
        matmul::matmul_strided(isa, &at, sa3, &b, sb, &mut out, 3, m, k, n).unwrap();
        for t in 0..3 {
            assert_eq!(
                bits(&out[t * m * n..(t + 1) * m * n]),
                bits(&want),
                "{isa:?} batch {t}"
            );
        }
    }
    let a2 = normal("mm-a2", 2 * m * k);
    let b2 = normal("mm-b3", 2 * k * n);
    let mut out = vec![0.0f32; 2 * m * n];
    matmul::matmul_batched(&a2, &b2, &mut out, 2, m, k, n).unwrap();
    let w1 = naive_matmul(
        &a2[m * k..],
        Strides::row_major(m, k),
        &b2[k * n..],
        Strides::row_major(k, n),
        m,
        k,
        n,
    );
    assert_eq!(bits(&out[m * n..]), bits(&w1));
}

#[test]
fn matmul_packs_every_operand_layout() {
    // Each operand contiguous by rows, by columns (transposed), or neither (every other
    // element of a wider buffer); shapes that leave partial tiles, after a larger product
    // on the same thread (the packing buffers are reused: stale contents must never leak).
    let (m, k, n) = (13, 29, 21);
    let big = normal("mm-big", 300 * 300);
    let mut sink = vec![0.0f32; 100 * 100];
    let layouts = |rows: usize, cols: usize| {
        [
            Strides::row_major(rows, cols),
            Strides::transposed(cols, rows),
            Strides {
                batch: 0,
                row: 2 * cols + 1,
                col: 2,
            },
        ]
    };
    let a = normal("mm-la", 2 * m * (2 * k + 1));
    let b = normal("mm-lb", 2 * k * (2 * n + 1));
    for isa in Isa::available() {
        for sa in layouts(m, k) {
            for sb in layouts(k, n) {
                matmul::matmul(
                    &big[..100 * 300],
                    &big[..300 * 100],
                    &mut sink,
                    100,
                    300,
                    100,
                )
                .unwrap();
                let want = naive_matmul(&a, sa, &b, sb, m, k, n);
                let mut out = vec![0.0f32; m * n];
                matmul::matmul_strided(isa, &a, sa, &b, sb, &mut out, 1, m, k, n).unwrap();
                assert_eq!(bits(&out), bits(&want), "{isa:?} a {sa:?} b {sb:?}");
            }
        }
    }
}

#[test]
fn matmul_thread_counts_agree() {
    let (m, k, n) = (200, 300, 170);
    let a = normal("mm-ta", m * k);
    let b = normal("mm-tb", k * n);
    let run = |threads: usize| {
        pool(threads).install(|| {
            let mut out = vec![0.0f32; m * n];
            matmul::matmul(&a, &b, &mut out, m, k, n).unwrap();
            bits(&out)
        })
    };
    let one = run(1);
    for t in [2, 4, 8] {
        assert_eq!(run(t), one, "{t} threads");
    }
}

#[test]
fn matmul_rejects_bad_shapes() {
    let mut out = vec![0.0f32; 4];
    let e = matmul::matmul(&[1.0; 3], &[1.0; 4], &mut out, 2, 2, 2).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape);
    let e = matmul::matmul_strided(
        Isa::Scalar,
        &[1.0; 4],
        Strides::transposed(4, 4),
        &[1.0; 4],
        Strides::row_major(2, 2),
        &mut out,
        1,
        2,
        2,
        2,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape);
}

#[test]
fn matmul_value_stability() {
    // Golden bits: a change is reproducibility-breaking (CHANGELOG, REPRODUCIBILITY.md).
    let (m, k, n) = (64, 300, 48);
    let a = normal("golden-a", m * k);
    let b = normal("golden-b", k * n);
    let mut out = vec![0.0f32; m * n];
    matmul::matmul(&a, &b, &mut out, m, k, n).unwrap();
    let got = [
        out[0].to_bits(),
        out[777].to_bits(),
        out[m * n - 1].to_bits(),
    ];
    assert_eq!(
        got,
        GOLDEN_MATMUL,
        "{:?}",
        [out[0], out[777], out[m * n - 1]]
    );
}
const GOLDEN_MATMUL: [u32; 3] = [0x40bd_7d8e, 0x4129_c2e5, 0x3e22_ee52]; // 5.9215765, 10.610082, 0.15911224

#[test]
fn sum_matches_specification() {
    let x = normal("sum", 140_000);
    for len in [0usize, 1, 31, 32, 33, 4095, 4096, 4097, 70_001, 140_000] {
        let want = naive_sum(&x[..len]).to_bits();
        for isa in Isa::available() {
            assert_eq!(
                reduce::sum_all_with(isa, &x[..len]).to_bits(),
                want,
                "{isa:?} len {len}"
            );
        }
    }
    assert_eq!(
        reduce::sum_all(&[-0.0]).to_bits(),
        0,
        "sums start from +0.0"
    );
}

#[test]
fn sum_dim_matches_specification() {
    let (outer, len, inner) = (3, 5000, 37);
    let x = normal("sum-dim", outer * len * inner);
    let mut out = vec![0.0f32; outer * inner];
    for isa in Isa::available() {
        reduce::sum_dim_with(isa, &x, Axis { outer, len, inner }, &mut out).unwrap();
        for o in 0..outer {
            for i in 0..inner {
                let seq: Vec<f32> = (0..len).map(|r| x[(o * len + r) * inner + i]).collect();
                assert_eq!(
                    out[o * inner + i].to_bits(),
                    naive_sum(&seq).to_bits(),
                    "{isa:?} ({o}, {i})"
                );
            }
        }
    }
    // Contiguous rows (inner = 1) and the mean.
    let axis = Axis::of(&[outer * inner, len], 1).unwrap();
    let xt: Vec<f32> = x[..outer * inner * len].to_vec();
    let mut rows = vec![0.0f32; outer * inner];
    reduce::mean_dim(&xt, axis, &mut rows).unwrap();
    for (r, &v) in rows.iter().enumerate() {
        assert_eq!(
            v.to_bits(),
            (naive_sum(&xt[r * len..(r + 1) * len]) / len as f32).to_bits()
        );
    }
}

#[test]
fn reductions_thread_counts_agree() {
    let x = normal("sum-threads", 300_000);
    let run = |threads: usize| {
        pool(threads).install(|| {
            let mut d = vec![0.0f32; 300];
            reduce::sum_dim(
                &x,
                Axis {
                    outer: 1,
                    len: 1000,
                    inner: 300,
                },
                &mut d,
            )
            .unwrap();
            let mut r = vec![0.0f32; 1000];
            reduce::sum_dim(
                &x,
                Axis {
                    outer: 1000,
                    len: 300,
                    inner: 1,
                },
                &mut r,
            )
            .unwrap();
            (reduce::sum_all(&x).to_bits(), bits(&d), bits(&r))
        })
    };
    let one = run(1);
    for t in [2, 4, 8] {
        assert_eq!(run(t), one, "{t} threads");
    }
}

#[test]
fn max_min_argmax_rules() {
    let x = [1.0, -0.0, 3.0, 0.0, 3.0, -5.0];
    assert_eq!(reduce::max_all(&x).unwrap(), 3.0);
    assert_eq!(reduce::min_all(&x).unwrap(), -5.0);
    assert_eq!(reduce::max_all(&[-0.0, 0.0]).unwrap().to_bits(), 0);
    assert_eq!(reduce::max_all(&[0.0, -0.0]).unwrap().to_bits(), 0);
    assert_eq!(
        reduce::min_all(&[0.0, -0.0]).unwrap().to_bits(),
        0x8000_0000
    );
    assert_eq!(
        reduce::max_all(&[1.0, f32::from_bits(0xffc0_0001), 2.0])
            .unwrap()
            .to_bits(),
        0x7fc0_0000
    );
    assert_eq!(reduce::max_all(&[]).unwrap_err().kind(), ErrorKind::Empty);
    // [2, 3] tensor, argmax along dim 0 and dim 1: first index of the maximum.
    let t = [1.0, 7.0, 7.0, 1.0, -1.0, 7.0];
    let mut idx = vec![0usize; 3];
    reduce::argmax_dim(&t, Axis::of(&[2, 3], 0).unwrap(), &mut idx).unwrap();
    assert_eq!(idx, [0, 0, 0]);
    let mut idx = vec![0usize; 2];
    reduce::argmax_dim(&t, Axis::of(&[2, 3], 1).unwrap(), &mut idx).unwrap();
    assert_eq!(idx, [1, 2]);
    reduce::argmin_dim(&t, Axis::of(&[2, 3], 1).unwrap(), &mut idx).unwrap();
    assert_eq!(idx, [0, 1]);
    let mut m = vec![0.0f32; 3];
    reduce::max_dim(&t, Axis::of(&[2, 3], 0).unwrap(), &mut m).unwrap();
    assert_eq!(m, [1.0, 7.0, 7.0]);
    reduce::min_dim(&t, Axis::of(&[2, 3], 0).unwrap(), &mut m).unwrap();
    assert_eq!(m, [1.0, -1.0, 7.0]);
}

#[test]
fn reduce_value_stability() {
    let x = normal("golden-sum", 100_000);
    let got = [
        reduce::sum_all(&x).to_bits(),
        reduce::mean_all(&x[..4097]).to_bits(),
    ];
    assert_eq!(got, GOLDEN_SUM, "{:?}", got.map(f32::from_bits));
}
const GOLDEN_SUM: [u32; 2] = [0x41f2_320a, 0x3c6c_9fea]; // 30.274433, 0.014442423
