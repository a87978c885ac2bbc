//! The matmul microkernels (`canonical::matmul`): one register tile of outputs, each output's
//! FMA chain continued over one packed block of `k` in ascending order. Every instruction set
//! computes the same chains, so the same bits: the scalar reference with
//! [`fused`](crate::canonical::fma::fused), AVX-512F (8x32), AVX2+FMA (6x16) and NEON (8x8)
//! with fused multiply-add intrinsics.

use super::Isa;
use crate::canonical::fma::fused;

/// The matmul microkernel: for each `(i, j)` of the `mr x nr` row-major `tile`,
/// `tile[i][j] = fma(a[p][i], b[p][j], tile[i][j])` for `p = 0..kc` ascending, where `a` is a
/// packed `kc x mr` panel and `b` a packed `kc x nr` panel (both `p`-major).
///
/// Panics if a panel is shorter than `kc` rows or the tile is not `mr * nr` (internal callers
/// size them from [`Isa::tile`]).
pub(crate) fn microkernel(isa: Isa, kc: usize, a: &[f32], b: &[f32], tile: &mut [f32]) {
    let isa = isa.clamp();
    let (mr, nr) = isa.tile();
    assert!(a.len() >= kc * mr && b.len() >= kc * nr && tile.len() == mr * nr);
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => {
            // SAFETY: `clamp` checked at run time that the CPU has AVX-512F; the assert above
            // bounds every pointer offset the kernel makes (p < kc, i < 8, j < 32).
            unsafe { x86::kernel_avx512(kc, a.as_ptr(), b.as_ptr(), tile.as_mut_ptr()) }
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma => {
            // SAFETY: `clamp` checked at run time that the CPU has AVX2 and FMA; the assert
            // above bounds every pointer offset the kernel makes (p < kc, i < 6, j < 16).
            unsafe { x86::kernel_avx2(kc, a.as_ptr(), b.as_ptr(), tile.as_mut_ptr()) }
        }
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        Isa::Neon => {
            // SAFETY: NEON is enabled at compile time (the cfg above; it is baseline on
            // aarch64); the assert above bounds every pointer offset the kernel makes
            // (p < kc, i < 8, j < 8).
            unsafe { neon::kernel_neon(kc, a.as_ptr(), b.as_ptr(), tile.as_mut_ptr()) }
        }
        _ => kernel_scalar(kc, a, b, tile),
    }
}

fn kernel_scalar(kc: usize, a: &[f32], b: &[f32], tile: &mut [f32]) {
    let (mr, nr) = Isa::Scalar.tile();
    for p in 0..kc {
        let ap = &a[p * mr..p * mr + mr];
        let bp = &b[p * nr..p * nr + nr];
        for (i, &ai) in ap.iter().enumerate() {
            let row = &mut tile[i * nr..i * nr + nr];
            for (c, &bj) in row.iter_mut().zip(bp) {
                *c = fused(ai, bj, *c);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// 8 x 32 tile: 16 zmm accumulators.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn kernel_avx512(kc: usize, a: *const f32, b: *const f32, c: *mut f32) {
        const MR: usize = 8;
        const NR: usize = 32;
        // SAFETY (whole body): the caller guarantees a[..kc*MR], b[..kc*NR], c[..MR*NR].
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); 2]; MR];
            for (i, row) in acc.iter_mut().enumerate() {
                row[0] = _mm512_loadu_ps(c.add(i * NR));
                row[1] = _mm512_loadu_ps(c.add(i * NR + 16));
            }
            for p in 0..kc {
                let b0 = _mm512_loadu_ps(b.add(p * NR));
                let b1 = _mm512_loadu_ps(b.add(p * NR + 16));
                let ap = a.add(p * MR);
                for (i, row) in acc.iter_mut().enumerate() {
                    let ai = _mm512_set1_ps(*ap.add(i));
                    row[0] = _mm512_fmadd_ps(ai, b0, row[0]);
                    row[1] = _mm512_fmadd_ps(ai, b1, row[1]);
                }
            }
            for (i, row) in acc.iter().enumerate() {
                _mm512_storeu_ps(c.add(i * NR), row[0]);
                _mm512_storeu_ps(c.add(i * NR + 16), row[1]);
            }
        }
    }

    /// 6 x 16 tile: 12 ymm accumulators.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn kernel_avx2(kc: usize, a: *const f32, b: *const f32, c: *mut f32) {
        const MR: usize = 6;
        const NR: usize = 16;
        // SAFETY (whole body): the caller guarantees a[..kc*MR], b[..kc*NR], c[..MR*NR].
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); 2]; MR];
            for (i, row) in acc.iter_mut().enumerate() {
                row[0] = _mm256_loadu_ps(c.add(i * NR));
                row[1] = _mm256_loadu_ps(c.add(i * NR + 8));
            }
            for p in 0..kc {
                let b0 = _mm256_loadu_ps(b.add(p * NR));
                let b1 = _mm256_loadu_ps(b.add(p * NR + 8));
                let ap = a.add(p * MR);
                for (i, row) in acc.iter_mut().enumerate() {
                    let ai = _mm256_set1_ps(*ap.add(i));
                    row[0] = _mm256_fmadd_ps(ai, b0, row[0]);
                    row[1] = _mm256_fmadd_ps(ai, b1, row[1]);
                }
            }
            for (i, row) in acc.iter().enumerate() {
                _mm256_storeu_ps(c.add(i * NR), row[0]);
                _mm256_storeu_ps(c.add(i * NR + 8), row[1]);
            }
        }
    }
}

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon {
    use std::arch::aarch64::*;

    /// 8 x 8 tile: 16 q-register accumulators (two `float32x4_t` per row), plus the packed A
    /// column and B row (two registers each): 20 of the 32 vector registers.
    /// `vfmaq_laneq_f32::<L>(c, b, a)` is `fmla` by element, `c + b * a[L]` rounded once:
    /// the scalar path's `fused(a[p][i], b[p][j], c)` (the product's two factors commute).
    pub(super) unsafe fn kernel_neon(kc: usize, a: *const f32, b: *const f32, c: *mut f32) {
        const MR: usize = 8;
        const NR: usize = 8;
        // SAFETY (whole body): the caller guarantees a[..kc*MR], b[..kc*NR], c[..MR*NR].
        unsafe {
            let mut acc = [[vdupq_n_f32(0.0); 2]; MR];
            for (i, row) in acc.iter_mut().enumerate() {
                row[0] = vld1q_f32(c.add(i * NR));
                row[1] = vld1q_f32(c.add(i * NR + 4));
            }
            for p in 0..kc {
                let b0 = vld1q_f32(b.add(p * NR));
                let b1 = vld1q_f32(b.add(p * NR + 4));
                let a0 = vld1q_f32(a.add(p * MR));
                let a1 = vld1q_f32(a.add(p * MR + 4));
                macro_rules! row {
                    ($i:literal, $a:ident, $lane:literal) => {
                        acc[$i][0] = vfmaq_laneq_f32::<$lane>(acc[$i][0], b0, $a);
                        acc[$i][1] = vfmaq_laneq_f32::<$lane>(acc[$i][1], b1, $a);
                    };
                }
                row!(0, a0, 0);
                row!(1, a0, 1);
                row!(2, a0, 2);
                row!(3, a0, 3);
                row!(4, a1, 0);
                row!(5, a1, 1);
                row!(6, a1, 2);
                row!(7, a1, 3);
            }
            for (i, row) in acc.iter().enumerate() {
                vst1q_f32(c.add(i * NR), row[0]);
                vst1q_f32(c.add(i * NR + 4), row[1]);
            }
        }
    }
}
