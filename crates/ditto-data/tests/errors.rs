//! One test per error case: each is a typed error naming the path, never a panic.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ditto_data::{ErrorKind, InMemory, Loader, LoaderConfig, bundled, idx};
use ditto_rng::Seed;

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ditto-data-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn idx_bytes(type_byte: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, type_byte, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

#[test]
fn reads_a_valid_idx_file() {
    let p = tmp(
        "ok.idx",
        &idx_bytes(0x0B, &[2, 2], &[0, 1, 0xff, 0xfe, 0, 3, 1, 0]),
    );
    let a = idx::read(&p).unwrap();
    assert_eq!(a.dims, vec![2, 2]);
    assert_eq!(a.values, vec![1.0, -2.0, 3.0, 256.0]);
}

#[test]
fn truncated_file() {
    let p = tmp("trunc.idx", &idx_bytes(0x08, &[2, 3], &[1, 2, 3, 4, 5]));
    let e = idx::read(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated);
    assert_eq!(e.path(), Some(p.as_path()));
    assert!(e.to_string().contains("trunc.idx"), "{e}");
}

#[test]
fn corrupt_file_too_long_or_bad_gzip() {
    let p = tmp("long.idx", &idx_bytes(0x08, &[2], &[1, 2, 3]));
    assert_eq!(idx::read(&p).unwrap_err().kind(), ErrorKind::Corrupt);
    let g = tmp("bad.idx.gz", b"not gzip at all");
    assert_eq!(idx::read(&g).unwrap_err().kind(), ErrorKind::Corrupt);
}

#[test]
fn corrupt_vendored_file_fails_the_checksum() {
    let dir = std::env::temp_dir().join(format!("ditto-data-sha-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A valid gzip of different content.
    let src = bundled::data_dir().join("fashion-test-1000-labels-idx1-ubyte.gz");
    std::fs::copy(&src, dir.join("digits.csv.gz")).unwrap();
    let e = bundled::digits(&dir).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    assert!(e.to_string().contains("sha256"), "{e}");
}

#[test]
fn wrong_magic() {
    let mut b = idx_bytes(0x08, &[1], &[1]);
    b[0] = 1;
    let p = tmp("magic.idx", &b);
    assert_eq!(idx::read(&p).unwrap_err().kind(), ErrorKind::BadMagic);
    let p = tmp("type.idx", &idx_bytes(0x07, &[1], &[1]));
    assert_eq!(idx::read(&p).unwrap_err().kind(), ErrorKind::BadMagic);
}

#[test]
fn label_count_mismatch() {
    let img = tmp("img3.idx", &idx_bytes(0x08, &[3, 2], &[0; 6]));
    let lab = tmp("lab2.idx", &idx_bytes(0x08, &[2], &[0, 1]));
    let e = idx::load_pair(&img, &lab, 10).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CountMismatch);
    assert_eq!(e.path(), Some(lab.as_path()));
}

#[test]
fn label_out_of_range() {
    let img = tmp("img2.idx", &idx_bytes(0x08, &[2, 2], &[0; 4]));
    let lab = tmp("lab-oor.idx", &idx_bytes(0x08, &[2], &[0, 10]));
    let e = idx::load_pair(&img, &lab, 10).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LabelOutOfRange);
    let e = InMemory::new(vec![1], vec![0.0], vec![5], 5).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LabelOutOfRange);
    let e = ditto_data::csv::parse_with("1,2,3\n", Path::new("x.csv"), &csv_options(2, 3, false))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LabelOutOfRange);
}

#[test]
fn empty_dataset() {
    let img = tmp("img0.idx", &idx_bytes(0x08, &[0, 2], &[]));
    let lab = tmp("lab0.idx", &idx_bytes(0x08, &[0], &[]));
    assert_eq!(
        idx::load_pair(&img, &lab, 10).unwrap_err().kind(),
        ErrorKind::Empty
    );
    assert_eq!(
        InMemory::new(vec![1], vec![], vec![], 2)
            .unwrap_err()
            .kind(),
        ErrorKind::Empty
    );
    let e = ditto_data::csv::parse_with("a,b\n", Path::new("h.csv"), &csv_options(1, 2, true))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Empty);
}

fn csv_options(label: usize, classes: u32, header: bool) -> ditto_data::csv::CsvOptions {
    ditto_data::csv::CsvOptions {
        label: ditto_data::csv::LabelColumn::Index(label),
        header,
        classes: Some(classes),
        class_names: None,
    }
}

fn one() -> Arc<InMemory> {
    Arc::new(InMemory::new(vec![1], vec![0.0], vec![0], 1).unwrap())
}

#[test]
fn batch_size_zero() {
    let e = Loader::new(one(), LoaderConfig::new(Seed::from_u64(0), 0))
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
}

#[test]
fn rank_not_below_world() {
    let mut c = LoaderConfig::new(Seed::from_u64(0), 1);
    c.rank = 2;
    c.world = 2;
    let e = Loader::new(one(), c).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.to_string().contains("rank 2"), "{e}");
}

#[test]
fn missing_file_is_io_with_source() {
    let e = idx::read(Path::new("/nonexistent/ditto/x.idx")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn bundled_sets_load_with_expected_shapes() {
    let d = bundled::digits(&bundled::data_dir()).unwrap();
    assert_eq!(
        (ditto_data::Dataset::len(&d), d.dims()),
        (1797, &[8usize, 8][..])
    );
    let (tr, te) = bundled::fashion_subset(&bundled::data_dir()).unwrap();
    assert_eq!(ditto_data::Dataset::len(&tr), 6000);
    assert_eq!(ditto_data::Dataset::len(&te), 1000);
    assert_eq!(tr.dims(), &[28, 28]);
    assert_eq!(&d.labels()[..3], &[0, 1, 2]);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn idx_u8(dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend_from_slice(payload);
    b
}

#[test]
fn gzip_is_recognised_by_content_and_decodes_like_raw() {
    let raw = idx_u8(&[2, 3], &[0, 1, 2, 3, 4, 255]);
    let p = Path::new("no-extension");
    let a = idx::decode(&raw, p).unwrap();
    assert_eq!(idx::decode(&gzip(&raw), p).unwrap(), a);
    assert_eq!(a.dims, vec![2, 3]);
    assert_eq!(a.values, vec![0.0, 1.0, 2.0, 3.0, 4.0, 255.0]);
}

#[test]
fn hostile_gzip_headers_are_refused_before_allocating() {
    let p = Path::new("hostile.gz");
    // An MNIST-sized header (47 MB of pixels) in a gzip of a few dozen bytes.
    let e = idx::decode(&gzip(&idx_u8(&[60_000, 28, 28], &[1, 2, 3])), p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated, "{e}");
    assert!(e.to_string().contains("more than"), "{e}");
    // Dimensions whose product overflows.
    let huge = [u32::MAX; 4];
    let e = idx::decode(&gzip(&idx_u8(&huge, &[])), p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    let e = idx::decode(&idx_u8(&huge, &[]), p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    // A payload longer than the header says, and a gzip stream cut short.
    let long = gzip(&idx_u8(&[2], &[1, 2, 3]));
    assert_eq!(
        idx::decode(&long, p).unwrap_err().kind(),
        ErrorKind::Corrupt
    );
    let full = gzip(&idx_u8(&[4, 4], &[7; 16]));
    for cut in [3, 10, full.len() - 9] {
        let e = idx::decode(&full[..cut], p).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::Truncated),
            "{cut}: {e}"
        );
    }
    // A header cut inside its dimensions.
    let e = idx::decode(&gzip(&[0, 0, 8, 3, 0, 0]), p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated, "{e}");
}
