//! conv2d as im2col + the canonical matmul, and 2-D max / average pooling as direct loops.
//!
//! **conv2d**: output `(n, co, oh, ow)` is the FMA chain, from `+0.0`, over the reduction
//! index `(ci, kh, kw)` of its group in ascending lexicographic order (`ci` slowest), of
//! `w[co][ci][kh][kw] * x[n][g*cig + ci][oh*sh - ph + kh*dh][ow*sw - pw + kw*dw]`, where a
//! position in the zero padding contributes `+0.0` as the `x` factor (it *is* a term of the
//! chain); then the bias, if any, is added with one IEEE `+`. im2col lays exactly this chain
//! out as the `k` axis of [`matmul`], whose per-output order is fixed.

use rayon::prelude::*;

use super::error::{Error, check_len, numel};
use super::im2col::im2col_into;
use super::matmul::{self, Strides};
use super::reduce;
use super::simd::Isa;
use super::window::PARALLEL_WORK;

pub use super::window::{Conv2dOptions, output_size};

/// Class: portable (canonical). 2-D convolution (cross-correlation, as Burn's `conv2d`) of
/// `x` `[n, c_in, h, w]` with `weight` `[c_out, c_in / groups, kh, kw]` and an optional
/// `bias` `[c_out]` into `out` `[n, c_out, oh, ow]` (module docs give the order).
///
/// Errors on any shape mismatch.
pub fn conv2d(
    x: &[f32],
    x_shape: [usize; 4],
    weight: &[f32],
    w_shape: [usize; 4],
    bias: Option<&[f32]>,
    opts: &Conv2dOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    let op = "conv2d";
    let [n, c_in, h, w] = x_shape;
    let [c_out, cig, kh, kw] = w_shape;
    let g = opts.groups;
    if g == 0 || c_in != cig * g || c_out % g != 0 {
        return Err(Error::shape(
            op,
            format!("input {x_shape:?}, weight {w_shape:?}, {g} groups do not fit"),
        ));
    }
    check_len(op, "x", x.len(), numel(op, &x_shape)?)?;
    check_len(op, "weight", weight.len(), numel(op, &w_shape)?)?;
    if let Some(b) = bias {
        check_len(op, "bias", b.len(), c_out)?;
    }
    let [oh, ow] = output_size([h, w], [kh, kw], opts)?;
    check_len(op, "out", out.len(), numel(op, &[n, c_out, oh, ow])?)?;
    let (k, p, cog) = (cig * kh * kw, oh * ow, c_out / g);
    if p == 0 || cog == 0 {
        return Ok(());
    }
    // Images are independent: one per task, each with its own im2col buffer. Every output's
    // chain is computed whole by one thread, so the bits do not depend on the split.
    let image = |cols: &mut Vec<f32>, (b, out_b): (usize, &mut [f32])| -> Result<(), Error> {
        for gi in 0..g {
            im2col_into(
                x,
                x_shape,
                b,
                gi * cig,
                cig,
                &[kh, kw],
                &[oh, ow],
                opts,
                cols,
            );
            let w_g = &weight[gi * cog * k..(gi + 1) * cog * k];
            matmul::matmul_strided(
                Isa::active(),
                w_g,
                Strides::row_major(cog, k),
                cols,
                Strides::row_major(k, p),
                &mut out_b[gi * cog * p..(gi + 1) * cog * p],
                1,
                cog,
                k,
                p,
            )?;
        }
        Ok(())
    };
    let cols = || vec![0.0f32; k * p];
    if n > 1 && n * c_out * k * p >= PARALLEL_WORK {
        out.par_chunks_mut(c_out * p)
            .enumerate()
            .try_for_each_init(cols, image)?;
    } else {
        let mut buf = cols();
        out.chunks_mut(c_out * p)
            .enumerate()
            .try_for_each(|t| image(&mut buf, t))?;
    }
    if let Some(bias) = bias {
        for (plane, &bv) in out.chunks_mut(p).zip(bias.iter().cycle()) {
            plane.iter_mut().for_each(|v| *v += bv);
        }
    }
    Ok(())
}

/// Class: portable (canonical). 2-D max pooling of `[n, c, h, w]` into `[n, c, oh, ow]`:
/// the max ([`reduce::max_all`]'s rules: order-free) of the window's in-bounds elements
/// (padding never wins, as with Burn's `-inf` padding). `opts.groups` is ignored.
pub fn max_pool2d(
    x: &[f32],
    x_shape: [usize; 4],
    kernel: [usize; 2],
    opts: &Conv2dOptions,
    out: &mut [f32],
) -> Result<(), Error> {
    pool("max_pool2d", x, x_shape, kernel, opts, out, |window| {
        reduce::max_all(window).unwrap_or(f32::NEG_INFINITY)
    })
}

/// Class: portable (canonical). 2-D average pooling: the window's in-bounds elements summed
/// in row-major order (`kh` then `kw` ascending) with IEEE `+` from `+0.0` (a window is short:
/// a plain chain, not the blocked sum), divided by the window size if `count_include_pad`,
/// else by the number of in-bounds elements (Burn's two modes).
pub fn avg_pool2d(
    x: &[f32],
    x_shape: [usize; 4],
    kernel: [usize; 2],
    opts: &Conv2dOptions,
    count_include_pad: bool,
    out: &mut [f32],
) -> Result<(), Error> {
    let full = (kernel[0] * kernel[1]) as f32;
    pool("avg_pool2d", x, x_shape, kernel, opts, out, |window| {
        let s = window.iter().fold(0.0f32, |acc, &v| acc + v);
        s / if count_include_pad {
            full
        } else {
            window.len() as f32
        }
    })
}

/// Shared loop of the pooling ops: `f(in-bounds window elements in row-major order)`.
fn pool(
    op: &'static str,
    x: &[f32],
    x_shape: [usize; 4],
    kernel: [usize; 2],
    opts: &Conv2dOptions,
    out: &mut [f32],
    f: impl Fn(&[f32]) -> f32,
) -> Result<(), Error> {
    let [n, c, h, w] = x_shape;
    check_len(op, "x", x.len(), numel(op, &x_shape)?)?;
    let [oh, ow] = output_size([h, w], kernel, opts)?;
    check_len(op, "out", out.len(), numel(op, &[n, c, oh, ow])?)?;
    let mut window = Vec::with_capacity(kernel[0] * kernel[1]);
    for (pi, plane) in x.chunks(h * w.max(1)).enumerate().take(n * c) {
        for y in 0..oh {
            for xo in 0..ow {
                window.clear();
                for i in 0..kernel[0] {
                    let iy =
                        (y * opts.stride[0] + i * opts.dilation[0]).checked_sub(opts.padding[0]);
                    for j in 0..kernel[1] {
                        let ix = (xo * opts.stride[1] + j * opts.dilation[1])
                            .checked_sub(opts.padding[1]);
                        if let (Some(iy), Some(ix)) = (iy, ix)
                            && iy < h
                            && ix < w
                        {
                            window.push(plane[iy * w + ix]);
                        }
                    }
                }
                out[(pi * oh + y) * ow + xo] = f(&window);
            }
        }
    }
    Ok(())
}
