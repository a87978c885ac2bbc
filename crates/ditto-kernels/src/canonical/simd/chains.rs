//! The conv2d weight-gradient chains (`canonical::conv_weight`): output channels across
//! lanes, one register accumulator per reduction row, one broadcast-FMA per row and output
//! position, in position order. Every ISA computes the same chains, so the same bits.

use super::Isa;
use crate::canonical::fma::fused;

/// The walk over output positions: `n` samples of `out` positions; a position `(y, xo)` of
/// sample `b` reads `x` at `b * sample + y * step[0] + xo * step[1] + off`.
pub(crate) struct Walk {
    /// Samples.
    pub(crate) n: usize,
    /// Output positions per sample, `[oh, ow]`.
    pub(crate) out: [usize; 2],
    /// What one output row and one output column move the read by.
    pub(crate) step: [usize; 2],
    /// What one sample moves the read by.
    pub(crate) sample: usize,
}

/// The most rows one call keeps in registers: AVX-512 has 32 vector registers, AVX2 16.
pub(crate) const MAX_ROWS: usize = 16;
/// [`MAX_ROWS`] for AVX2.
pub(crate) const MAX_ROWS_AVX2: usize = 12;
/// [`MAX_ROWS`] for NEON: 24 of its 32 registers hold accumulators, the rest the position's
/// gradient vector and the broadcast inputs.
pub(crate) const MAX_ROWS_NEON: usize = 24;

/// The most rows one [`chains`] call on `isa` keeps in registers (more run the scalar path).
pub(crate) fn max_rows(isa: Isa) -> usize {
    match isa {
        Isa::Avx2Fma => MAX_ROWS_AVX2,
        Isa::Neon => MAX_ROWS_NEON,
        _ => MAX_ROWS,
    }
}

/// For every row `rr` and lane `j`: `acc[rr * l + j] = fma(g[t][j], x[t, rr], acc[..])` for
/// `t` ascending, `l` the lanes of `isa`.
/// At most [`max_rows`] rows take the SIMD kernels; more run the scalar path.
pub(crate) fn chains(isa: Isa, g: &[f32], xpad: &[f32], offs: &[usize], s: &Walk, acc: &mut [f32]) {
    let isa = isa.clamp();
    let [oh, ow] = s.out;
    // Bounds for the unchecked kernels: the last position's reads.
    let positions = s.n * oh * ow;
    assert!(g.len() >= positions * isa.lanes() && acc.len() == offs.len() * isa.lanes());
    if positions == 0 {
        return;
    }
    let last = (s.n - 1) * s.sample + (oh - 1) * s.step[0] + (ow - 1) * s.step[1];
    assert!(offs.iter().all(|&o| last + o < xpad.len()));
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if offs.len() <= MAX_ROWS => {
            // SAFETY: `clamp` checked AVX-512F at run time; the asserts
            // above bound every read and write.
            unsafe { x86::dispatch_avx512(g, xpad, offs, s, acc) }
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma if offs.len() <= MAX_ROWS_AVX2 => {
            // SAFETY: as above, for AVX2 and FMA.
            unsafe { x86::dispatch_avx2(g, xpad, offs, s, acc) }
        }
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        Isa::Neon if offs.len() <= MAX_ROWS_NEON => {
            // SAFETY: NEON is enabled at compile time (the cfg above); the asserts above
            // bound every read and write.
            unsafe { neon::dispatch_neon(g, xpad, offs, s, acc) }
        }
        // The scalar chains, on the lane layout of `isa` (what `acc` and `g` are sized for).
        _ => match isa.lanes() {
            4 => chains_scalar::<4>(g, xpad, offs, s, acc),
            16 => chains_scalar::<16>(g, xpad, offs, s, acc),
            _ => chains_scalar::<8>(g, xpad, offs, s, acc),
        },
    }
}

fn chains_scalar<const L: usize>(
    g: &[f32],
    xpad: &[f32],
    offs: &[usize],
    s: &Walk,
    acc: &mut [f32],
) {
    let [oh, ow] = s.out;
    let mut t = 0;
    for b in 0..s.n {
        for y in 0..oh {
            for xo in 0..ow {
                let base = b * s.sample + y * s.step[0] + xo * s.step[1];
                let gv = &g[t * L..t * L + L];
                for (&o, a) in offs.iter().zip(acc.chunks_exact_mut(L)) {
                    let xv = xpad[base + o];
                    for (a, &gj) in a.iter_mut().zip(gv) {
                        *a = fused(gj, xv, *a);
                    }
                }
                t += 1;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::Walk;

    /// One kernel per ISA, monomorphised over the row count `R` (the accumulators stay in
    /// registers), and a dispatcher over `R = offs.len()` (1..=16).
    macro_rules! kernel {
        ($name:ident, $dispatch:ident, $feature:literal, $lanes:literal, $vec:ty,
         $load:ident, $store:ident, $set1:ident, $fmadd:ident, [$($r:literal)*]) => {
            #[target_feature(enable = $feature)]
            unsafe fn $name<const R: usize>(
                g: *const f32,
                xpad: *const f32,
                offs: &[usize],
                s: &Walk,
                acc: *mut f32,
            ) {
                // SAFETY (whole body): `chains` checked that every position's gradient
                // vector, every tap read and the R accumulators are in bounds.
                unsafe {
                    let mut o = [0usize; R];
                    o.copy_from_slice(&offs[..R]);
                    let mut a: [$vec; R] = [$set1(0.0); R];
                    for (r, v) in a.iter_mut().enumerate() {
                        *v = $load(acc.add(r * $lanes));
                    }
                    let [oh, ow] = s.out;
                    let mut gp = g;
                    for b in 0..s.n {
                        for y in 0..oh {
                            let row = xpad.add(b * s.sample + y * s.step[0]);
                            for xo in 0..ow {
                                let xp = row.add(xo * s.step[1]);
                                let gv = $load(gp);
                                gp = gp.add($lanes);
                                for r in 0..R {
                                    a[r] = $fmadd(gv, $set1(*xp.add(o[r])), a[r]);
                                }
                            }
                        }
                    }
                    for (r, v) in a.iter().enumerate() {
                        $store(acc.add(r * $lanes), *v);
                    }
                }
            }

            /// # Safety
            /// The CPU has the kernel's features, and `super::chains`' bounds hold.
            pub(super) unsafe fn $dispatch(
                g: &[f32],
                xpad: &[f32],
                offs: &[usize],
                s: &Walk,
                acc: &mut [f32],
            ) {
                let (g, x, a) = (g.as_ptr(), xpad.as_ptr(), acc.as_mut_ptr());
                // SAFETY: forwarded from the caller.
                unsafe {
                    match offs.len() {
                        $($r => $name::<$r>(g, x, offs, s, a),)*
                        n => unreachable!("{n} rows in one conv weight-gradient item"),
                    }
                }
            }
        };
    }

    kernel!(
        chains_avx512, dispatch_avx512, "avx512f", 16, __m512,
        _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_fmadd_ps,
        [1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16]
    );
    kernel!(
        chains_avx2, dispatch_avx2, "avx2,fma", 8, __m256,
        _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_fmadd_ps,
        [1 2 3 4 5 6 7 8 9 10 11 12]
    );
}

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon {
    use std::arch::aarch64::*;

    use super::Walk;

    /// The chains of `R` rows on 4 lanes (one `float32x4_t` accumulator per row), as the x86
    /// kernels. `vfmaq_n_f32(a, g, x)` is `fmla`, `a + g * x` rounded once: the scalar
    /// path's `fused(g[t][j], x, a)`.
    unsafe fn chains_neon<const R: usize>(
        g: *const f32,
        xpad: *const f32,
        offs: &[usize],
        s: &Walk,
        acc: *mut f32,
    ) {
        // SAFETY (whole body): `chains` checked that every position's gradient vector, every
        // tap read and the R accumulators are in bounds.
        unsafe {
            let mut o = [0usize; R];
            o.copy_from_slice(&offs[..R]);
            let mut a = [vdupq_n_f32(0.0); R];
            for (r, v) in a.iter_mut().enumerate() {
                *v = vld1q_f32(acc.add(r * 4));
            }
            let [oh, ow] = s.out;
            let mut gp = g;
            for b in 0..s.n {
                for y in 0..oh {
                    let row = xpad.add(b * s.sample + y * s.step[0]);
                    for xo in 0..ow {
                        let xp = row.add(xo * s.step[1]);
                        let gv = vld1q_f32(gp);
                        gp = gp.add(4);
                        for r in 0..R {
                            a[r] = vfmaq_n_f32(a[r], gv, *xp.add(o[r]));
                        }
                    }
                }
            }
            for (r, v) in a.iter().enumerate() {
                vst1q_f32(acc.add(r * 4), *v);
            }
        }
    }

    /// # Safety
    /// `super::chains`' bounds hold (NEON is enabled at compile time).
    pub(super) unsafe fn dispatch_neon(
        g: &[f32],
        xpad: &[f32],
        offs: &[usize],
        s: &Walk,
        acc: &mut [f32],
    ) {
        let (g, x, a) = (g.as_ptr(), xpad.as_ptr(), acc.as_mut_ptr());
        macro_rules! rows {
            ($($r:literal)*) => {
                match offs.len() {
                    // SAFETY: forwarded from the caller.
                    $($r => unsafe { chains_neon::<$r>(g, x, offs, s, a) },)*
                    n => unreachable!("{n} rows in one conv weight-gradient item"),
                }
            };
        }
        rows!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24)
    }
}
