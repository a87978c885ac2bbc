//! Every instruction set of this CPU against the scalar path and the specification, on
//! adversarial inputs: subnormal products and sums crossing the normal range, signed zeros
//! (chains continued from `-0.0`), NaNs with random payloads (quiet and signalling),
//! infinities, products that overflow, chains of 1000+ terms across matmul's `k` blocks, and
//! shapes that leave partial register tiles and lane groups. On aarch64 this compares NEON
//! with the scalar path; on x86_64, AVX2+FMA and AVX-512.
//!
//! Bits must be equal; a NaN only has to be a NaN (CANONICAL.md: the kernels may return any
//! NaN, `Ditto<B>` makes every NaN `0x7fc00000`).

use super::conv_weight::weight_grad;
use super::fma::fma;
use super::matmul::{Strides, matmul_strided, matmul_strided_from};
use super::reduce::sum_all_with;
use super::simd::Isa;
use super::simd::chains::{Walk, chains};
use super::window::{Conv2dOptions, Geometry};

#[derive(Clone, Copy, Debug)]
enum Profile {
    /// Finite values of both signs in `[-4, 4]`, as a network's: products of like size, whose
    /// sums round at every step, so a reordering or an unfused step shows even in long chains.
    Narrow,
    /// Finite values of both signs over `2^-20 .. 2^20`.
    Wide,
    /// Subnormal inputs, and tiny values times moderate ones: products and sums on both sides
    /// of the smallest normal (a flush to zero or a reordering shows).
    Subnormal,
    /// Mostly `+0.0` and `-0.0`, a few small values.
    Zeros,
    /// Wide values with infinities, values near `f32::MAX` and NaNs of random payloads.
    Special,
}

const PROFILES: [Profile; 5] = [
    Profile::Narrow,
    Profile::Wide,
    Profile::Subnormal,
    Profile::Zeros,
    Profile::Special,
];

/// xorshift64*: exact, portable test values.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn value(&mut self, p: Profile) -> f32 {
        let r = self.next();
        let sign = ((r >> 63) as u32) << 31;
        let mant = (r >> 8) as u32 & 0x7f_ffff;
        let pick = (r >> 32) as u32 & 0x3ff;
        let normal = |e: u32| f32::from_bits(sign | (e << 23) | mant);
        match p {
            Profile::Narrow => normal(125 + pick % 4),
            Profile::Wide => normal(107 + pick % 41),
            Profile::Subnormal => match pick % 4 {
                0 => f32::from_bits(sign | mant),
                1 | 2 => normal(1 + pick % 24),
                _ => normal(120 + pick % 16),
            },
            Profile::Zeros => match pick % 8 {
                0..=5 => f32::from_bits(sign),
                _ => normal(120 + pick % 8),
            },
            Profile::Special => match pick {
                0 => f32::from_bits(sign | 0x7f80_0000),
                1 => f32::from_bits(sign | 0x7fc0_0000 | (mant & 0x3f_ffff)),
                2 => f32::from_bits(sign | 0x7f80_0000 | (mant & 0x3f_ffff).max(1)),
                3 | 4 => normal(250 + pick % 4),
                _ => normal(107 + pick % 41),
            },
        }
    }

    fn values(&mut self, p: Profile, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.value(p)).collect()
    }
}

/// The cases compared, and those that differ (all are run before the test fails, so a
/// failure says which profiles and shapes show it).
#[derive(Default)]
struct Check {
    cases: usize,
    failures: Vec<String>,
}

impl Check {
    /// Equal bits, or both NaN.
    fn same(&mut self, what: impl FnOnce() -> String, got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len());
        self.cases += 1;
        let differ = |(_, (g, w)): &(usize, (&f32, &f32))| {
            g.to_bits() != w.to_bits() && !(g.is_nan() && w.is_nan())
        };
        let mut bad = got.iter().zip(want).enumerate().filter(differ);
        if let Some((i, (g, w))) = bad.next() {
            self.failures.push(format!(
                "{}: {} of {} differ, first {i}: {:#010x} vs {:#010x}",
                what(),
                bad.count() + 1,
                got.len(),
                g.to_bits(),
                w.to_bits()
            ));
        }
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} of {} cases differ:\n{}",
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
    }
}

/// The specification: `out[i][j]` continues from `init[i][j]` with `fma(a[i][p], b[p][j], ..)`
/// over `p` ascending (the software fma).
fn spec_matmul(a: &[f32], sa: Strides, b: &[f32], init: &[f32], [m, k, n]: [usize; 3]) -> Vec<f32> {
    let mut out = init.to_vec();
    for i in 0..m {
        for j in 0..n {
            for p in 0..k {
                let o = &mut out[i * n + j];
                *o = fma(a[i * sa.row + p * sa.col], b[p * n + j], *o);
            }
        }
    }
    out
}

#[test]
fn matmul_agrees_on_every_isa() {
    let shapes = [
        [1, 1, 1],
        [1, 1000, 1],
        [3, 1000, 5],
        [9, 1031, 13],
        [8, 8, 8],
        [16, 300, 16],
        [5, 257, 9],
        [13, 2, 31],
        [4, 0, 5],
    ];
    let mut check = Check::default();
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    for p in PROFILES {
        for (case, &[m, k, n]) in shapes.iter().enumerate() {
            let a = g.values(p, m * k);
            let b = g.values(p, k * n);
            let init = g.values(p, m * n);
            // Every other case reads `a` transposed (the other packing loop).
            let sa = if case % 2 == 0 {
                Strides::row_major(m, k)
            } else {
                Strides::transposed(k, m)
            };
            let sb = Strides::row_major(k, n);
            let zeros = vec![0.0f32; m * n];
            let want = spec_matmul(&a, sa, &b, &zeros, [m, k, n]);
            let want_from = spec_matmul(&a, sa, &b, &init, [m, k, n]);
            for isa in Isa::available() {
                let what = || format!("{isa:?} {p:?} {m}x{k}x{n}");
                let mut out = vec![12345.0f32; m * n];
                matmul_strided(isa, &a, sa, &b, sb, &mut out, 1, m, k, n).unwrap();
                check.same(what, &out, &want);
                let mut out = init.clone();
                matmul_strided_from(isa, &a, sa, &b, sb, &mut out, 1, m, k, n).unwrap();
                check.same(|| what() + " from", &out, &want_from);
            }
        }
    }
    check.finish();
}

/// `simd::chains` directly, for every row count up to past each kernel's limit (the scalar
/// fallback), over 1056 positions, against the literal chains.
#[test]
fn conv_weight_chains_agree_on_every_isa_and_row_count() {
    let walk = Walk {
        n: 2,
        out: [16, 33],
        step: [37, 1],
        sample: 700,
    };
    let positions = walk.n * walk.out[0] * walk.out[1];
    let last = (walk.n - 1) * walk.sample + 15 * walk.step[0] + 32 * walk.step[1];
    let mut check = Check::default();
    let mut g = Gen(0x2545_f491_4f6c_dd1d);
    for p in PROFILES {
        let xpad = g.values(p, last + 120);
        for isa in Isa::available() {
            let l = isa.lanes();
            let grad = g.values(p, positions * l);
            for rows in 1..=30 {
                let offs: Vec<usize> = (0..rows).map(|r| (r * 53) % 120).collect();
                let init = g.values(p, rows * l);
                let mut want = init.clone();
                for (r, &o) in offs.iter().enumerate() {
                    for j in 0..l {
                        let mut t = 0;
                        for b in 0..walk.n {
                            for y in 0..walk.out[0] {
                                for xo in 0..walk.out[1] {
                                    let at = b * walk.sample + y * walk.step[0] + xo + o;
                                    let acc = &mut want[r * l + j];
                                    *acc = fma(grad[t * l + j], xpad[at], *acc);
                                    t += 1;
                                }
                            }
                        }
                    }
                }
                let mut got = init.clone();
                chains(isa, &grad, &xpad, &offs, &walk, &mut got);
                check.same(|| format!("{isa:?} {p:?} {rows} rows"), &got, &want);
            }
        }
    }
    check.finish();
}

/// conv2d's weight gradient through its work items: partial lane groups (1, 3, 5, 6, 7, 9
/// channels per group), row blocks (27 and 50 rows), chains of 1152 positions.
#[test]
fn conv_weight_grad_agrees_on_every_isa() {
    let cases = [
        // (x shape, w shape, padding, groups)
        ([2, 3, 24, 24], [5, 3, 3, 3], [1, 1], 1),
        ([1, 2, 9, 11], [7, 2, 5, 5], [2, 2], 1),
        ([2, 2, 8, 8], [6, 1, 3, 3], [0, 1], 2),
        ([1, 9, 6, 6], [9, 1, 3, 3], [1, 1], 9),
        ([1, 4, 7, 7], [9, 4, 2, 2], [0, 0], 1),
        ([3, 1, 5, 5], [1, 1, 3, 3], [1, 1], 1),
    ];
    let mut check = Check::default();
    let mut g = Gen(0x5851_f42d_4c95_7f2d);
    for p in PROFILES {
        for (xs, ws, padding, groups) in cases {
            let o = Conv2dOptions {
                padding,
                groups,
                ..Default::default()
            };
            let geo = Geometry::new("test", xs, ws, &o).unwrap();
            let x = g.values(p, xs.iter().product());
            let gy = g.values(p, geo.out_len("test").unwrap());
            let init = g.values(p, ws.iter().product());
            let mut want = vec![0.0f32; init.len()];
            weight_grad(Isa::Scalar, &x, xs, &gy, &geo, &o, &mut want, false);
            let mut want_from = init.clone();
            weight_grad(Isa::Scalar, &x, xs, &gy, &geo, &o, &mut want_from, true);
            for isa in Isa::available() {
                let mut got = vec![12345.0f32; init.len()];
                weight_grad(isa, &x, xs, &gy, &geo, &o, &mut got, false);
                let what = || format!("{isa:?} {p:?} {xs:?} {ws:?}");
                check.same(what, &got, &want);
                let mut got = init.clone();
                weight_grad(isa, &x, xs, &gy, &geo, &o, &mut got, true);
                check.same(|| what() + " from", &got, &want_from);
            }
        }
    }
    check.finish();
}

/// Sums (the scalar code compiled for each instruction set).
#[test]
fn sums_agree_on_every_isa() {
    let mut check = Check::default();
    let mut g = Gen(0x1405_7b7e_f767_814f);
    for p in PROFILES {
        for len in [1, 31, 33, 4097, 10_000] {
            let x = g.values(p, len);
            let want = sum_all_with(Isa::Scalar, &x);
            for isa in Isa::available() {
                let what = || format!("{isa:?} {p:?} {len}");
                check.same(what, &[sum_all_with(isa, &x)], &[want]);
            }
        }
    }
    check.finish();
}

/// `available` lists only what this CPU runs; an instruction set it lacks falls back to the
/// widest one below it.
#[test]
fn available_and_fallbacks_follow_the_cpu() {
    let all = Isa::available();
    assert_eq!(all[0], Isa::Scalar);
    assert_eq!(all.contains(&Isa::Neon), cfg!(target_arch = "aarch64"));
    if cfg!(target_arch = "aarch64") {
        assert_eq!(all, [Isa::Scalar, Isa::Neon]);
        assert_eq!(Isa::detect(), Isa::Neon);
        for isa in [Isa::Neon, Isa::Avx2Fma, Isa::Avx512] {
            assert_eq!(isa.clamp(), Isa::Neon);
        }
    } else {
        assert_eq!(Isa::Neon.clamp(), Isa::Scalar);
    }
    for isa in [Isa::Scalar, Isa::Neon, Isa::Avx2Fma, Isa::Avx512] {
        assert!(all.contains(&isa.clamp()) && isa.clamp() <= isa, "{isa:?}");
    }
    assert_eq!(Isa::Scalar.clamp(), Isa::Scalar);
    assert_eq!(Isa::detect(), *all.last().unwrap());
    let names: Vec<&str> = [Isa::Scalar, Isa::Neon, Isa::Avx2Fma, Isa::Avx512]
        .iter()
        .map(|i| i.name())
        .collect();
    assert_eq!(names, ["scalar", "neon", "avx2-fma", "avx512"]);
}
