//! Golden values computed by hand from the IEEE 754 layouts (binary16: 1 sign, 5 exponent
//! bits biased by 15, 10 fraction bits; bfloat16: the top 16 bits of binary32), and sweeps
//! against oracles written here independently of `half` (f64 arithmetic for binary16,
//! integer bit arithmetic for bfloat16).

use super::*;

fn f(bits: u32) -> f32 {
    f32::from_bits(bits)
}

#[test]
fn value_stability_downcasts() {
    // (f32, f16 bits, bf16 bits)
    let cases: &[(f32, u16, u16)] = &[
        (1.0, 0x3C00, 0x3F80),
        (-2.0, 0xC000, 0xC000),
        (65504.0, 0x7BFF, 0x4780),
        // 65519 is below the midpoint 65520 between 65504 and 2^16: stays finite.
        (65519.0, 0x7BFF, 0x4780),
        // The midpoint rounds to the even side, 2^16, which overflows binary16.
        (65520.0, 0x7C00, 0x4780),
        (-65520.0, 0xFC00, 0xC780),
        // 1/3 = 0x3EAAAAAB: bf16 0x3EAA + (0xAAAB > 0x8000); f16 1.0101..b x 2^-2 -> 0x3555.
        (1.0 / 3.0, 0x3555, 0x3EAB),
        // 2^-24: the smallest binary16 subnormal.
        (f(0x3380_0000), 0x0001, 0x3380),
        // 2^-25: the midpoint between 0 and 2^-24 rounds to even, 0.
        (f(0x3300_0000), 0x0000, 0x3300),
        (f(0x3280_0000), 0x0000, 0x3280),
        (-f(0x3280_0000), 0x8000, 0xB280),
        // 1.5 x 2^-25 = 0.75 x 2^-24 -> 2^-24; 3 x 2^-25 = 1.5 x 2^-24 -> 2 x 2^-24 (even).
        (f(0x3340_0000), 0x0001, 0x3340),
        (f(0x33C0_0000), 0x0002, 0x33C0),
        // 2^-14: the smallest binary16 normal.
        (f(0x3880_0000), 0x0400, 0x3880),
        (-0.0, 0x8000, 0x8000),
        (0.0, 0x0000, 0x0000),
        (f32::INFINITY, 0x7C00, 0x7F80),
        (f32::NEG_INFINITY, 0xFC00, 0xFF80),
        // f32::MAX: bf16 0x7F7F + round up -> 0x7F80, infinity.
        (f32::MAX, 0x7C00, 0x7F80),
        (f(0x7F7F_7FFF), 0x7C00, 0x7F7F),
        // f32 subnormals: below both formats' reach, except bf16's own subnormals.
        (f(0x0000_0001), 0x0000, 0x0000),
        (f(0x0001_0000), 0x0000, 0x0001),
        (f(0x0001_8000), 0x0000, 0x0002),
        (f(0x0000_8000), 0x0000, 0x0000),
        // bf16 ties to even and just above a tie.
        // (f16: 1 + 2^-8 = 0x3C04 exactly; 1 + 3 x 2^-8 = 0x3C0C.)
        (f(0x3F80_8000), 0x3C04, 0x3F80),
        (f(0x3F81_8000), 0x3C0C, 0x3F82),
        (f(0x3F80_8001), 0x3C04, 0x3F81),
        (f(0x3F80_7FFF), 0x3C04, 0x3F80),
    ];
    for &(x, h16, b16) in cases {
        assert_eq!(f32_to_f16(x), h16, "f16 of {x:e} ({:#010x})", x.to_bits());
        assert_eq!(f32_to_bf16(x), b16, "bf16 of {x:e} ({:#010x})", x.to_bits());
    }
}

#[test]
fn nan_becomes_a_quiet_nan_with_its_sign_and_top_payload_bits() {
    // (f32 bits, f16 bits, bf16 bits)
    let cases: &[(u32, u16, u16)] = &[
        (0x7FC0_0000, 0x7E00, 0x7FC0),
        // Signalling, payload only in the low bits: quieted, never an infinity.
        (0x7F80_0001, 0x7E00, 0x7FC0),
        (0xFF80_0001, 0xFE00, 0xFFC0),
        // Signalling with a high payload bit: kept, quiet bit set.
        (0xFFA0_0000, 0xFF00, 0xFFE0),
        (0x7FBF_FFFF, 0x7FFF, 0x7FFF),
        (0x7FFF_FFFF, 0x7FFF, 0x7FFF),
    ];
    for &(x, h16, b16) in cases {
        assert_eq!(f32_to_f16(f(x)), h16, "f16 of {x:#010x}");
        assert_eq!(f32_to_bf16(f(x)), b16, "bf16 of {x:#010x}");
    }
}

#[test]
fn value_stability_upcasts() {
    let f16s: &[(u16, u32)] = &[
        (0x3C00, 0x3F80_0000),
        (0x0001, 0x3380_0000),
        (0x8001, 0xB380_0000),
        (0x03FF, 0x387F_C000),
        (0x7BFF, 0x477F_E000),
        (0x8000, 0x8000_0000),
        (0x7C00, 0x7F80_0000),
        (0xFC00, 0xFF80_0000),
        (0x7E00, 0x7FC0_0000),
        // Signalling NaNs stay signalling, payload exact.
        (0x7C01, 0x7F80_2000),
        (0xFC01, 0xFF80_2000),
        (0x7D55, 0x7FAA_A000),
    ];
    for &(h, want) in f16s {
        assert_eq!(f16_to_f32(h).to_bits(), want, "f16 {h:#06x}");
    }
    for &(h, want) in &[
        (0x3F80u16, 0x3F80_0000u32),
        (0xFF81, 0xFF81_0000),
        (0x0001, 0x0001_0000),
    ] {
        assert_eq!(bf16_to_f32(h).to_bits(), want, "bf16 {h:#06x}");
    }
    // Why NaNs do not go through `half`: its `to_f32` sets the quiet bit.
    assert_eq!(f16::from_bits(0x7C01).to_f32().to_bits(), 0x7FC0_2000);
    assert_eq!(bf16::from_bits(0x7F81).to_f32().to_bits(), 0x7FC1_0000);
}

/// The exact value of binary16 `h` from its fields, in f64 arithmetic; NaN from its bits.
fn f16_oracle(h: u16) -> u32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let (e, m) = (i32::from((h >> 10) & 0x1F), f64::from(h & 0x03FF));
    match e {
        31 if m == 0.0 => (sign * f64::INFINITY) as f32,
        31 => return (u32::from(h & 0x8000) << 16) | 0x7F80_0000 | (u32::from(h & 0x3FF) << 13),
        0 => (sign * m * 2f64.powi(-24)) as f32,
        _ => (sign * (1024.0 + m) * 2f64.powi(e - 25)) as f32,
    }
    .to_bits()
}

#[test]
fn upcasts_are_exact_for_every_half_value() {
    for h in 0..=u16::MAX {
        assert_eq!(f16_to_f32(h).to_bits(), f16_oracle(h), "f16 {h:#06x}");
        assert_eq!(
            bf16_to_f32(h).to_bits(),
            u32::from(h) << 16,
            "bf16 {h:#06x}"
        );
        // Every half value comes back unchanged (NaNs quieted).
        let quiet16 = if f16_to_f32(h).is_nan() {
            h | 0x0200
        } else {
            h
        };
        assert_eq!(f32_to_f16(f16_to_f32(h)), quiet16, "f16 {h:#06x}");
        let quietb = if bf16_to_f32(h).is_nan() {
            h | 0x0040
        } else {
            h
        };
        assert_eq!(f32_to_bf16(bf16_to_f32(h)), quietb, "bf16 {h:#06x}");
    }
}

/// Round to nearest, ties to even, into binary16, as a value (f64; infinities for overflow).
fn f16_rne_oracle(x: f32) -> f64 {
    let b = x.to_bits();
    let e = (((b >> 23) & 0xFF) as i32 - 127).max(-14);
    let quantum = 2f64.powi(e - 10);
    let v = (f64::from(x) / quantum).round_ties_even() * quantum;
    if v.abs() >= 65536.0 {
        v.signum() * f64::INFINITY
    } else {
        v
    }
}

#[test]
fn downcasts_round_to_nearest_even_across_the_f32_range() {
    // Every 4099th bit pattern, and a window around each binary16 boundary.
    let boundaries = [
        0x3300_0000u32,
        0x3380_0000,
        0x3880_0000,
        0x477F_E000,
        0x477F_F000,
    ];
    let windows = boundaries.iter().flat_map(|&c| c - 4096..c + 4096);
    for b in (0..=u32::MAX).step_by(4099).chain(windows) {
        let x = f32::from_bits(b);
        for x in [x, -x] {
            let (h, bf) = (f32_to_f16(x), f32_to_bf16(x));
            if x.is_nan() {
                assert!(f16_to_f32(h).is_nan() && h & 0x0200 != 0, "{b:#010x}");
                assert!(bf16_to_f32(bf).is_nan() && bf & 0x0040 != 0, "{b:#010x}");
                continue;
            }
            let want = f16_rne_oracle(x);
            let got = f64::from(f16_to_f32(h));
            assert!(
                got == want && got.is_sign_negative() == x.is_sign_negative(),
                "f16 of {b:#010x}: {got:e}, expected {want:e}"
            );
            let u = u64::from(x.to_bits());
            let want_bf = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) as u16;
            assert_eq!(bf, want_bf, "bf16 of {:#010x}", x.to_bits());
        }
    }
}

#[test]
fn counts_say_what_the_conversion_changed() {
    let values = [
        1.0,
        1.0 / 3.0,
        1e5,
        f32::INFINITY,
        f(0x3280_0000),
        -f(0x3280_0000),
        f(0x3380_0000),
        0.0,
        f32::NAN,
    ];
    let (bytes, c) = encode(Dtype::F16, &values).unwrap();
    assert_eq!(bytes.len(), 18);
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), 0x7C00);
    let want = ConversionCounts {
        values: 9,
        // 1/3, 1e5 (overflow), both 2^-26 (flushed)
        rounded: 4,
        overflowed: 1,
        flushed: 2,
        // 2^-24
        subnormal: 1,
        nan: 1,
    };
    assert_eq!(c, want);
    let (_, c) = encode(Dtype::BF16, &[f32::MAX, f(1), f(0x0001_0000), 1.0, 1e5]).unwrap();
    assert_eq!(
        (c.overflowed, c.flushed, c.subnormal, c.rounded),
        (1, 1, 1, 3)
    );
    let (bytes, c) = encode(Dtype::F32, &[f(0x7FA0_0001), -0.0]).unwrap();
    assert_eq!(bytes, [1, 0, 0xA0, 0x7F, 0, 0, 0, 0x80]);
    assert_eq!((c.values, c.nan, c.rounded), (2, 1, 0));
    assert!(encode(Dtype::U8, &[1.0]).is_none());
}

#[test]
fn decode_refuses_what_does_not_fit_and_reads_what_does() {
    let e = decode(Dtype::F16, &[2, 2], &[0; 7]).unwrap_err();
    assert!(e.contains("truncated or malformed"), "{e}");
    let e = decode(Dtype::BF16, &[usize::MAX, 3], &[]).unwrap_err();
    assert!(e.contains("overflows"), "{e}");
    let e = decode(Dtype::I64, &[1], &[0; 8]).unwrap_err();
    assert!(e.contains("float tensor"), "{e}");
    let v = decode(Dtype::F16, &[3], &[0x00, 0x3C, 0x01, 0x7C, 0x00, 0x80]).unwrap();
    let bits: Vec<u32> = v.iter().map(|v| v.to_bits()).collect();
    assert_eq!(bits, [0x3F80_0000, 0x7F80_2000, 0x8000_0000]);
    let v = decode(Dtype::BF16, &[1], &[0x81, 0xFF]).unwrap();
    assert_eq!(v[0].to_bits(), 0xFF81_0000);
}
