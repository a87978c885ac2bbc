//! The `DITTO_SIMD` switch: the most the canonical kernels may use of the CPU's instruction
//! sets. Every level gives the same bits (the kernels are specified per IEEE operation); a
//! level only chooses the code path, so a test or a benchmark can run the scalar reference
//! or the AVX2 path on an AVX-512 machine.
//!
//! The values are the same on every architecture. On aarch64, whose one SIMD level is NEON
//! ([`Isa::Neon`]), `auto` and `avx2` both give NEON (`avx2` means "at most 256-bit vectors",
//! not "fail where there is no AVX2", so one setting serves a mixed fleet) and
//! `scalar`/`off`/`0` the scalar path.

use std::fmt;

use super::Isa;
use crate::canonical::error::{Error, ErrorKind};

/// Class: not applicable (data). The environment variable the kernels read, once per process.
pub const VARIABLE: &str = "DITTO_SIMD";

/// Class: not applicable (data). Every value [`VARIABLE`] may hold (unset and empty mean
/// `auto`): `auto` (the best this CPU runs), `avx2` (at most AVX2 with FMA: NEON on aarch64),
/// `scalar` and its spellings `off` and `0` (the scalar reference path).
pub const VALUES: &[&str] = &["auto", "avx2", "scalar", "off", "0"];

/// Class: not applicable (a code-path selector; every level gives the same bits). A
/// `DITTO_SIMD` level: the most the canonical kernels may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SimdLevel {
    /// The best instruction set this CPU runs ([`Isa::detect`]): [`Isa::Neon`] on aarch64.
    Auto,
    /// At most [`Isa::Avx2Fma`], by vector width (the order of [`Isa`]): AVX2+FMA on an x86_64
    /// CPU with AVX-512, the scalar path on one without AVX2 and FMA, and [`Isa::Neon`] on
    /// aarch64 (the same as `Auto` there).
    Avx2,
    /// [`Isa::Scalar`], the reference path.
    Scalar,
}

impl SimdLevel {
    /// Class: not applicable. The level a `DITTO_SIMD` value names.
    ///
    /// Errors: [`ErrorKind::InvalidEnvironment`] for any other value, naming the allowed ones
    /// ([`VALUES`]). An unknown value never means "best": a typo must not silently select a
    /// code path the user did not ask for.
    pub fn parse(value: &str) -> Result<Self, Error> {
        match value {
            "" | "auto" => Ok(Self::Auto),
            "avx2" => Ok(Self::Avx2),
            "scalar" | "off" | "0" => Ok(Self::Scalar),
            other => Err(unknown(&format!("{other:?}"))),
        }
    }

    /// Class: not applicable (reads the environment). The level `DITTO_SIMD` names now
    /// (unset: [`SimdLevel::Auto`]). The kernels read it once per process
    /// ([`Isa::active`]); this reads it again.
    ///
    /// Errors: as [`SimdLevel::parse`]; a value that is not UTF-8 is refused too.
    pub fn from_env() -> Result<Self, Error> {
        match std::env::var(VARIABLE) {
            Ok(v) => Self::parse(&v),
            Err(std::env::VarError::NotPresent) => Ok(Self::Auto),
            Err(std::env::VarError::NotUnicode(v)) => Err(unknown(&format!("{v:?}"))),
        }
    }

    /// Class: not applicable. The instruction set this level gives on this CPU: the best one
    /// at or below the level (in [`Isa`]'s order, the vector width) that the CPU runs, or
    /// [`Isa::Scalar`] in a build with the `force-scalar` cargo feature.
    pub fn isa(self) -> Isa {
        if cfg!(feature = "force-scalar") {
            return Isa::Scalar;
        }
        let best = Isa::detect();
        match self {
            Self::Auto => best,
            Self::Avx2 => best.min(Isa::Avx2Fma),
            Self::Scalar => Isa::Scalar,
        }
    }

    /// Class: not applicable. The level's `DITTO_SIMD` value: `auto`, `avx2` or `scalar`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Avx2 => "avx2",
            Self::Scalar => "scalar",
        }
    }
}

impl fmt::Display for SimdLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn unknown(shown: &str) -> Error {
    Error::new(
        ErrorKind::InvalidEnvironment,
        "simd",
        format!(
            "{VARIABLE}={shown} is not a SIMD level: use one of {} (or leave it unset for auto)",
            VALUES.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_value_parses_and_nothing_else_does() {
        for v in VALUES {
            assert!(SimdLevel::parse(v).is_ok(), "{v}");
        }
        assert_eq!(SimdLevel::parse("").unwrap(), SimdLevel::Auto);
        assert_eq!(SimdLevel::parse("off").unwrap(), SimdLevel::Scalar);
        assert_eq!(SimdLevel::parse("0").unwrap(), SimdLevel::Scalar);
        for bad in ["avx512", "AVX2", "on", "1", " off", "best", "sse2"] {
            let e = SimdLevel::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidEnvironment, "{bad}");
            let msg = e.to_string();
            assert!(
                msg.contains("DITTO_SIMD") && msg.contains("auto, avx2, scalar, off, 0"),
                "{msg}"
            );
        }
    }

    #[test]
    fn levels_cap_the_detected_instruction_set() {
        let best = Isa::detect();
        if cfg!(feature = "force-scalar") {
            assert_eq!(SimdLevel::Auto.isa(), Isa::Scalar);
            return;
        }
        assert_eq!(SimdLevel::Auto.isa(), best);
        assert_eq!(SimdLevel::Avx2.isa(), best.min(Isa::Avx2Fma));
        assert_eq!(SimdLevel::Scalar.isa(), Isa::Scalar);
        if cfg!(target_arch = "aarch64") {
            assert_eq!(SimdLevel::Auto.isa(), Isa::Neon);
            assert_eq!(SimdLevel::Avx2.isa(), Isa::Neon);
        }
    }
}
