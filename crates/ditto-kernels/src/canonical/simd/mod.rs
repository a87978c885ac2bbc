//! Run-time instruction-set selection, and the only `unsafe` code of the canonical kernels.
//!
//! Every kernel has one scalar definition written with `f32::mul_add` (a correctly rounded
//! fused multiply-add) and plain IEEE `+ - * /`. The SIMD paths compute exactly the same IEEE
//! operations, in the same order per output element, so they give identical bits:
//!
//! * the matmul microkernels (`microkernel.rs`) and the conv weight-gradient chains
//!   (`chains.rs`) use explicit fused multiply-add intrinsics (AVX-512F, AVX2+FMA, NEON);
//! * element-wise maps and reductions run the scalar code inside a function compiled with
//!   `#[target_feature]`, where `mul_add` becomes one `vfmadd` and LLVM vectorises across
//!   *independent* outputs (it never reassociates float operations without fast-math flags).
//!   On aarch64 NEON is part of the baseline target, so the plain scalar code is already
//!   compiled with it (`mul_add` is one `fmadd`/`fmla`): [`Isa::Neon`] runs that code as it is.
//!
//! `unsafe` is allowed in this module only: calling a `#[target_feature]` function is unsafe
//! unless the CPU has the feature, which [`Isa::detect`] checks at run time (NEON is checked
//! at compile time: `target_feature = "neon"`), and the intrinsic loads and stores take raw
//! pointers whose bounds are checked before each kernel.
#![allow(unsafe_code)]

pub(crate) mod chains;
pub mod level;
pub(crate) mod microkernel;

use std::fmt;
use std::sync::OnceLock;

pub use level::SimdLevel;

use crate::canonical::error::Error;

/// Class: not applicable (a code-path selector; every path gives the same bits).
/// An instruction set a canonical kernel can run on.
///
/// The order (`<`) is the vector width: `Scalar < Neon` (128-bit) `< Avx2Fma` (256-bit)
/// `< Avx512` (512-bit). "At most" an instruction set ([`SimdLevel::Avx2`], an `isa` argument
/// the CPU lacks) means the widest one this CPU has at or below it, so `Avx2Fma` and `Avx512`
/// mean [`Isa::Neon`] on aarch64, and `Neon` means [`Isa::Scalar`] on x86_64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Isa {
    /// Portable Rust: `fma::fused` and IEEE arithmetic. The reference path.
    Scalar,
    /// aarch64 Advanced SIMD (NEON, 4 lanes), part of every aarch64 CPU's baseline.
    Neon,
    /// x86_64 AVX2 with FMA3 (8 lanes).
    Avx2Fma,
    /// x86_64 AVX-512F (16 lanes).
    Avx512,
}

impl Isa {
    /// Class: not applicable. The best instruction set this CPU supports, ignoring the
    /// `DITTO_SIMD` switch: [`Isa::Avx512`] or [`Isa::Avx2Fma`] on x86_64 as detected at run
    /// time, [`Isa::Neon`] on every aarch64 CPU (NEON is baseline), else [`Isa::Scalar`].
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
        if cfg!(all(target_arch = "aarch64", target_feature = "neon")) {
            return Isa::Neon;
        }
        Isa::Scalar
    }

    /// Class: not applicable. The instruction set the kernels use: the one the `DITTO_SIMD`
    /// level gives on this CPU ([`SimdLevel::isa`]: unset or `auto` [`Isa::detect`], `avx2`
    /// at most [`Isa::Avx2Fma`] (so [`Isa::Neon`] on aarch64), `scalar`/`off`
    /// [`Isa::Scalar`]; always `Scalar` with the `force-scalar` cargo feature). Read once per
    /// process.
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

    /// Class: not applicable. The instruction set's name: `scalar`, `neon`, `avx2-fma` or
    /// `avx512` (what provenance records).
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Neon => "neon",
            Isa::Avx2Fma => "avx2-fma",
            Isa::Avx512 => "avx512",
        }
    }

    /// Class: not applicable. Every instruction set this CPU can run, scalar first (for tests
    /// that compare the paths): `[Scalar, Neon]` on aarch64, `Scalar` and the detected x86
    /// ones on x86_64.
    pub fn available() -> Vec<Isa> {
        [Isa::Scalar, Isa::Neon, Isa::Avx2Fma, Isa::Avx512]
            .into_iter()
            .filter(|&isa| isa.supported())
            .collect()
    }

    /// Whether this CPU runs `self`.
    fn supported(self) -> bool {
        let best = Isa::detect();
        match self {
            Isa::Scalar => true,
            Isa::Neon => best == Isa::Neon,
            Isa::Avx2Fma | Isa::Avx512 => best != Isa::Neon && self <= best,
        }
    }

    /// `self` if this CPU supports it, else the widest supported one below it (the type's
    /// order): on aarch64 `Avx2Fma` and `Avx512` give `Neon`, on x86_64 `Neon` gives `Scalar`.
    pub(crate) fn clamp(self) -> Isa {
        match Isa::detect() {
            Isa::Neon if self >= Isa::Neon => Isa::Neon,
            Isa::Neon => Isa::Scalar,
            _ if self == Isa::Neon => Isa::Scalar,
            best => self.min(best),
        }
    }

    /// f32 lanes of one vector register: 16 for AVX-512, 8 for AVX2, 4 for NEON (the scalar
    /// path loops over 8).
    pub(crate) fn lanes(self) -> usize {
        match self {
            Isa::Avx512 => 16,
            Isa::Neon => 4,
            _ => 8,
        }
    }

    /// The matmul register tile (rows, columns) of this instruction set's microkernel
    /// (`microkernel.rs`).
    pub(crate) fn tile(self) -> (usize, usize) {
        match self {
            Isa::Scalar => (4, 16),
            Isa::Neon => (8, 8),
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

/// Runs `f` compiled for `isa`: inside, `mul_add` is a single instruction and LLVM may
/// vectorise across independent outputs. The result is the same on every path.
///
/// [`Isa::Neon`] (and [`Isa::Scalar`] on aarch64) runs `f` as it is: the aarch64 baseline
/// includes NEON and a fused `fmadd`, so no `#[target_feature]` wrapper is needed ([`map`] and
/// [`map2`] likewise).
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

#[cfg(target_arch = "x86_64")]
mod x86 {
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
}
