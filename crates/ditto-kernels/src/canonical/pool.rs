//! Max pooling with indices (and its gradient) and adaptive average pooling (and its
//! gradient). Average pooling and the index-free max pooling are in [`super::conv`].

use rayon::prelude::*;

use super::conv::{Conv2dOptions, output_size};
use super::error::{Error, check_len, numel};

/// `a` ranks strictly above `b` for max: NaN above everything, `+0.0` above `-0.0`.
fn greater(a: f32, b: f32) -> bool {
    if a.is_nan() {
        return !b.is_nan();
    }
    if b.is_nan() {
        return false;
    }
    a > b || (a == b && a.is_sign_positive() && b.is_sign_negative())
}

/// `greater`'s order as integers: `greater(a, b) == (rank(a) > rank(b))`. Every NaN ranks
/// `i32::MAX`; other values rank by their bits with the magnitude bits of negative values
/// flipped (so `-0.0` ranks -1, just below `+0.0`).
#[inline(always)]
fn rank(v: f32) -> i32 {
    let b = v.to_bits() as i32;
    let r = b ^ (((b >> 31) as u32) >> 1) as i32;
    // A select, not a branch: the scans below stay branch-free.
    if v.is_nan() { i32::MAX } else { r }
}

/// The value of a rank: the canonical quiet NaN for `i32::MAX`, else the inverse of `rank`
/// (the same bit flip).
#[inline(always)]
fn unrank(r: i32) -> f32 {
    if r == i32::MAX {
        return f32::NAN;
    }
    f32::from_bits((r ^ (((r >> 31) as u32) >> 1) as i32) as u32)
}

/// The scan of `max_pool2d_with_indices` for 2x2 windows at stride 2 without padding (the
/// usual pooling layer), written over row pairs without index arithmetic or bounds tests so
/// that it vectorises: the taps in scan order, `rank`s compared strictly, two selects each.
fn pool_2x2(plane: &[f32], w: usize, ow: usize, out: &mut [f32], indices: &mut [i64]) {
    let rows = out.chunks_exact_mut(ow).zip(indices.chunks_exact_mut(ow));
    for (y, (out, indices)) in rows.enumerate() {
        let top = &plane[2 * y * w..][..2 * ow];
        let bottom = &plane[(2 * y + 1) * w..][..2 * ow];
        let base = (2 * y * w) as i64;
        let taps = top.chunks_exact(2).zip(bottom.chunks_exact(2));
        for (xo, ((o, i), (t, b))) in out.iter_mut().zip(indices.iter_mut()).zip(taps).enumerate() {
            let mut best = rank(t[0]);
            let mut at = 0i64;
            for (r, k) in [
                (rank(t[1]), 1),
                (rank(b[0]), w as i64),
                (rank(b[1]), w as i64 + 1),
            ] {
                let gt = r > best;
                best = if gt { r } else { best };
                at = if gt { k } else { at };
            }
            *o = unrank(best);
            *i = base + 2 * xo as i64 + at;
        }
    }
}

/// Class: portable (canonical). 2-D max pooling of `[n, c, h, w]` into `[n, c, oh, ow]` with
/// the index (`iy * w + ix` in the input plane) of each maximum. The window's in-bounds
/// elements are scanned in row-major `(kh, kw)` order, which is ascending index order; the
/// value is the first element no later one ranks strictly above (NaN above everything, `+0.0`
/// above `-0.0`), so the index is the smallest holding the maximum, and with a NaN the first
/// NaN (whose value is returned as `0x7fc00000`). A window without in-bounds elements gives
/// `-inf` and index 0. `opts.groups` is ignored.
pub fn max_pool2d_with_indices(
    x: &[f32],
    x_shape: [usize; 4],
    kernel: [usize; 2],
    opts: &Conv2dOptions,
    out: &mut [f32],
    indices: &mut [i64],
) -> Result<(), Error> {
    let op = "max_pool2d_with_indices";
    let [n, c, h, w] = x_shape;
    check_len(op, "x", x.len(), numel(op, &x_shape)?)?;
    let [oh, ow] = output_size([h, w], kernel, opts)?;
    let len = numel(op, &[n, c, oh, ow])?;
    check_len(op, "out", out.len(), len)?;
    check_len(op, "indices", indices.len(), len)?;
    if len == 0 {
        return Ok(());
    }
    // Planes are independent; each output is one window's scan, whichever thread runs it.
    let per = oh * ow;
    let plane = |(p, (out, indices)): (usize, (&mut [f32], &mut [i64]))| {
        let plane = &x[p * h * w..(p + 1) * h * w];
        if opts.padding == [0, 0] {
            // Every tap is in bounds (`output_size` checked the last window fits): the same
            // scan without the bounds tests.
            let ([sy, sx], [dy, dx]) = (opts.stride, opts.dilation);
            if kernel == [2, 2] && [sy, sx] == [2, 2] && [dy, dx] == [1, 1] {
                pool_2x2(plane, w, ow, out, indices);
                return;
            }
            // `greater` as one integer comparison on `rank`s, and the update as two selects:
            // which tap wins is data-dependent, so a branch would be mispredicted often.
            for y in 0..oh {
                for xo in 0..ow {
                    let mut at = y * sy * w + xo * sx;
                    let mut best = rank(plane[at]);
                    for i in 0..kernel[0] {
                        let row = (y * sy + i * dy) * w + xo * sx;
                        for j in 0..kernel[1] {
                            let tap = row + j * dx;
                            let r = rank(plane[tap]);
                            let gt = r > best;
                            best = if gt { r } else { best };
                            at = if gt { tap } else { at };
                        }
                    }
                    out[y * ow + xo] = unrank(best);
                    indices[y * ow + xo] = at as i64;
                }
            }
            return;
        }
        for y in 0..oh {
            for xo in 0..ow {
                let (mut best, mut at) = (f32::NEG_INFINITY, None::<usize>);
                for i in 0..kernel[0] {
                    let Some(iy) =
                        (y * opts.stride[0] + i * opts.dilation[0]).checked_sub(opts.padding[0])
                    else {
                        continue;
                    };
                    if iy >= h {
                        continue;
                    }
                    for j in 0..kernel[1] {
                        let Some(ix) = (xo * opts.stride[1] + j * opts.dilation[1])
                            .checked_sub(opts.padding[1])
                        else {
                            continue;
                        };
                        if ix >= w {
                            continue;
                        }
                        let v = plane[iy * w + ix];
                        if at.is_none() || greater(v, best) {
                            best = v;
                            at = Some(iy * w + ix);
                        }
                    }
                }
                let o = y * ow + xo;
                out[o] = if best.is_nan() { f32::NAN } else { best };
                indices[o] = at.unwrap_or(0) as i64;
            }
        }
    };
    if len * kernel[0] * kernel[1] >= 1 << 16 {
        out.par_chunks_mut(per)
            .zip(indices.par_chunks_mut(per))
            .enumerate()
            .for_each(plane);
    } else {
        out.chunks_mut(per)
            .zip(indices.chunks_mut(per))
            .enumerate()
            .for_each(plane);
    }
    Ok(())
}

/// Class: portable (canonical). Gradient of max pooling: `gx` (`[n, c, h, w]`) starts at
/// `+0.0`; for each output `(oh, ow)` of each plane in ascending order, `gx[index] += gy` (one
/// IEEE `+`). `gy` and `indices` are `[n, c, oh, ow]`. Errors on an index outside the plane.
pub fn max_pool2d_backward(
    gy: &[f32],
    indices: &[i64],
    x_shape: [usize; 4],
    gx: &mut [f32],
) -> Result<(), Error> {
    let op = "max_pool2d_backward";
    let [n, c, h, w] = x_shape;
    check_len(op, "gx", gx.len(), numel(op, &x_shape)?)?;
    check_len(op, "indices", indices.len(), gy.len())?;
    let planes = n * c;
    gx.fill(0.0);
    if planes == 0 {
        return Ok(());
    }
    let per = gy.len() / planes;
    check_len(op, "gy", gy.len(), per * planes)?;
    for p in 0..planes {
        for o in 0..per {
            let t = indices[p * per + o];
            if t < 0 || t as usize >= h * w {
                return Err(Error::new(
                    super::ErrorKind::Index,
                    op,
                    format!("index {t} outside a {h}x{w} plane"),
                ));
            }
            gx[p * h * w + t as usize] += gy[p * per + o];
        }
    }
    Ok(())
}

/// The adaptive window of output `i` of `out` over an axis of `len`: Burn's
/// `[floor(i * len / out), ceil((i + 1) * len / out))`.
fn window(i: usize, len: usize, out: usize) -> (usize, usize) {
    ((i * len) / out, ((i + 1) * len).div_ceil(out))
}

/// Class: portable (canonical). Adaptive average pooling of `[n, c, h, w]` into
/// `[n, c, oh, ow]`: output `(y, x)` averages rows `[floor(y h / oh), ceil((y + 1) h / oh))` and
/// the same for columns: `acc = +0.0; acc = acc + v` in row-major order, then one IEEE
/// division by the element count rounded to f32.
pub fn adaptive_avg_pool2d(
    x: &[f32],
    x_shape: [usize; 4],
    out_hw: [usize; 2],
    out: &mut [f32],
) -> Result<(), Error> {
    let op = "adaptive_avg_pool2d";
    let [n, c, h, w] = x_shape;
    let [oh, ow] = out_hw;
    check_len(op, "x", x.len(), numel(op, &x_shape)?)?;
    check_len(op, "out", out.len(), numel(op, &[n, c, oh, ow])?)?;
    for p in 0..n * c {
        let plane = &x[p * h * w..(p + 1) * h * w];
        for y in 0..oh {
            let (r0, r1) = window(y, h, oh);
            for xo in 0..ow {
                let (c0, c1) = window(xo, w, ow);
                let mut acc = 0.0f32;
                for r in r0..r1 {
                    for col in c0..c1 {
                        acc += plane[r * w + col];
                    }
                }
                out[(p * oh + y) * ow + xo] = acc / ((r1 - r0) * (c1 - c0)) as f32;
            }
        }
    }
    Ok(())
}

/// Class: portable (canonical). Gradient of adaptive average pooling: `gx` starts at `+0.0`;
/// for each output `(y, x)` in ascending order, `v = gy / count` (one IEEE division) is added
/// with one IEEE `+` to every element of its window, row-major.
pub fn adaptive_avg_pool2d_backward(
    gy: &[f32],
    out_hw: [usize; 2],
    x_shape: [usize; 4],
    gx: &mut [f32],
) -> Result<(), Error> {
    let op = "adaptive_avg_pool2d_backward";
    let [n, c, h, w] = x_shape;
    let [oh, ow] = out_hw;
    check_len(op, "gx", gx.len(), numel(op, &x_shape)?)?;
    check_len(op, "gy", gy.len(), numel(op, &[n, c, oh, ow])?)?;
    gx.fill(0.0);
    for p in 0..n * c {
        let dst = &mut gx[p * h * w..(p + 1) * h * w];
        for y in 0..oh {
            let (r0, r1) = window(y, h, oh);
            for xo in 0..ow {
                let (c0, c1) = window(xo, w, ow);
                let v = gy[(p * oh + y) * ow + xo] / ((r1 - r0) * (c1 - c0)) as f32;
                for r in r0..r1 {
                    for col in c0..c1 {
                        dst[r * w + col] += v;
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod value_stability {
    use super::*;

    /// The 2x2 / stride 2 path against the definition (scan in row-major order, `greater`),
    /// on planes of odd sizes (a last row and column no window covers) full of ties, signed
    /// zeros and NaNs of several payloads.
    #[test]
    fn two_by_two_path_is_the_scan() {
        let pick = [
            1.0,
            -1.0,
            0.0,
            -0.0,
            2.0,
            f32::NAN,
            -f32::NAN,
            f32::from_bits(0x7f80_0001),
        ];
        let (n, c, h, w) = (2, 3, 7, 9);
        let mut seed = 7u32;
        let x: Vec<f32> = (0..n * c * h * w)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                pick[(seed >> 13) as usize % pick.len()]
            })
            .collect();
        let opts = Conv2dOptions {
            stride: [2, 2],
            ..Default::default()
        };
        let (oh, ow) = (h / 2, w / 2);
        let (mut out, mut idx) = (vec![0f32; n * c * oh * ow], vec![0i64; n * c * oh * ow]);
        max_pool2d_with_indices(&x, [n, c, h, w], [2, 2], &opts, &mut out, &mut idx).unwrap();
        for p in 0..n * c {
            let plane = &x[p * h * w..(p + 1) * h * w];
            for y in 0..oh {
                for xo in 0..ow {
                    let mut at = 2 * y * w + 2 * xo;
                    for tap in [at + 1, at + w, at + w + 1] {
                        if greater(plane[tap], plane[at]) {
                            at = tap;
                        }
                    }
                    let o = p * oh * ow + y * ow + xo;
                    assert_eq!(idx[o], at as i64, "plane {p} ({y}, {xo})");
                    let want = if plane[at].is_nan() {
                        0x7fc0_0000
                    } else {
                        plane[at].to_bits()
                    };
                    assert_eq!(out[o].to_bits(), want, "plane {p} ({y}, {xo})");
                }
            }
        }
    }

    #[test]
    fn golden_values() {
        // One 3x3 plane, 2x2 windows, stride 1: ties take the smallest index, NaN wins, +0 > -0.
        let x = [1.0, 3.0, 3.0, -0.0, 0.0, 2.0, f32::NAN, 5.0, 5.0];
        let opts = Conv2dOptions::default();
        let (mut out, mut idx) = ([0f32; 4], [0i64; 4]);
        max_pool2d_with_indices(&x, [1, 1, 3, 3], [2, 2], &opts, &mut out, &mut idx).unwrap();
        assert_eq!(out[..2], [3.0, 3.0]);
        assert_eq!(out[2].to_bits(), 0x7fc0_0000);
        assert_eq!(out[3], 5.0);
        assert_eq!(idx, [1, 1, 6, 7]);
        // The same plane padded by 1, 2x2 windows, stride 2: padding never wins.
        let padded = Conv2dOptions {
            stride: [2, 2],
            padding: [1, 1],
            ..Default::default()
        };
        let (mut po, mut pi) = ([0f32; 4], [0i64; 4]);
        max_pool2d_with_indices(&x, [1, 1, 3, 3], [2, 2], &padded, &mut po, &mut pi).unwrap();
        assert_eq!(
            (po[0], po[1], po[2].to_bits(), po[3]),
            (1.0, 3.0, 0x7fc0_0000, 5.0)
        );
        assert_eq!(pi, [0, 1, 6, 7]);
        let mut gx = [9f32; 9];
        max_pool2d_backward(&[1.0, 0.5, 0.25, 0.125], &idx, [1, 1, 3, 3], &mut gx).unwrap();
        assert_eq!(gx, [0.0, 1.5, 0.0, 0.0, 0.0, 0.0, 0.25, 0.125, 0.0]);
        assert!(max_pool2d_backward(&[1.0], &[9], [1, 1, 3, 3], &mut gx).is_err());
        let (mut z, mut zi) = ([0f32; 1], [0i64; 1]);
        max_pool2d_with_indices(&[-0.0, 0.0], [1, 1, 1, 2], [1, 2], &opts, &mut z, &mut zi)
            .unwrap();
        assert_eq!((z[0].to_bits(), zi[0]), (0, 1));

        // `rank` orders as `greater` does, and `unrank` inverts it.
        let vals = [
            f32::NEG_INFINITY,
            -f32::MAX,
            -1.5,
            -f32::MIN_POSITIVE,
            -f32::from_bits(1),
            -0.0,
            0.0,
            f32::from_bits(1),
            1.0,
            f32::MAX,
            f32::INFINITY,
            f32::NAN,
            -f32::NAN,
            f32::from_bits(0x7f80_0001),
        ];
        for &a in &vals {
            let back = unrank(rank(a));
            if a.is_nan() {
                assert_eq!(back.to_bits(), 0x7fc0_0000);
            } else {
                assert_eq!(back.to_bits(), a.to_bits());
            }
            for &b in &vals {
                assert_eq!(greater(a, b), rank(a) > rank(b), "{a:e} vs {b:e}");
            }
        }

        // 5 -> 3 adaptive windows: [0, 2), [1, 4), [3, 5).
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let mut out = [0f32; 3];
        adaptive_avg_pool2d(&x, [1, 1, 1, 5], [1, 3], &mut out).unwrap();
        assert_eq!(out, [1.5, 3.0, 4.5]);
        let mut gx = [0f32; 5];
        adaptive_avg_pool2d_backward(&[3.0, 3.0, 1.0], [1, 3], [1, 1, 1, 5], &mut gx).unwrap();
        assert_eq!(gx, [1.5, 2.5, 1.0, 1.5, 0.5]);
    }
}
