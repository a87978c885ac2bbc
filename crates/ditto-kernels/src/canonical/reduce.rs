//! Canonical reductions: sum and mean in a fixed blocked order; max, min, argmax and argmin
//! defined so that the order does not matter at all.
//!
//! **Sum of a sequence `x[0..L)`** (every sum in ditto's canonical mode, whatever the layout):
//! 1. cut the sequence into chunks of [`CHUNK`] elements (the last one shorter);
//! 2. in each chunk, lane `j` (of [`LANES`]) accumulates the chunk's elements `j, j + 32,
//!    j + 64, ...` in ascending order with IEEE `+`, starting from `+0.0`;
//! 3. the 32 lane sums are combined by the level-wise pairwise tree ([`tree_sum`]);
//! 4. the chunk sums are combined by the same tree; an empty sequence sums to `+0.0`.
//!
//! Chunks are independent, so threads may take any of them: the bits never change.

use rayon::prelude::*;

use super::error::{Error, ErrorKind, check_len, numel};
use super::simd::{Isa, dispatch};

/// Class: portable (canonical). Elements per chunk of a canonical sum.
pub const CHUNK: usize = 4096;
/// Class: portable (canonical). Strided lane accumulators inside a chunk.
pub const LANES: usize = 32;

/// Class: portable (canonical). A tensor seen as `[outer, len, inner]` (row-major, dense),
/// reduced along the middle axis of length `len`; the output is `[outer, inner]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Axis {
    /// Product of the dimensions before the reduced one.
    pub outer: usize,
    /// Length of the reduced dimension.
    pub len: usize,
    /// Product of the dimensions after the reduced one.
    pub inner: usize,
}

impl Axis {
    /// Class: portable (canonical). The axis `dim` of a dense row-major tensor of `shape`.
    ///
    /// Errors if `dim` is out of range or the shape overflows.
    pub fn of(shape: &[usize], dim: usize) -> Result<Self, Error> {
        if dim >= shape.len() {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "reduce",
                format!("dim {dim} of a rank-{} shape", shape.len()),
            ));
        }
        Ok(Self {
            outer: numel("reduce", &shape[..dim])?,
            len: shape[dim],
            inner: numel("reduce", &shape[dim + 1..])?,
        })
    }
}

/// Class: portable (canonical). The level-wise pairwise tree: while more than one value is
/// left, replace `v` by `[v0 + v1, v2 + v3, ...]`, an odd last value carried up unchanged.
/// Zero values give `+0.0`.
pub fn tree_sum(v: &[f32]) -> f32 {
    match v.len() {
        0 => 0.0,
        1 => v[0],
        n if n <= 64 => {
            let mut buf = [0.0f32; 64];
            buf[..n].copy_from_slice(v);
            tree_in_place(&mut buf[..n])
        }
        _ => tree_in_place(&mut v.to_vec()),
    }
}

/// Class: portable (canonical). The canonical sum of all elements (module docs).
pub fn sum_all(x: &[f32]) -> f32 {
    sum_all_with(Isa::active(), x)
}

/// Class: portable (canonical). [`sum_all`] on an explicit instruction set (same bits).
pub fn sum_all_with(isa: Isa, x: &[f32]) -> f32 {
    if x.len() <= CHUNK {
        // One chunk (or none): the tree of a single chunk sum is that sum.
        return if x.is_empty() { 0.0 } else { chunk_sum(isa, x) };
    }
    let chunks: Vec<f32> = if x.len() >= 16 * CHUNK {
        x.par_chunks(CHUNK).map(|c| chunk_sum(isa, c)).collect()
    } else {
        x.chunks(CHUNK).map(|c| chunk_sum(isa, c)).collect()
    };
    tree_sum(&chunks)
}

/// Class: portable (canonical). `sum_all(x) / (x.len() as f32)` (IEEE division; the count
/// rounded to f32). The mean of nothing is NaN.
pub fn mean_all(x: &[f32]) -> f32 {
    sum_all(x) / x.len() as f32
}

/// Class: portable (canonical). `out[o][i] = ` the canonical sum of `x[o][0..len][i]`.
///
/// Errors if `x` is not `outer * len * inner` or `out` not `outer * inner` long.
pub fn sum_dim(x: &[f32], axis: Axis, out: &mut [f32]) -> Result<(), Error> {
    sum_dim_with(Isa::active(), x, axis, out)
}

/// Class: portable (canonical). [`sum_dim`] on an explicit instruction set (same bits).
pub fn sum_dim_with(isa: Isa, x: &[f32], axis: Axis, out: &mut [f32]) -> Result<(), Error> {
    check_axis("sum_dim", x, axis, out)?;
    let Axis { len, inner, .. } = axis;
    if inner == 1 {
        out.par_iter_mut()
            .with_min_len(64)
            .enumerate()
            .for_each(|(o, r)| *r = sum_all_with(isa, &x[o * len..(o + 1) * len]));
        return Ok(());
    }
    out.par_chunks_mut(inner)
        .enumerate()
        .for_each(|(o, out_row)| {
            let xo = &x[o * len * inner..(o + 1) * len * inner];
            out_row
                .par_chunks_mut(INNER_BLOCK)
                .enumerate()
                .for_each(|(ib, dst)| strided_sums(isa, xo, len, inner, ib * INNER_BLOCK, dst));
        });
    Ok(())
}

/// Class: portable (canonical). [`sum_dim`], then each output divided by `len as f32`.
pub fn mean_dim(x: &[f32], axis: Axis, out: &mut [f32]) -> Result<(), Error> {
    sum_dim(x, axis, out)?;
    let count = axis.len as f32;
    out.iter_mut().for_each(|v| *v /= count);
    Ok(())
}

/// Class: portable (canonical). The maximum of all elements. Order-free by definition: any
/// NaN gives the quiet NaN `0x7fc00000`; `+0.0` counts as greater than `-0.0`.
///
/// Errors on an empty input.
pub fn max_all(x: &[f32]) -> Result<f32, Error> {
    extreme_all("max_all", x, greater)
}

/// Class: portable (canonical). The minimum of all elements, with the rules of [`max_all`]
/// mirrored (`-0.0` is less than `+0.0`).
pub fn min_all(x: &[f32]) -> Result<f32, Error> {
    extreme_all("min_all", x, |a, b| greater(b, a))
}

/// Class: portable (canonical). `out[o][i] = ` the maximum of `x[o][0..len][i]` (rules of
/// [`max_all`]). Errors on a shape mismatch or `len == 0`.
pub fn max_dim(x: &[f32], axis: Axis, out: &mut [f32]) -> Result<(), Error> {
    extreme_dim("max_dim", x, axis, out, greater)
}

/// Class: portable (canonical). `out[o][i] = ` the minimum of `x[o][0..len][i]` (rules of
/// [`min_all`]).
pub fn min_dim(x: &[f32], axis: Axis, out: &mut [f32]) -> Result<(), Error> {
    extreme_dim("min_dim", x, axis, out, |a, b| greater(b, a))
}

/// Class: portable (canonical). `out[o][i] = ` the smallest index `r` at which
/// `x[o][r][i]` is the maximum (rules of [`max_all`]; with a NaN, the first NaN).
pub fn argmax_dim(x: &[f32], axis: Axis, out: &mut [usize]) -> Result<(), Error> {
    arg_dim("argmax_dim", x, axis, out, greater)
}

/// Class: portable (canonical). As [`argmax_dim`], for the minimum.
pub fn argmin_dim(x: &[f32], axis: Axis, out: &mut [usize]) -> Result<(), Error> {
    arg_dim("argmin_dim", x, axis, out, |a, b| greater(b, a))
}

/// Columns of `inner` reduced together by one task of a strided `sum_dim`.
const INNER_BLOCK: usize = 256;

fn check_axis<T>(op: &'static str, x: &[f32], axis: Axis, out: &[T]) -> Result<(), Error> {
    check_len(
        op,
        "x",
        x.len(),
        numel(op, &[axis.outer, axis.len, axis.inner])?,
    )?;
    check_len(op, "out", out.len(), numel(op, &[axis.outer, axis.inner])?)
}

/// One chunk's 32 lane sums, combined by the tree.
fn chunk_sum(isa: Isa, c: &[f32]) -> f32 {
    let lanes = dispatch(isa, || {
        let mut acc = [0.0f32; LANES];
        let mut it = c.chunks_exact(LANES);
        for row in &mut it {
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += v;
            }
        }
        for (a, &v) in acc.iter_mut().zip(it.remainder()) {
            *a += v;
        }
        acc
    });
    tree32(lanes)
}

/// [`tree_sum`] of exactly [`LANES`] values (a power of two: no odd value is carried), on a
/// fixed-size array the compiler can unroll.
#[inline(always)]
fn tree32(mut v: [f32; LANES]) -> f32 {
    let mut len = LANES;
    while len > 1 {
        len /= 2;
        for i in 0..len {
            v[i] = v[2 * i] + v[2 * i + 1];
        }
    }
    v[0]
}

/// Canonical sums of columns `i0 .. i0 + dst.len()` of a `len x inner` row-major block.
fn strided_sums(isa: Isa, x: &[f32], len: usize, inner: usize, i0: usize, dst: &mut [f32]) {
    let w = dst.len();
    let nchunks = len.div_ceil(CHUNK);
    let mut chunk_sums = vec![0.0f32; nchunks * w];
    let mut lanes = vec![0.0f32; LANES * w];
    let mut col = vec![0.0f32; LANES.max(nchunks)];
    for c in 0..nchunks {
        let r0 = c * CHUNK;
        let r1 = len.min(r0 + CHUNK);
        lanes.fill(0.0);
        dispatch(isa, || {
            for r in r0..r1 {
                let lane = &mut lanes[((r - r0) % LANES) * w..((r - r0) % LANES + 1) * w];
                let src = &x[r * inner + i0..r * inner + i0 + w];
                for (a, &v) in lane.iter_mut().zip(src) {
                    *a += v;
                }
            }
        });
        for i in 0..w {
            for (j, v) in col[..LANES].iter_mut().enumerate() {
                *v = lanes[j * w + i];
            }
            chunk_sums[c * w + i] = tree_sum(&col[..LANES]);
        }
    }
    for (i, d) in dst.iter_mut().enumerate() {
        for (c, v) in col[..nchunks].iter_mut().enumerate() {
            *v = chunk_sums[c * w + i];
        }
        *d = tree_sum(&col[..nchunks]);
    }
}

/// `a` ranks strictly above `b` for max: NaN above everything, `+0.0` above `-0.0`.
#[inline(always)]
fn greater(a: f32, b: f32) -> bool {
    if a.is_nan() {
        return !b.is_nan();
    }
    if b.is_nan() {
        return false;
    }
    a > b || (a == b && a.is_sign_positive() && b.is_sign_negative())
}

fn canon_nan(v: f32) -> f32 {
    if v.is_nan() { f32::NAN } else { v }
}

fn extreme_all(op: &'static str, x: &[f32], above: fn(f32, f32) -> bool) -> Result<f32, Error> {
    let (&first, rest) = x
        .split_first()
        .ok_or_else(|| Error::new(ErrorKind::Empty, op, "no elements"))?;
    Ok(canon_nan(
        rest.iter()
            .fold(first, |m, &v| if above(v, m) { v } else { m }),
    ))
}

fn extreme_dim(
    op: &'static str,
    x: &[f32],
    axis: Axis,
    out: &mut [f32],
    above: fn(f32, f32) -> bool,
) -> Result<(), Error> {
    let mut idx = vec![0usize; out.len()];
    arg_dim(op, x, axis, &mut idx, above)?;
    for (o, (d, &r)) in out.iter_mut().zip(&idx).enumerate() {
        let (oo, i) = (o / axis.inner, o % axis.inner);
        *d = canon_nan(x[(oo * axis.len + r) * axis.inner + i]);
    }
    Ok(())
}

fn arg_dim(
    op: &'static str,
    x: &[f32],
    axis: Axis,
    out: &mut [usize],
    above: fn(f32, f32) -> bool,
) -> Result<(), Error> {
    check_axis(op, x, axis, out)?;
    let Axis { len, inner, .. } = axis;
    if len == 0 && !out.is_empty() {
        return Err(Error::new(
            ErrorKind::Empty,
            op,
            "reduced axis has length 0",
        ));
    }
    out.par_chunks_mut(inner).enumerate().for_each(|(o, dst)| {
        let xo = &x[o * len * inner..(o + 1) * len * inner];
        let mut best: Vec<f32> = xo[..inner].to_vec();
        dst.fill(0);
        for r in 1..len {
            let row = &xo[r * inner..(r + 1) * inner];
            for i in 0..inner {
                if above(row[i], best[i]) {
                    best[i] = row[i];
                    dst[i] = r;
                }
            }
        }
    });
    Ok(())
}

/// [`tree_sum`] of a non-empty buffer, overwriting it.
fn tree_in_place(level: &mut [f32]) -> f32 {
    let mut len = level.len();
    while len > 1 {
        let half = len.div_ceil(2);
        for i in 0..half {
            level[i] = if 2 * i + 1 < len {
                level[2 * i] + level[2 * i + 1]
            } else {
                level[2 * i]
            };
        }
        len = half;
    }
    level[0]
}

#[cfg(test)]
mod value_stability {
    use super::*;

    #[test]
    fn fixed_tree_and_one_chunk_shortcut_match_the_definition() {
        // Magnitudes far apart, so that any change of pairing changes the bits.
        let v: [f32; LANES] =
            std::array::from_fn(|i| ((i as f32) * 0.37).sin() * 10f32.powi((i % 9) as i32 - 4));
        assert_eq!(
            tree32(v).to_bits(),
            tree_in_place(&mut v.to_vec()).to_bits()
        );
        let mut neg = [-0.0f32; LANES];
        assert_eq!(tree32(neg).to_bits(), (-0.0f32).to_bits());
        neg[7] = 0.0;
        assert_eq!(tree32(neg).to_bits(), 0);
        // sum_all's one-chunk shortcut against the full definition (chunks, then the tree).
        let x: Vec<f32> = (0..CHUNK)
            .map(|i| ((i as f32) * 0.11).cos() * 10f32.powi((i % 7) as i32 - 3))
            .collect();
        for len in [1, 31, 33, 1000, CHUNK] {
            let by_definition = tree_sum(
                &x[..len]
                    .chunks(CHUNK)
                    .map(|c| chunk_sum(Isa::Scalar, c))
                    .collect::<Vec<_>>(),
            );
            for isa in Isa::available() {
                assert_eq!(
                    sum_all_with(isa, &x[..len]).to_bits(),
                    by_definition.to_bits()
                );
            }
        }
        assert_eq!(sum_all_with(Isa::Scalar, &[]).to_bits(), 0);
    }
}
