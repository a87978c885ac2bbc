//! im2col: the rows of the matrix whose `k` axis is conv2d's reduction index `(ci, kh, kw)`
//! and whose columns are the output positions `(oh, ow)`, and the index arithmetic that
//! col2im (the input gradient) shares. Pure data movement: the padding reads as `+0.0`.

use super::window::Conv2dOptions;

/// The output positions of one axis whose input index `o * stride + tap * dilation - padding`
/// lies in `0..len`: `lo..hi` (empty when none does), for `out` positions in all.
#[inline]
pub(crate) fn valid(
    out: usize,
    len: usize,
    tap: usize,
    [stride, dilation, padding]: [usize; 3],
) -> (usize, usize) {
    let off = tap * dilation;
    let lo = padding.saturating_sub(off).div_ceil(stride);
    let hi = (len + padding)
        .saturating_sub(off)
        .div_ceil(stride)
        .min(out);
    (lo.min(hi), hi)
}

/// The three numbers of axis `d` (0: height, 1: width) that [`valid`] takes.
#[inline]
pub(crate) fn axis(opts: &Conv2dOptions, d: usize) -> [usize; 3] {
    [opts.stride[d], opts.dilation[d], opts.padding[d]]
}

/// Row `(i, j)` (kernel tap) of one `[h, w]` channel plane's im2col matrix:
/// `row[y * ow + xo]` is `plane[y*sh + i*dh - ph][xo*sw + j*dw - pw]`, or `+0.0` in the padding.
pub(crate) fn im2col_row(
    plane: &[f32],
    [h, w]: [usize; 2],
    [i, j]: [usize; 2],
    [oh, ow]: [usize; 2],
    opts: &Conv2dOptions,
    row: &mut [f32],
) {
    let (ylo, yhi) = valid(oh, h, i, axis(opts, 0));
    let (xlo, xhi) = valid(ow, w, j, axis(opts, 1));
    let [sy, sx] = opts.stride;
    let (oy, ox) = (i * opts.dilation[0], j * opts.dilation[1]);
    row[..ylo * ow].fill(0.0);
    row[yhi * ow..oh * ow].fill(0.0);
    for y in ylo..yhi {
        let src = &plane[(y * sy + oy - opts.padding[0]) * w..][..w];
        let dst = &mut row[y * ow..(y + 1) * ow];
        dst[..xlo].fill(0.0);
        dst[xhi..].fill(0.0);
        if sx == 1 {
            let s0 = xlo + ox - opts.padding[1];
            dst[xlo..xhi].copy_from_slice(&src[s0..s0 + (xhi - xlo)]);
        } else {
            for (xo, d) in dst.iter_mut().enumerate().take(xhi).skip(xlo) {
                *d = src[xo * sx + ox - opts.padding[1]];
            }
        }
    }
}

/// Fills the `cig * kh * kw` x `oh * ow` im2col matrix of batch `b`, channels `c0..c0+cig`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn im2col_into(
    x: &[f32],
    [_, c_in, h, w]: [usize; 4],
    b: usize,
    c0: usize,
    cig: usize,
    &[kh, kw]: &[usize; 2],
    out: &[usize; 2],
    opts: &Conv2dOptions,
    cols: &mut [f32],
) {
    let p = out[0] * out[1];
    for ci in 0..cig {
        let plane = &x[((b * c_in) + c0 + ci) * h * w..][..h * w];
        for i in 0..kh {
            for j in 0..kw {
                let r = (ci * kh + i) * kw + j;
                im2col_row(
                    plane,
                    [h, w],
                    [i, j],
                    *out,
                    opts,
                    &mut cols[r * p..(r + 1) * p],
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, element by element.
    fn naive(
        plane: &[f32],
        hw: [usize; 2],
        ij: [usize; 2],
        o: [usize; 2],
        opts: &Conv2dOptions,
    ) -> Vec<f32> {
        let mut row = Vec::new();
        for y in 0..o[0] {
            for xo in 0..o[1] {
                let iy =
                    (y * opts.stride[0] + ij[0] * opts.dilation[0]).checked_sub(opts.padding[0]);
                let ix =
                    (xo * opts.stride[1] + ij[1] * opts.dilation[1]).checked_sub(opts.padding[1]);
                row.push(match (iy, ix) {
                    (Some(iy), Some(ix)) if iy < hw[0] && ix < hw[1] => plane[iy * hw[1] + ix],
                    _ => 0.0,
                });
            }
        }
        row
    }

    #[test]
    fn rows_equal_the_definition_for_every_geometry() {
        for (h, w) in [(1, 1), (5, 7), (6, 4)] {
            let plane: Vec<f32> = (0..h * w).map(|v| v as f32 + 1.0).collect();
            for stride in [[1, 1], [2, 3]] {
                for dilation in [[1, 1], [2, 1]] {
                    for padding in [[0, 0], [1, 2], [3, 0]] {
                        for k in [[1, 1], [3, 2], [2, 3]] {
                            let opts = Conv2dOptions {
                                stride,
                                padding,
                                dilation,
                                groups: 1,
                            };
                            let Ok(o) = super::super::window::output_size([h, w], k, &opts) else {
                                continue;
                            };
                            for i in 0..k[0] {
                                for j in 0..k[1] {
                                    let mut row = vec![f32::NAN; o[0] * o[1]];
                                    im2col_row(&plane, [h, w], [i, j], o, &opts, &mut row);
                                    let want = naive(&plane, [h, w], [i, j], o, &opts);
                                    assert_eq!(row, want, "{h}x{w} {opts:?} tap {i},{j}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
