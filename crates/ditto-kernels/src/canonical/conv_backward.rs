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

use super::conv::{Conv2dOptions, output_size};
use super::error::{Error, check_len, numel};
use super::matmul::{self, Strides};
use super::reduce;
use super::simd::Isa;

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
    let geo = Geometry::new(op, x_shape, w_shape, opts)?;
    check_len(op, "x", x.len(), numel(op, &x_shape)?)?;
    check_len(op, "gy", gy.len(), geo.out_len(op)?)?;
    check_len(op, "grad_w", grad_w.len(), numel(op, &w_shape)?)?;
    let Geometry {
        n,
        c_out,
        k,
        p,
        cog,
        cig,
        ..
    } = geo;
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
    if k == 0 || cog == 0 {
        return Ok(());
    }
    let mut cols = vec![0.0f32; k * np];
    let mut gyg = vec![0.0f32; cog * np];
    let mut cols_n = vec![0.0f32; k * p];
    for gi in 0..opts.groups {
        for b in 0..n {
            super::conv::im2col_into(
                x,
                x_shape,
                b,
                gi * cig,
                cig,
                &geo.kernel,
                &geo.out,
                opts,
                &mut cols_n,
            );
            for r in 0..k {
                cols[r * np + b * p..r * np + (b + 1) * p]
                    .copy_from_slice(&cols_n[r * p..(r + 1) * p]);
            }
            for c in 0..cog {
                let src = &gy[(b * c_out + gi * cog + c) * p..(b * c_out + gi * cog + c + 1) * p];
                gyg[c * np + b * p..c * np + (b + 1) * p].copy_from_slice(src);
            }
        }
        // grad_w_g (cog x k) = gyg (cog x np) . cols^T (np x k): the chain runs over (n, p).
        matmul::matmul_strided(
            Isa::active(),
            &gyg,
            Strides::row_major(cog, np),
            &cols,
            Strides::transposed(k, np),
            &mut grad_w[gi * cog * k..(gi + 1) * cog * k],
            1,
            cog,
            np,
            k,
        )?;
    }
    Ok(())
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
    if k == 0 || p == 0 {
        return Ok(());
    }
    let [_, c_in, h, w] = x_shape;
    let [kh, kw] = geo.kernel;
    let [oh, ow] = geo.out;
    let mut dcol = vec![0.0f32; k * p];
    for b in 0..n {
        for gi in 0..opts.groups {
            // d_col (k x p) = w_g^T (k x cog) . gy_g (cog x p): the chain runs over co.
            matmul::matmul_strided(
                Isa::active(),
                &weight[gi * cog * k..(gi + 1) * cog * k],
                Strides::transposed(cog, k),
                &gy[(b * c_out + gi * cog) * p..(b * c_out + (gi + 1) * cog) * p],
                Strides::row_major(cog, p),
                &mut dcol,
                1,
                k,
                cog,
                p,
            )?;
            for ci in 0..cig {
                let c = gi * cig + ci;
                let plane = &mut grad_x[(b * c_in + c) * h * w..(b * c_in + c + 1) * h * w];
                for i in 0..kh {
                    for j in 0..kw {
                        let row =
                            &dcol[((ci * kh + i) * kw + j) * p..((ci * kh + i) * kw + j + 1) * p];
                        for y in 0..oh {
                            let Some(iy) = (y * opts.stride[0] + i * opts.dilation[0])
                                .checked_sub(opts.padding[0])
                            else {
                                continue;
                            };
                            if iy >= h {
                                continue;
                            }
                            for xo in 0..ow {
                                let Some(ix) = (xo * opts.stride[1] + j * opts.dilation[1])
                                    .checked_sub(opts.padding[1])
                                else {
                                    continue;
                                };
                                if ix < w {
                                    plane[iy * w + ix] += row[y * ow + xo];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Shapes shared by the backward ops.
struct Geometry {
    n: usize,
    c_out: usize,
    cig: usize,
    cog: usize,
    k: usize,
    p: usize,
    kernel: [usize; 2],
    out: [usize; 2],
}

impl Geometry {
    fn new(
        op: &'static str,
        x_shape: [usize; 4],
        w_shape: [usize; 4],
        opts: &Conv2dOptions,
    ) -> Result<Self, Error> {
        let [n, c_in, h, w] = x_shape;
        let [c_out, cig, kh, kw] = w_shape;
        let g = opts.groups;
        if g == 0 || c_in != cig * g || c_out % g != 0 {
            return Err(Error::shape(
                op,
                format!("input {x_shape:?}, weight {w_shape:?}, {g} groups do not fit"),
            ));
        }
        let out = output_size([h, w], [kh, kw], opts)?;
        Ok(Self {
            n,
            c_out,
            cig,
            cog: c_out / g,
            k: cig * kh * kw,
            p: out[0] * out[1],
            kernel: [kh, kw],
            out,
        })
    }

    fn out_len(&self, op: &'static str) -> Result<usize, Error> {
        numel(op, &[self.n, self.c_out, self.p])
    }
}
