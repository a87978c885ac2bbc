//! conv2d's weight gradient as a direct kernel (the spec is in [`super::conv_backward`]:
//! `gw[co][ci][kh][kw]` is the FMA chain from `+0.0` over `(n, oh, ow)` ascending of
//! `gy[n][co][oh][ow] * x_col[n][(ci, kh, kw)][(oh, ow)]`).
//!
//! The outputs are few (`c_out * k`) and every chain is long (`n * oh * ow`), so the
//! product is computed with the output channels across SIMD lanes and one register
//! accumulator per reduction row `r = (ci, kh, kw)`: per output position, one load of the
//! position's output gradients (all channels of a lane group, transposed beforehand) and one
//! broadcast-FMA per row, whose input value is read in place from a zero-padded copy of `x`.
//! Nothing is packed per position and no im2col matrix is built. Groups run one after the
//! other (the transposed gradient is one group's, so a depthwise convolution needs no more
//! memory than a dense one); work items are (lane group, block of rows). Each output belongs
//! to one item and its chain runs in order there, so the bits do not depend on the split,
//! the thread count or the lane width (every ISA computes the same chains; the scalar path
//! with [`fused`](super::fma::fused)).

use rayon::prelude::*;

use super::simd::Isa;
use super::simd::chains::{Walk, chains, max_rows};
use super::window::{Conv2dOptions, Geometry, PARALLEL_WORK};

/// The weight gradient of checked operands into `grad_w` (`[c_out][k]`); `from`: each chain
/// continues from the value `grad_w` holds instead of `+0.0`.
#[allow(clippy::too_many_arguments)]
pub(super) fn weight_grad(
    isa: Isa,
    x: &[f32],
    x_shape: [usize; 4],
    gy: &[f32],
    geo: &Geometry,
    opts: &Conv2dOptions,
    grad_w: &mut [f32],
    from: bool,
) {
    // Eight channels or fewer fill an AVX2 vector: half an AVX-512 one would be padding (the
    // bits are the same on every ISA).
    let isa = match isa.clamp() {
        Isa::Avx512 if geo.cog <= 8 => Isa::Avx2Fma,
        isa => isa,
    };
    let &Geometry {
        n,
        c_out,
        k,
        p,
        cog,
        cig,
        kernel: [kh, kw],
        out: [oh, ow],
    } = geo;
    if k == 0 || cog == 0 {
        return;
    }
    if n * p == 0 {
        if !from {
            grad_w.fill(0.0);
        }
        return;
    }
    let [_, c_in, h, w] = x_shape;
    let groups = opts.groups;
    let l = isa.lanes();
    let nv = cog.div_ceil(l);
    let np = n * p;
    let parallel = n * c_out * k * p >= PARALLEL_WORK && rayon::current_num_threads() > 1;

    // x zero-padded: [n][c_in][hp][wp].
    let [ph, pw] = opts.padding;
    let (hp, wp) = (h + 2 * ph, w + 2 * pw);
    let mut xpad = vec![0.0f32; n * c_in * hp * wp];
    let pad = |(plane, dst): (usize, &mut [f32])| {
        if w == 0 {
            return;
        }
        let src = &x[plane * h * w..][..h * w];
        for (y, row) in src.chunks_exact(w).enumerate() {
            dst[(y + ph) * wp + pw..][..w].copy_from_slice(row);
        }
    };
    if parallel {
        xpad.par_chunks_mut(hp * wp).enumerate().for_each(pad);
    } else {
        xpad.chunks_mut(hp * wp).enumerate().for_each(pad);
    }
    let walk = Walk {
        n,
        out: [oh, ow],
        step: [opts.stride[0] * wp, opts.stride[1]],
        sample: c_in * hp * wp,
    };
    // Work items of a group: (lane group, row block); blocks even in size, at least one item
    // per thread where the rows allow (a block of few rows is bound by the FMA latency).
    let max_rows = max_rows(isa);
    let threads = if parallel {
        rayon::current_num_threads()
    } else {
        1
    };
    let blocks = k.div_ceil(max_rows).max(threads.div_ceil(nv)).min(k);
    let rows = k.div_ceil(blocks);
    let items: Vec<(usize, usize)> = (0..nv)
        .flat_map(|v| (0..k).step_by(rows).map(move |r0| (v, r0)))
        .collect();

    // One group at a time (a depthwise convolution has as many groups as channels): its
    // output gradient transposed, [lane group][t = (n, oh, ow)][lane], +0.0 past the group's
    // last channel (the same lanes are written for every group, so the padding stays zero).
    let mut gyt = vec![0.0f32; nv * np * l];
    for gi in 0..groups {
        let transpose = |(chunk, dst): (usize, &mut [f32])| {
            let (v, b) = (chunk / n, chunk % n);
            for lane in 0..l.min(cog - v * l) {
                let co = gi * cog + v * l + lane;
                let src = &gy[(b * c_out + co) * p..][..p];
                for (pix, &g) in src.iter().enumerate() {
                    dst[pix * l + lane] = g;
                }
            }
        };
        if parallel {
            gyt.par_chunks_mut(p * l).enumerate().for_each(transpose);
        } else {
            gyt.chunks_mut(p * l).enumerate().for_each(transpose);
        }
        let run = |&(v, r0): &(usize, usize)| -> Vec<f32> {
            let rb = rows.min(k - r0);
            // Tap offsets within a sample's padded planes, and the chains' starting values.
            let offs: Vec<usize> = (r0..r0 + rb)
                .map(|r| {
                    let (ci, i, j) = (r / (kh * kw), r / kw % kh, r % kw);
                    (gi * cig + ci) * hp * wp + i * opts.dilation[0] * wp + j * opts.dilation[1]
                })
                .collect();
            let mut acc = vec![0.0f32; rb * l];
            if from {
                for lane in 0..l.min(cog - v * l) {
                    let co = gi * cog + v * l + lane;
                    for rr in 0..rb {
                        acc[rr * l + lane] = grad_w[co * k + r0 + rr];
                    }
                }
            }
            chains(
                isa,
                &gyt[v * np * l..][..np * l],
                &xpad,
                &offs,
                &walk,
                &mut acc,
            );
            acc
        };
        let results: Vec<Vec<f32>> = if parallel {
            items.par_iter().map(run).collect()
        } else {
            items.iter().map(run).collect()
        };
        for (&(v, r0), acc) in items.iter().zip(&results) {
            let rb = rows.min(k - r0);
            for lane in 0..l.min(cog - v * l) {
                let co = gi * cog + v * l + lane;
                for rr in 0..rb {
                    grad_w[co * k + r0 + rr] = acc[rr * l + lane];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::window::output_size;

    /// The spec's chains, one output at a time, with the software fma.
    fn direct(
        x: &[f32],
        xs: [usize; 4],
        gy: &[f32],
        ws: [usize; 4],
        o: &Conv2dOptions,
    ) -> Vec<f32> {
        let [n, c_in, h, w] = xs;
        let [c_out, cig, kh, kw] = ws;
        let cog = c_out / o.groups;
        let [oh, ow] = output_size([h, w], [kh, kw], o).unwrap();
        let mut gw = vec![0.0f32; c_out * cig * kh * kw];
        for co in 0..c_out {
            let gi = co / cog;
            for ci in 0..cig {
                for i in 0..kh {
                    for j in 0..kw {
                        let mut acc = 0.0f32;
                        for b in 0..n {
                            for y in 0..oh {
                                for xo in 0..ow {
                                    let iy = (y * o.stride[0] + i * o.dilation[0]) as isize
                                        - o.padding[0] as isize;
                                    let ix = (xo * o.stride[1] + j * o.dilation[1]) as isize
                                        - o.padding[1] as isize;
                                    let inside = (0..h as isize).contains(&iy)
                                        && (0..w as isize).contains(&ix);
                                    let xv = if inside {
                                        x[((b * c_in + gi * cig + ci) * h + iy as usize) * w
                                            + ix as usize]
                                    } else {
                                        0.0
                                    };
                                    let g = gy[((b * c_out + co) * oh + y) * ow + xo];
                                    acc = crate::canonical::fma::fma(g, xv, acc);
                                }
                            }
                        }
                        gw[((co * cig + ci) * kh + i) * kw + j] = acc;
                    }
                }
            }
        }
        gw
    }

    fn values(seed: u32, len: usize) -> Vec<f32> {
        // A small LCG: exact, portable values with varied exponents and signs.
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((s >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * (1 + (s & 7)) as f32
            })
            .collect()
    }

    /// Every ISA of this CPU, several row and lane counts (one lane group and a partial one,
    /// one row block and several), groups, stride, dilation and padding: the spec's bits.
    #[test]
    fn matches_the_spec_on_every_isa() {
        let cases = [
            // (x shape, w shape, stride, padding, dilation, groups)
            ([3, 1, 9, 8], [8, 1, 3, 3], [1, 1], [1, 1], [1, 1], 1),
            ([2, 8, 6, 7], [16, 8, 3, 3], [1, 1], [1, 1], [1, 1], 1),
            ([2, 4, 7, 6], [6, 2, 3, 2], [2, 1], [1, 1], [1, 2], 2),
            ([1, 3, 5, 5], [20, 3, 2, 2], [1, 2], [0, 2], [1, 1], 1),
            ([2, 6, 5, 4], [3, 6, 1, 1], [1, 1], [0, 0], [1, 1], 1),
            // Depthwise: one channel per group.
            ([2, 4, 6, 5], [4, 1, 3, 3], [1, 1], [1, 1], [1, 1], 4),
        ];
        for (xs, ws, stride, padding, dilation, groups) in cases {
            let o = Conv2dOptions {
                stride,
                padding,
                dilation,
                groups,
            };
            let geo = Geometry::new("test", xs, ws, &o).unwrap();
            let x = values(1, xs.iter().product());
            let gy = values(2, geo.out_len("test").unwrap());
            let want = direct(&x, xs, &gy, ws, &o);
            for isa in Isa::available() {
                let mut gw = vec![f32::NAN; want.len()];
                weight_grad(isa, &x, xs, &gy, &geo, &o, &mut gw, false);
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&gw), bits(&want), "{xs:?} {ws:?} on {isa:?}");
                // Continuing from the first result adds the same chain again.
                let mut twice = gw.clone();
                weight_grad(isa, &x, xs, &gy, &geo, &o, &mut twice, true);
                let mut want_twice = gw.clone();
                weight_grad(Isa::Scalar, &x, xs, &gy, &geo, &o, &mut want_twice, true);
                assert_eq!(bits(&twice), bits(&want_twice), "from, {isa:?}");
            }
        }
    }
}
