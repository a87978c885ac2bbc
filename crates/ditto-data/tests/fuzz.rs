//! Fuzzing the data parsers on stable Rust (see `fuzz_support`): IDX headers and payloads,
//! CSV text, and the loader state's JSON. Every input must end in `Ok` or a typed
//! `ditto_data::Error`: no panic, no abort, and no allocation beyond a fixed multiple of the
//! input's size (an IDX header claiming 2^60 elements is refused before allocating).
//!
//! Quick run: part of `cargo test` (3,000 inputs per parser). Long run: see README
//! ("Contributing"): `DITTO_FUZZ_CASES=100000 cargo test --release -p ditto-data --test fuzz`.

mod fuzz_support;

use std::path::Path;
use std::sync::Arc;

use ditto_data::{InMemory, Loader, LoaderConfig, LoaderState, csv, idx};
use ditto_rng::Seed;

#[global_allocator]
static ALLOC: fuzz_support::counting_alloc::Counting = fuzz_support::counting_alloc::Counting;

fn idx_file(ty: u8, dims: &[u32], width: usize) -> Vec<u8> {
    let mut b = vec![0, 0, ty, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    let n: usize = dims.iter().map(|&d| d as usize).product::<usize>() * width;
    b.extend((0..n).map(|i| (i * 37 % 251) as u8));
    b
}

#[test]
fn fuzz_idx() {
    let corpus = vec![
        idx_file(0x08, &[3, 2, 2], 1),
        idx_file(0x08, &[5], 1),
        idx_file(0x09, &[2, 3], 1),
        idx_file(0x0B, &[2, 2], 2),
        idx_file(0x0C, &[3], 4),
        idx_file(0x0D, &[2, 2, 1], 4),
        idx_file(0x0E, &[2], 8),
        // Claims 2^60 elements (2^30 x 2^30) with a 4-byte payload.
        [
            &[0, 0, 8, 2][..],
            &(1u32 << 30).to_be_bytes(),
            &(1u32 << 30).to_be_bytes(),
            &[1, 2, 3, 4],
        ]
        .concat(),
    ];
    fuzz_support::fuzz("idx", corpus, 16, |b| {
        idx::parse(b, Path::new("fuzz-idx-ubyte")).is_ok()
    });
}

#[test]
fn fuzz_csv() {
    let corpus = vec![
        b"a,b,label\n1,2,0\n3.5,-4,1\n0,0,2\n".to_vec(),
        b"0.1,0.2,0.3,1\n1e3,2,3,0\n".to_vec(),
        b"1,2,0\r\n\r\n3,4,1\r\n".to_vec(),
    ];
    fuzz_support::fuzz("csv", corpus, 16, |b| {
        let text = String::from_utf8_lossy(b);
        let path = Path::new("fuzz.csv");
        // The label column and class count are the caller's; try ordinary and extreme ones.
        let a = csv::parse(&text, path, 2, 3).is_ok();
        let _ = csv::parse(&text, path, usize::MAX, u32::MAX);
        let _ = csv::parse(&text, path, 0, 0);
        a
    });
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn fuzz_idx_gzip() {
    // Mutated gzip streams of IDX files: a header decompressed from a few bytes may announce
    // any size, so the bound is deflate's largest expansion (1033x) of the input, as f32.
    let corpus = vec![
        gzip(&idx_file(0x08, &[3, 2, 2], 1)),
        gzip(&idx_file(0x08, &[40, 8, 8], 1)),
        gzip(&idx_file(0x0D, &[2, 2, 1], 4)),
        gzip(
            &[
                &[0, 0, 8, 3][..],
                &60_000u32.to_be_bytes(),
                &[0, 0, 0, 28, 0, 0, 0, 28],
            ]
            .concat(),
        ),
    ];
    fuzz_support::fuzz("idx-gzip", corpus, 1033 * 6, |b| {
        idx::decode(b, Path::new("fuzz-idx.gz")).is_ok()
    });
}

#[test]
fn fuzz_csv_with_options() {
    let corpus = vec![
        b"a,b,label\n1,2,0\n3.5,-4,1\n0,0,2\n".to_vec(),
        b"\"x\",label\n1,1\n\n2,0\n".to_vec(),
        b"0.1,0.2,0.3,1\n1e3,2,3,0\n".to_vec(),
    ];
    let options = [
        (csv::LabelColumn::Name("label".into()), true, None),
        (csv::LabelColumn::Index(1), true, Some(3)),
        (csv::LabelColumn::Index(0), false, None),
        (csv::LabelColumn::Index(usize::MAX), false, Some(0)),
    ];
    fuzz_support::fuzz("csv-options", corpus, 16, |b| {
        let text = String::from_utf8_lossy(b);
        let mut any = false;
        for (label, header, classes) in &options {
            let o = csv::CsvOptions {
                label: label.clone(),
                header: *header,
                classes: *classes,
            };
            any |= csv::parse_with(&text, Path::new("fuzz.csv"), &o).is_ok();
        }
        any
    });
}

#[test]
fn fuzz_loader_state() {
    let corpus = vec![
        br#"{"epoch":3,"batch":7}"#.to_vec(),
        br#"{"epoch":0,"batch":0}"#.to_vec(),
        br#"{"batch":1,"epoch":18446744073709551615}"#.to_vec(),
    ];
    let data = Arc::new(
        InMemory::new(
            vec![2],
            (0..40).map(|i| i as f32).collect(),
            (0..20).map(|i| i % 3).collect(),
            3,
        )
        .unwrap(),
    );
    let config = LoaderConfig::new(Seed::from_u64(1), 3);
    fuzz_support::fuzz("loader-state", corpus, 16, |b| {
        let Ok(state) = serde_json::from_slice::<LoaderState>(b) else {
            return false;
        };
        // A parsed state must also be usable: restore it and draw the next batch.
        let mut loader = Loader::new(data.clone(), config.clone()).unwrap();
        loader.restore(state);
        let _ = loader.epoch().next();
        true
    });
}
