//! Run-time instruction-set selection, and the only `unsafe` code of the canonical kernels.
//!
//! Every kernel has one scalar definition written with `f32::mul_add` (a correctly rounded
//! fused multiply-add) and plain IEEE `+ - * /`. The SIMD paths compute exactly the same IEEE
//! operations, in the same order per output element, so they give identical bits:
//!
//! * the matmul microkernels below use explicit FMA intrinsics (AVX2+FMA, AVX-512F);
//! * element-wise maps and reductions run the scalar code inside a function compiled with
//!   `#[target_feature]`, where `mul_add` becomes one `vfmadd` and LLVM vectorises across
//!   *independent* outputs (it never reassociates float operations without fast-math flags).
//!
//! `unsafe` is allowed in this module only: calling a `#[target_feature]` function is unsafe
//! unless the CPU has the feature, which [`Isa::detect`] checks at run time, and the
//! intrinsic loads and stores take raw pointers whose bounds are checked before each kernel.
#![allow(unsafe_code)]

pub(crate) mod chains;
pub mod level;

use std::fmt;
use std::sync::OnceLock;

pub use level::SimdLevel;

use crate::canonical::error::Error;

/// Class: not applicable (a code-path selector; every path gives the same bits).
/// An instruction set a canonical kernel can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Isa {
    /// Portable Rust: `fma::fused` and IEEE arithmetic. The reference path.
    Scalar,
    /// x86_64 AVX2 with FMA3 (8 lanes).
    Avx2Fma,
    /// x86_64 AVX-512F (16 lanes).
    Avx512,
}

impl Isa {
    /// Class: not applicable. The best instruction set this CPU supports, ignoring the
    /// `DITTO_SIMD` switch.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Isa::Avx2Fma;
            }
        }
        Isa::Scalar
    }

    /// Class: not applicable. The instruction set the kernels use: the one the `DITTO_SIMD`
    /// level gives on this CPU ([`SimdLevel::isa`]: unset or `auto` [`Isa::detect`], `avx2`
    /// at most [`Isa::Avx2Fma`], `scalar`/`off` [`Isa::Scalar`]; always `Scalar` with the
    /// `force-scalar` cargo feature). Read once per process.
    ///
    /// An unknown `DITTO_SIMD` value is never taken for "best": the kernels run the scalar
    /// reference path (the same bits, slower) and log a `tracing` warning once. Callers that
    /// can report an error check [`Isa::try_active`] first, as `ditto_train::Trainer::fit`
    /// and the `ditto` binary do.
    pub fn active() -> Isa {
        match Isa::try_active() {
            Ok(isa) => isa,
            Err(_) => Isa::Scalar,
        }
    }

    /// Class: not applicable. The instruction set the kernels use ([`Isa::active`]), or the
    /// error that `DITTO_SIMD`'s value is (read once per process, so the answer never
    /// changes).
    ///
    /// Errors: [`crate::canonical::ErrorKind::InvalidEnvironment`], naming the allowed values.
    pub fn try_active() -> Result<Isa, Error> {
        static ACTIVE: OnceLock<Result<Isa, Error>> = OnceLock::new();
        ACTIVE
            .get_or_init(|| {
                let level = SimdLevel::from_env().map(SimdLevel::isa);
                if let Err(e) = &level {
                    tracing::warn!("ditto canonical kernels: {e}; running the scalar path");
                }
                level
            })
            .clone()
    }

    /// Class: not applicable. The instruction set's name: `scalar`, `avx2-fma` or `avx512`
    /// (what provenance records).
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2Fma => "avx2-fma",
            Isa::Avx512 => "avx512",
        }
    }

    /// Class: not applicable. Every instruction set this CPU can run, scalar first (for tests
    /// that compare the paths).
    pub fn available() -> Vec<Isa> {
        let best = Isa::detect();
        [Isa::Scalar, Isa::Avx2Fma, Isa::Avx512]
            .into_iter()
            .filter(|&isa| isa <= best)
            .collect()
    }

    /// `self` if this CPU supports it, else the best supported one below it.
    pub(crate) fn clamp(self) -> Isa {
        self.min(Isa::detect())
    }

    /// The matmul register tile (rows, columns) of this instruction set's microkernel.
    /// f32 lanes of one vector register: 16 for AVX-512, 8 for AVX2 (the scalar path loops
    /// over 8).
    pub(crate) fn lanes(self) -> usize {
        match self {
            Isa::Avx512 => 16,
            _ => 8,
        }
    }

    pub(crate) fn tile(self) -> (usize, usize) {
        match self {
            Isa::Scalar => (4, 16),
            Isa::Avx2Fma => (6, 16),
            Isa::Avx512 => (8, 32),
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The matmul microkernel: for each `(i, j)` of the `mr x nr` row-major `tile`,
/// `tile[i][j] = fma(a[p][i], b[p][j], tile[i][j])` for `p = 0..kc` ascending, where `a` is a
/// packed `kc x mr` panel and `b` a packed `kc x nr` panel (both `p`-major).
///
/// Panics if a panel is shorter than `kc` rows or the tile is not `mr * nr` (internal callers
/// size them from [`Isa::tile`]).
pub(crate) fn microkernel(isa: Isa, kc: usize, a: &[f32], b: &[f32], tile: &mut [f32]) {
    let (mr, nr) = isa.tile();
    assert!(a.len() >= kc * mr && b.len() >= kc * nr && tile.len() == mr * nr);
    match isa.clamp() {
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
        _ => kernel_scalar(kc, a, b, tile),
    }
}

/// Runs `f` compiled for `isa`: inside, `mul_add` is a single instruction and LLVM may
/// vectorise across independent outputs. The result is the same on every path.
#[inline(always)]
pub(crate) fn dispatch<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
    match isa.clamp() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => {
            // SAFETY: `clamp` checked at run time that the CPU has AVX-512F, AVX2 and FMA.
            unsafe { x86::run_avx512(f) }
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma => {
            // SAFETY: `clamp` checked at run time that the CPU has AVX2 and FMA.
            unsafe { x86::run_avx2(f) }
        }
        _ => f(),
    }
}

/// An element-wise function for [`map`]. Every implementation marks `apply`
/// `#[inline(always)]` and calls `#[inline(always)]` functions by path, so that the whole
/// function is compiled inside the `#[target_feature]` loop, where `mul_add` is one `vfmadd`.
/// (A closure would be compiled on its own, without the feature, and call `fmaf` per FMA.)
pub(crate) trait Unary: Copy {
    /// `f(v)`.
    fn apply(self, v: f32) -> f32;
}

/// `out[i] = op(x[i])` for every `i < min(x.len(), out.len())`, compiled for `isa`.
#[inline(always)]
pub(crate) fn map<O: Unary>(isa: Isa, x: &[f32], out: &mut [f32], op: O) {
    let n = x.len().min(out.len());
    let (x, out) = (&x[..n], &mut out[..n]);
    match isa.clamp() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => {
            // SAFETY: `clamp` checked at run time that the CPU has AVX-512F, AVX2 and FMA.
            unsafe { x86::map_avx512(x, out, op) }
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma => {
            // SAFETY: `clamp` checked at run time that the CPU has AVX2 and FMA.
            unsafe { x86::map_avx2(x, out, op) }
        }
        _ => map_loop(x, out, op),
    }
}

/// A two-input element-wise function for [`map2`] (the rules of [`Unary`]).
pub(crate) trait Binary: Copy {
    /// `f(a, b)`.
    fn apply(self, a: f32, b: f32) -> f32;
}

/// `out[i] = op(a[i], b[i])` for every `i` below the shortest length, compiled for `isa`.
#[inline(always)]
pub(crate) fn map2<O: Binary>(isa: Isa, a: &[f32], b: &[f32], out: &mut [f32], op: O) {
    let n = a.len().min(b.len()).min(out.len());
    let (a, b, out) = (&a[..n], &b[..n], &mut out[..n]);
    match isa.clamp() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => {
            // SAFETY: `clamp` checked at run time that the CPU has AVX-512F, AVX2 and FMA.
            unsafe { x86::map2_avx512(a, b, out, op) }
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma => {
            // SAFETY: `clamp` checked at run time that the CPU has AVX2 and FMA.
            unsafe { x86::map2_avx2(a, b, out, op) }
        }
        _ => map2_loop(a, b, out, op),
    }
}

#[inline(always)]
fn map2_loop<O: Binary>(a: &[f32], b: &[f32], out: &mut [f32], op: O) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = op.apply(x, y);
    }
}

#[inline(always)]
fn map_loop<O: Unary>(x: &[f32], out: &mut [f32], op: O) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = op.apply(v);
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
                *c = super::fma::fused(ai, bj, *c);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn run_avx512<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn map_avx512<O: super::Unary>(x: &[f32], out: &mut [f32], op: O) {
        super::map_loop(x, out, op)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn map_avx2<O: super::Unary>(x: &[f32], out: &mut [f32], op: O) {
        super::map_loop(x, out, op)
    }

    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn map2_avx512<O: super::Binary>(
        a: &[f32],
        b: &[f32],
        out: &mut [f32],
        op: O,
    ) {
        super::map2_loop(a, b, out, op)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn map2_avx2<O: super::Binary>(a: &[f32], b: &[f32], out: &mut [f32], op: O) {
        super::map2_loop(a, b, out, op)
    }

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
