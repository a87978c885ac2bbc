//! The kernels that continue a chain (`matmul_strided_from`, `conv2d_weight_grad_from`):
//! cutting the chain's axis into consecutive pieces and feeding them in turn gives the bits of
//! one product over the whole axis, on every instruction set; starting from zero each time
//! and adding the pieces' results does not.

use crate::common::values;

use values::{bits, normal};

use ditto_kernels::canonical::Isa;
use ditto_kernels::canonical::conv::Conv2dOptions;
use ditto_kernels::canonical::conv_backward::{conv2d_weight_grad, conv2d_weight_grad_from};
use ditto_kernels::canonical::matmul::{Strides, matmul_strided, matmul_strided_from};

/// `xᵀ · g` for `x` `[rows, m]` and `g` `[rows, n]` (a weight gradient: the chain runs over
/// the rows), whole and in the pieces `cuts` (row counts).
#[test]
fn matmul_from_continues_the_chain_over_any_cut() {
    let (rows, m, n) = (300, 19, 37);
    let x = normal("x", rows * m);
    let g = normal("g", rows * n);
    for isa in [Isa::Scalar, Isa::Neon, Isa::Avx2Fma, Isa::Avx512] {
        let mut whole = vec![0.0f32; m * n];
        matmul_strided(
            isa,
            &x,
            Strides::transposed(rows, m),
            &g,
            Strides::row_major(rows, n),
            &mut whole,
            1,
            m,
            rows,
            n,
        )
        .unwrap();
        for cuts in [&[300][..], &[1, 299], &[128, 128, 44], &[7; 42]] {
            let cuts: Vec<usize> = cuts
                .iter()
                .copied()
                .chain([rows - cuts.iter().sum::<usize>()])
                .filter(|&c| c > 0)
                .collect();
            let (mut acc, mut added) = (vec![0.0f32; m * n], vec![0.0f32; m * n]);
            let mut at = 0;
            for &c in &cuts {
                let (xs, gs) = (&x[at * m..(at + c) * m], &g[at * n..(at + c) * n]);
                let (sx, sg) = (Strides::transposed(c, m), Strides::row_major(c, n));
                matmul_strided_from(isa, xs, sx, gs, sg, &mut acc, 1, m, c, n).unwrap();
                let mut piece = vec![0.0f32; m * n];
                matmul_strided(isa, xs, sx, gs, sg, &mut piece, 1, m, c, n).unwrap();
                added.iter_mut().zip(&piece).for_each(|(a, p)| *a += p);
                at += c;
            }
            assert_eq!(bits(&acc), bits(&whole), "{isa:?} cut {cuts:?}");
            if cuts.len() > 1 {
                assert_ne!(bits(&added), bits(&whole), "{isa:?} cut {cuts:?}: adding");
            }
        }
    }
}

/// A zero-length piece leaves the accumulators as they are.
#[test]
fn matmul_from_with_an_empty_piece_changes_nothing() {
    let mut acc = normal("acc", 6);
    let before = bits(&acc);
    let s = Strides::row_major(0, 2);
    matmul_strided_from(Isa::active(), &[], s, &[], s, &mut acc, 1, 2, 0, 3).unwrap();
    assert_eq!(bits(&acc), before);
}

/// conv2d's weight gradient over samples `0..n`, whole and two samples at a time.
#[test]
fn conv_weight_grad_from_continues_over_samples() {
    let (n, c_in, h, w, c_out) = (7, 3, 6, 5, 4);
    let opts = Conv2dOptions {
        padding: [1, 1],
        ..Default::default()
    };
    let x = normal("conv-x", n * c_in * h * w);
    let gy = normal("conv-gy", n * c_out * h * w);
    let ws = [c_out, c_in, 3, 3];
    let mut whole = vec![0.0f32; ws.iter().product()];
    conv2d_weight_grad(&x, [n, c_in, h, w], &gy, ws, &opts, &mut whole, None).unwrap();
    let mut acc = vec![0.0f32; whole.len()];
    for b0 in (0..n).step_by(2) {
        let b1 = (b0 + 2).min(n);
        let xs = &x[b0 * c_in * h * w..b1 * c_in * h * w];
        let gs = &gy[b0 * c_out * h * w..b1 * c_out * h * w];
        conv2d_weight_grad_from(xs, [b1 - b0, c_in, h, w], gs, ws, &opts, &mut acc).unwrap();
    }
    assert_eq!(bits(&acc), bits(&whole));
}
