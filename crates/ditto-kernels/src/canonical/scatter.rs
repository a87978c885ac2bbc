//! Index-add and scatter-add: every destination receives its contributions in ascending
//! source index order, each applied with one IEEE `+` to the running destination value.
//! Embedding backward is [`index_add`] along dim 0 (one row per token, in token order).

use rayon::prelude::*;

use super::error::{Error, ErrorKind, check_len, numel};
use super::reduce::Axis;

/// Class: portable (canonical). `dst[o][indices[r]][i] += src[o][r][i]` for `r` ascending.
///
/// `dst` is `[outer, dst_len, inner]` and `src` is `[outer, indices.len(), inner]`, both
/// row-major. Errors on a shape mismatch or an index `>= dst_len`.
pub fn index_add(
    dst: &mut [f32],
    dst_len: usize,
    indices: &[usize],
    src: &[f32],
    outer: usize,
    inner: usize,
) -> Result<(), Error> {
    let op = "index_add";
    check_len(op, "dst", dst.len(), numel(op, &[outer, dst_len, inner])?)?;
    check_len(
        op,
        "src",
        src.len(),
        numel(op, &[outer, indices.len(), inner])?,
    )?;
    check_indices(op, indices, dst_len)?;
    if inner == 0 || dst_len == 0 {
        return Ok(());
    }
    let n = indices.len();
    dst.par_chunks_mut(dst_len * inner)
        .enumerate()
        .for_each(|(o, d)| {
            for (r, &t) in indices.iter().enumerate() {
                let s = &src[(o * n + r) * inner..(o * n + r + 1) * inner];
                for (a, &b) in d[t * inner..(t + 1) * inner].iter_mut().zip(s) {
                    *a += b;
                }
            }
        });
    Ok(())
}

/// Class: portable (canonical). Burn's `scatter` with add along the middle axis of `src`'s
/// [`Axis`]: `dst[o][indices[o][r][i]][i] += src[o][r][i]` for `r` ascending (per
/// destination, contributions arrive in ascending `r`). `indices` has `src`'s shape, `dst` is
/// `[outer, dst_len, inner]`.
pub fn scatter_add(
    dst: &mut [f32],
    dst_len: usize,
    indices: &[usize],
    src: &[f32],
    axis: Axis,
) -> Result<(), Error> {
    let op = "scatter_add";
    let Axis { outer, len, inner } = axis;
    check_len(op, "dst", dst.len(), numel(op, &[outer, dst_len, inner])?)?;
    check_len(op, "src", src.len(), numel(op, &[outer, len, inner])?)?;
    check_len(op, "indices", indices.len(), src.len())?;
    check_indices(op, indices, dst_len)?;
    if inner == 0 || dst_len == 0 {
        return Ok(());
    }
    dst.par_chunks_mut(dst_len * inner)
        .enumerate()
        .for_each(|(o, d)| {
            for r in 0..len {
                let base = (o * len + r) * inner;
                for i in 0..inner {
                    d[indices[base + i] * inner + i] += src[base + i];
                }
            }
        });
    Ok(())
}

fn check_indices(op: &'static str, indices: &[usize], len: usize) -> Result<(), Error> {
    match indices.iter().position(|&t| t >= len) {
        None => Ok(()),
        Some(r) => Err(Error::new(
            ErrorKind::Index,
            op,
            format!("index {} at position {r} is not below {len}", indices[r]),
        )),
    }
}
