//! Softmax, log-softmax, cross-entropy and layer norm as compositions of the canonical
//! pieces: the order-free max ([`reduce::max_all`]), [`math::exp`] / [`math::ln`], the blocked
//! sum ([`reduce::sum_all`]) and IEEE `-`, `/`, `sqrt`. Each applies to every sequence
//! `x[o][0..len][i]` of an [`Axis`] (module docs of [`reduce`]).

use rayon::prelude::*;

use super::error::{Error, ErrorKind, check_len, numel};
use super::math;
use super::reduce::{self, Axis};
use super::simd::{Isa, Unary, map};

/// `exp(v - m)`, compiled inside the SIMD loop (see [`Unary`]).
#[derive(Clone, Copy)]
struct ExpShift(f32);

impl Unary for ExpShift {
    #[inline(always)]
    fn apply(self, v: f32) -> f32 {
        math::exp(v - self.0)
    }
}

/// Class: portable (canonical). Softmax along `axis`: with `m` the max of the sequence,
/// `e_r = exp(x_r - m)` and `s` the canonical sum of the `e_r`, `out_r = e_r / s`.
pub fn softmax(x: &[f32], axis: Axis, out: &mut [f32]) -> Result<(), Error> {
    per_sequence("softmax", x, axis, out, |v, dst| {
        let m = seq_max(v);
        map(Isa::active(), v, dst, ExpShift(m));
        let s = reduce::sum_all(dst);
        dst.iter_mut().for_each(|d| *d /= s);
    })
}

/// Class: portable (canonical). Log-softmax along `axis`: `out_r = (x_r - m) - ln(s)`, with
/// `m` and `s` as in [`softmax`].
pub fn log_softmax(x: &[f32], axis: Axis, out: &mut [f32]) -> Result<(), Error> {
    per_sequence("log_softmax", x, axis, out, |v, dst| {
        let m = seq_max(v);
        map(Isa::active(), v, dst, ExpShift(m));
        let ls = math::ln(reduce::sum_all(dst));
        for (d, &x) in dst.iter_mut().zip(v) {
            *d = (x - m) - ls;
        }
    })
}

/// Class: portable (canonical). Mean cross-entropy of `rows x classes` logits against class
/// indices: row loss `l_r = ln(s) - (x_t - m)` (bitwise `-log_softmax[t]`), result
/// `sum_all(l) / rows`.
///
/// Errors on a shape mismatch or a target `>= classes`.
pub fn cross_entropy(
    logits: &[f32],
    rows: usize,
    classes: usize,
    targets: &[usize],
) -> Result<f32, Error> {
    check_len(
        "cross_entropy",
        "logits",
        logits.len(),
        numel("cross_entropy", &[rows, classes])?,
    )?;
    check_len("cross_entropy", "targets", targets.len(), rows)?;
    if let Some((r, &t)) = targets.iter().enumerate().find(|&(_, &t)| t >= classes) {
        return Err(Error::new(
            ErrorKind::Index,
            "cross_entropy",
            format!("target {t} of row {r} is not below {classes} classes"),
        ));
    }
    let mut ls = vec![0.0f32; logits.len()];
    log_softmax(
        logits,
        Axis {
            outer: rows,
            len: classes,
            inner: 1,
        },
        &mut ls,
    )?;
    let losses: Vec<f32> = targets
        .iter()
        .enumerate()
        .map(|(r, &t)| -ls[r * classes + t])
        .collect();
    Ok(reduce::sum_all(&losses) / rows as f32)
}

/// Class: portable (canonical). Layer norm of each row of `rows x len` (the last axis):
/// `mu = sum_all(x) / len`, `d_r = x_r - mu`, `var = sum_all(d_r * d_r) / len`,
/// `sd = sqrt(var + eps)`, `out_r = (d_r / sd) * gamma_r + beta_r` (IEEE ops, no fma).
///
/// Errors unless `gamma` and `beta` have `len` elements and `x`, `out` have `rows * len`.
pub fn layer_norm(
    x: &[f32],
    rows: usize,
    len: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    out: &mut [f32],
) -> Result<(), Error> {
    check_len("layer_norm", "gamma", gamma.len(), len)?;
    check_len("layer_norm", "beta", beta.len(), len)?;
    per_sequence(
        "layer_norm",
        x,
        Axis {
            outer: rows,
            len,
            inner: 1,
        },
        out,
        |v, dst| {
            let n = v.len() as f32;
            let mu = reduce::sum_all(v) / n;
            for (d, &x) in dst.iter_mut().zip(v) {
                let dr = x - mu;
                *d = dr * dr;
            }
            let sd = (reduce::sum_all(dst) / n + eps).sqrt();
            for (r, (d, &x)) in dst.iter_mut().zip(v).enumerate() {
                *d = ((x - mu) / sd) * gamma[r] + beta[r];
            }
        },
    )
}

/// The max of a sequence by [`reduce::max_all`]'s rules (`-inf` for an empty one).
fn seq_max(v: &[f32]) -> f32 {
    reduce::max_all(v).unwrap_or(f32::NEG_INFINITY)
}

/// Applies `f(sequence, out_sequence)` to every sequence of `axis` (gathered when strided).
fn per_sequence(
    op: &'static str,
    x: &[f32],
    axis: Axis,
    out: &mut [f32],
    f: impl Fn(&[f32], &mut [f32]) + Sync,
) -> Result<(), Error> {
    let total = numel(op, &[axis.outer, axis.len, axis.inner])?;
    check_len(op, "x", x.len(), total)?;
    check_len(op, "out", out.len(), total)?;
    let Axis { len, inner, .. } = axis;
    if len == 0 {
        return Ok(());
    }
    if inner == 1 {
        out.par_chunks_mut(len)
            .zip(x.par_chunks(len))
            .for_each(|(dst, v)| f(v, dst));
        return Ok(());
    }
    out.par_chunks_mut(len * inner)
        .zip(x.par_chunks(len * inner))
        .for_each(|(dst, xo)| {
            let mut v = vec![0.0f32; len];
            let mut d = vec![0.0f32; len];
            for i in 0..inner {
                for (r, s) in v.iter_mut().enumerate() {
                    *s = xo[r * inner + i];
                }
                f(&v, &mut d);
                for (r, &s) in d.iter().enumerate() {
                    dst[r * inner + i] = s;
                }
            }
        });
    Ok(())
}
