//! The backward ops of [`conv2d`](super::conv::conv2d), on the canonical matmul.
//!
//! * **weight gradient**: `gw[co][ci][kh][kw]` is the FMA chain from `+0.0` over `(n, oh, ow)`
//!   ascending (`n` slowest) of `gy[n][co][oh][ow] * x_col[n][(ci, kh, kw)][(oh, ow)]`, with
//!   `x_col` conv2d's im2col value (`+0.0` in the padding);
//! * **bias gradient**: the canonical sum of `gy[n][co][..]` over `(n, oh, ow)` ascending;
//! * **input gradient**: first `d_col[n][(ci, kh, kw)][(oh, ow)]`, the FMA chain from `+0.0`
//!   over the group's `co` ascending of `w[co][ci][kh][kw] * gy[n][co][oh][ow]`; then each
//!   `gx[n][c][iy][ix]` starts at `+0.0` and adds (IEEE `+`) the `d_col` entries that map to it
//!   in ascending `(kh, kw)` order (col2im; padding positions are dropped).

use rayon::prelude::*;

use super::conv_weight;
use super::error::{Error, check_len, numel};
use super::im2col::{axis, valid};
use super::matmul::{self, Strides};
use super::reduce;
use super::simd::Isa;
use super::window::{Conv2dOptions, Geometry, PARALLEL_WORK};

/// Class: portable (canonical). Gradients of conv2d's weight (`[c_out, c_in/g, kh, kw]`) and,
/// if `grad_bias` is given, its bias (`[c_out]`), from the input `x` and the output gradient
/// `gy` (`[n, c_out, oh, ow]`). Errors on any shape mismatch.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_weight_grad(
    x: &[f32],
    x_shape: [usize; 4],
    gy: &[f32],
    w_shape: [usize; 4],
    opts: &Conv2dOptions,
    grad_w: &mut [f32],
    grad_bias: Option<&mut [f32]>,
) -> Result<(), Error> {
    let op = "conv2d_weight_grad";
    let geo = checked_weight_grad(x, x_shape, gy, w_shape, opts, grad_w)?;
    let Geometry { n, c_out, p, .. } = geo;
    let np = n * p;
    if let Some(gb) = grad_bias {
        check_len(op, "grad_bias", gb.len(), c_out)?;
        let mut seq = vec![0.0f32; np];
        for (co, v) in gb.iter_mut().enumerate() {
            for b in 0..n {
                seq[b * p..(b + 1) * p]
                    .copy_from_slice(&gy[(b * c_out + co) * p..(b * c_out + co + 1) * p]);
            }
            *v = reduce::sum_all(&seq);
        }
    }
    conv_weight::weight_grad(Isa::active(), x, x_shape, gy, &geo, opts, grad_w, false);
    Ok(())
}

/// Class: portable (canonical). [`conv2d_weight_grad`]'s weight part continuing each chain
/// from the value `grad_w` holds instead of `+0.0`: the gradients of consecutive sample
/// ranges (micro-batches), each pushed in turn, give the bits of one gradient over all the
/// samples (the chain runs over `(n, oh, ow)` with `n` slowest). Errors on a shape mismatch.
pub fn conv2d_weight_grad_from(
    x: &[f32],
    x_shape: [usize; 4],
    gy: &[f32],
    w_shape: [usize; 4],
    opts: &Conv2dOptions,
    grad_w: &mut [f32],
) -> Result<(), Error> {
    let geo = checked_weight_grad(x, x_shape, gy, w_shape, opts, grad_w)?;
    conv_weight::weight_grad(Isa::active(), x, x_shape, gy, &geo, opts, grad_w, true);
    Ok(())
}

/// The geometry of a weight gradient, after checking every buffer's length against it.
fn checked_weight_grad(
    x: &[f32],
    x_shape: [usize; 4],
    gy: &[f32],
    w_shape: [usize; 4],
    opts: &Conv2dOptions,
    grad_w: &[f32],
) -> Result<Geometry, Error> {
    let op = "conv2d_weight_grad";
    let geo = Geometry::new(op, x_shape, w_shape, opts)?;
    check_len(op, "x", x.len(), numel(op, &x_shape)?)?;
    check_len(op, "gy", gy.len(), geo.out_len(op)?)?;
    check_len(op, "grad_w", grad_w.len(), numel(op, &w_shape)?)?;
    Ok(geo)
}

/// Class: portable (canonical). Gradient of conv2d's input (`[n, c_in, h, w]`) from the
/// weight and the output gradient `gy` (`[n, c_out, oh, ow]`). Errors on a shape mismatch.
pub fn conv2d_input_grad(
    gy: &[f32],
    weight: &[f32],
    w_shape: [usize; 4],
    x_shape: [usize; 4],
    opts: &Conv2dOptions,
    grad_x: &mut [f32],
) -> Result<(), Error> {
    let op = "conv2d_input_grad";
    let geo = Geometry::new(op, x_shape, w_shape, opts)?;
    check_len(op, "weight", weight.len(), numel(op, &w_shape)?)?;
    check_len(op, "gy", gy.len(), geo.out_len(op)?)?;
    check_len(op, "grad_x", grad_x.len(), numel(op, &x_shape)?)?;
    grad_x.fill(0.0);
    let Geometry {
        n,
        c_out,
        k,
        p,
        cog,
        cig,
        ..
    } = geo;
    if k == 0 || p == 0 || grad_x.is_empty() {
        return Ok(());
    }
    let [_, c_in, h, w] = x_shape;
    let [kh, kw] = geo.kernel;
    let [oh, ow] = geo.out;
    // Images are independent: one per task, each with its own d_col buffer.
    let image = |dcol: &mut Vec<f32>, (b, gx): (usize, &mut [f32])| -> Result<(), Error> {
        for gi in 0..opts.groups {
            // d_col (k x p) = w_g^T (k x cog) . gy_g (cog x p): the chain runs over co.
            matmul::matmul_strided(
                Isa::active(),
                &weight[gi * cog * k..(gi + 1) * cog * k],
                Strides::transposed(cog, k),
                &gy[(b * c_out + gi * cog) * p..(b * c_out + (gi + 1) * cog) * p],
                Strides::row_major(cog, p),
                dcol,
                1,
                k,
                cog,
                p,
            )?;
            for ci in 0..cig {
                let plane = &mut gx[(gi * cig + ci) * h * w..][..h * w];
                for i in 0..kh {
                    for j in 0..kw {
                        let row = &dcol[((ci * kh + i) * kw + j) * p..][..p];
                        col2im_row(row, [h, w], [i, j], [oh, ow], opts, plane);
                    }
                }
            }
        }
        Ok(())
    };
    let dcol = || vec![0.0f32; k * p];
    if n > 1 && n * c_out * k * p >= PARALLEL_WORK {
        grad_x
            .par_chunks_mut(c_in * h * w)
            .enumerate()
            .try_for_each_init(dcol, image)
    } else {
        let mut buf = dcol();
        grad_x
            .chunks_mut(c_in * h * w)
            .enumerate()
            .try_for_each(|t| image(&mut buf, t))
    }
}

/// Adds row `(i, j)` of one image's d_col matrix into its input-gradient plane: position
/// `(y, xo)` goes to `[y*sh + i*dh - ph][xo*sw + j*dw - pw]` (one IEEE `+`), padding dropped.
fn col2im_row(
    row: &[f32],
    [h, w]: [usize; 2],
    [i, j]: [usize; 2],
    [oh, ow]: [usize; 2],
    opts: &Conv2dOptions,
    plane: &mut [f32],
) {
    let (ylo, yhi) = valid(oh, h, i, axis(opts, 0));
    let (xlo, xhi) = valid(ow, w, j, axis(opts, 1));
    let [sy, sx] = opts.stride;
    let (oy, ox) = (i * opts.dilation[0], j * opts.dilation[1]);
    for y in ylo..yhi {
        let dst = &mut plane[(y * sy + oy - opts.padding[0]) * w..][..w];
        let src = &row[y * ow..(y + 1) * ow];
        for xo in xlo..xhi {
            dst[xo * sx + ox - opts.padding[1]] += src[xo];
        }
    }
}
