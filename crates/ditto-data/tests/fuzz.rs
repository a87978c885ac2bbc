//! Fuzzing the data parsers on stable Rust (see `fuzz_support`): IDX headers and payloads,
//! CSV (quoted fields, text labels, header on and off, class names given), and the loader
//! state's JSON. Every input must end in `Ok` or a typed
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

/// CSV inputs: numbers, quoted fields (commas, doubled quotes, line breaks), text labels,
/// CRLF, a byte-order mark, blank lines.
fn csv_corpus() -> Vec<Vec<u8>> {
    [
        &b"a,b,label\n1,2,0\n3.5,-4,1\n0,0,2\n"[..],
        b"0.1,0.2,0.3,1\n1e3,2,3,0\n",
        b"1,2,0\r\n\r\n3,4,1\r\n",
        b"\"x\",label\n1,1\n\n2,0\n",
        b"sepal,petal,species\n5.1,1.4,\"Iris-setosa\"\n7.0,4.7,Iris-versicolor\n6.3,6.0,\"Iris-virginica\"\n",
        b"\"a,b\",\"q \"\"x\"\"\",label\r\n\"1\",2,\"two\nlines\"\r\n3,\"4\",\"x,y\"\r\n",
        b"\xef\xbb\xbfx,label\n1,Zebra\n2,apple\n3,banana\n",
    ]
    .iter()
    .map(|b| b.to_vec())
    .chain([distinct_labels()])
    .collect()
}

/// The most label text per byte: 2,704 distinct two-letter labels, one per line.
fn distinct_labels() -> Vec<u8> {
    let letters = (b'a'..=b'z').chain(b'A'..=b'Z');
    letters
        .clone()
        .flat_map(|a| letters.clone().flat_map(move |b| [a, b, b'\n']))
        .collect()
}

/// Every way to read a file: header on and off, label by name and by index (ordinary and
/// extreme), inferred or given class counts, class names given or not.
fn csv_options() -> Vec<csv::CsvOptions> {
    let names = |n: &[&str]| Some(n.iter().map(|s| s.to_string()).collect());
    let o = |label, header, classes, class_names| csv::CsvOptions {
        label,
        header,
        classes,
        class_names,
    };
    use csv::LabelColumn::{Index, Name};
    vec![
        o(Name("label".into()), true, None, None),
        o(Name("species".into()), true, None, None),
        o(Index(1), true, Some(3), None),
        o(Index(2), false, Some(3), None),
        o(Index(0), false, None, None),
        o(Index(usize::MAX), false, Some(0), None),
        o(Index(0), false, Some(u32::MAX), None),
        o(Name("label".into()), true, None, names(&["0", "1", "2"])),
        o(
            Name("species".into()),
            true,
            Some(3),
            names(&["Iris-setosa", "Iris-versicolor", "Iris-virginica"]),
        ),
        o(
            Index(1),
            false,
            None,
            names(&["Zebra", "apple", "banana", "a", "a"]),
        ),
    ]
}

#[test]
fn fuzz_csv() {
    // Each option set on one file. The bound covers a distinct label per row (a map entry and
    // the sorted names: 44 bytes per input byte on the corpus's last entry).
    let options = csv_options();
    fuzz_support::fuzz("csv", csv_corpus(), 64, |b| {
        let text = String::from_utf8_lossy(b);
        let mut any = false;
        for o in &options {
            any |= csv::parse_with(&text, Path::new("fuzz.csv"), o).is_ok();
        }
        any
    });
}

#[test]
fn fuzz_csv_two_files() {
    // The input's two halves as a training and a test file mapped together, raw bytes
    // (not UTF-8 checked before).
    let options = csv_options();
    fuzz_support::fuzz("csv-files", csv_corpus(), 64, |b| {
        let (train, test) = b.split_at(b.len() / 2);
        let files = [
            (train, Path::new("train.csv")),
            (test, Path::new("test.csv")),
        ];
        let mut any = false;
        for o in &options {
            any |= csv::parse_files(&files, o).is_ok();
        }
        any
    });
}

#[test]
fn fuzz_csv_features() {
    // Prediction inputs (`csv::read_features`): every width with and without a label column
    // to skip, header on and off. Features are 4 bytes per input byte at most.
    use csv::LabelColumn::{Index, Name};
    let labels = [
        None,
        Some(Index(0)),
        Some(Index(2)),
        Some(Index(usize::MAX)),
        Some(Name("label".into())),
        Some(Name("species".into())),
    ];
    fuzz_support::fuzz("csv-features", csv_corpus(), 16, |b| {
        let mut any = false;
        for label in &labels {
            for header in [false, true] {
                for features in [0, 1, 2, 3, usize::MAX] {
                    let r = csv::read_features(
                        b,
                        Path::new("predict.csv"),
                        header,
                        label.as_ref(),
                        features,
                    );
                    any |= r.is_ok();
                }
            }
        }
        any
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
fn fuzz_loader_state() {
    let corpus = vec![
        br#"{"epoch":3,"batch":7}"#.to_vec(),
        br#"{"epoch":0,"batch":0}"#.to_vec(),
        br#"{"batch":1,"epoch":18446744073709551615}"#.to_vec(),
        br#"{"batch":7,"epoch":18446744073709551615}"#.to_vec(),
        br#"{"batch":8,"epoch":3}"#.to_vec(),
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
        // A state past the epoch's end is refused; every other one must be usable for two
        // epochs (the epoch after `u64::MAX` does not exist: the loader yields nothing).
        let mut loader = Loader::new(data.clone(), config.clone()).unwrap();
        if loader.restore(state).is_err() {
            return false;
        }
        let _ = loader.epoch().count();
        let _ = loader.epoch().next();
        true
    });
}
