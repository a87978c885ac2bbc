//! The two real data sets vendored in the repository's `examples/data/` (attribution in
//! `examples/data/SOURCES.md`), each checked against the SHA-256 of its decompressed bytes.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::dataset::InMemory;
use crate::error::{Error, ErrorKind};

/// Class: portable. The directory holding the vendored data (`examples/data` of the
/// repository this crate was built from).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data")
}

/// Class: portable. The UCI digits (1797 samples of 8x8 pixels in 0..=16, 10 classes), read
/// from `dir/digits.csv.gz` and checked against its SHA-256.
pub fn digits(dir: &Path) -> Result<InMemory, Error> {
    let path = dir.join(DIGITS.0);
    digits_from_gz(&read_file(&path)?, &path)
}

/// Class: portable. The Fashion-MNIST subset: `(train, test)` with 6000 and 1000 samples of
/// 28x28 pixels in 0..=255, 10 classes, read from `dir` and checked against their SHA-256.
pub fn fashion_subset(dir: &Path) -> Result<(InMemory, InMemory), Error> {
    let mut raw = Vec::with_capacity(FASHION.len());
    for (name, _) in FASHION {
        let path = dir.join(name);
        raw.push((read_file(&path)?, path));
    }
    fashion_from_gz(&raw)
}

/// Class: portable. [`digits`] from the copy compiled into the binary (57 KB), so a program
/// runs anywhere. Needs the `embedded` feature.
#[cfg(feature = "embedded")]
pub fn embedded_digits() -> Result<InMemory, Error> {
    digits_from_gz(
        include_bytes!("../../../examples/data/digits.csv.gz"),
        &Path::new("<embedded>").join(DIGITS.0),
    )
}

/// Class: portable. [`fashion_subset`] from the copy compiled into the binary (3 MB). Needs
/// the `embedded` feature.
#[cfg(feature = "embedded")]
pub fn embedded_fashion_subset() -> Result<(InMemory, InMemory), Error> {
    const RAW: [&[u8]; 4] = [
        include_bytes!("../../../examples/data/fashion-train-6000-images-idx3-ubyte.gz"),
        include_bytes!("../../../examples/data/fashion-train-6000-labels-idx1-ubyte.gz"),
        include_bytes!("../../../examples/data/fashion-test-1000-images-idx3-ubyte.gz"),
        include_bytes!("../../../examples/data/fashion-test-1000-labels-idx1-ubyte.gz"),
    ];
    let raw: Vec<(Vec<u8>, PathBuf)> = RAW
        .iter()
        .zip(FASHION)
        .map(|(bytes, (name, _))| (bytes.to_vec(), Path::new("<embedded>").join(name)))
        .collect();
    fashion_from_gz(&raw)
}

/// Class: portable (constants). The bundled data set `name`'s files (`digits` or `fashion`):
/// each file's name and the SHA-256 of its decompressed bytes, which loading checks. Empty for
/// another name.
pub fn file_hashes(name: &str) -> &'static [(&'static str, &'static str)] {
    match name {
        "digits" => std::slice::from_ref(&DIGITS),
        "fashion" => &FASHION,
        _ => &[],
    }
}

/// File name and SHA-256 of the decompressed bytes.
const DIGITS: (&str, &str) = (
    "digits.csv.gz",
    "6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8",
);

/// Train images, train labels, test images, test labels: file name and SHA-256.
const FASHION: [(&str, &str); 4] = [
    (
        "fashion-train-6000-images-idx3-ubyte.gz",
        "6dded81672539b5d148c1a85358069d1808c316dc6f6c0abfd12ba3ced5dd394",
    ),
    (
        "fashion-train-6000-labels-idx1-ubyte.gz",
        "d7c464914ae4b919728c5c99c3cdde5a0259febf1e99ddc6927a15768731d7dc",
    ),
    (
        "fashion-test-1000-images-idx3-ubyte.gz",
        "7a6d8e07ea021ec5bc73135ebd0a5770799557ec6f8242d8749c4f32a3cf4643",
    ),
    (
        "fashion-test-1000-labels-idx1-ubyte.gz",
        "b40abac7ec8228f434940f579deb7cf7b6e3103b5274cb91d1545771f5ef1c8b",
    ),
];

fn digits_from_gz(raw: &[u8], path: &Path) -> Result<InMemory, Error> {
    let bytes = verify(raw, path, DIGITS.1)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::new(ErrorKind::Corrupt, Some(path.to_path_buf()), e.to_string()))?;
    // 64 pixel columns then the digit; the file has no header row.
    let options = crate::csv::CsvOptions {
        label: crate::csv::LabelColumn::Index(64),
        header: false,
        classes: Some(10),
        class_names: None,
    };
    let ds = crate::csv::parse_with(&text, path, &options)?;
    Ok(ds.reshaped(vec![8, 8]))
}

fn fashion_from_gz(raw: &[(Vec<u8>, PathBuf)]) -> Result<(InMemory, InMemory), Error> {
    let mut plain = Vec::with_capacity(raw.len());
    for ((bytes, path), (_, sha)) in raw.iter().zip(FASHION) {
        plain.push(verify(bytes, path, sha)?);
    }
    let train = crate::idx::pair_from_bytes(&plain[0], &raw[0].1, &plain[1], &raw[1].1, 10)?;
    let test = crate::idx::pair_from_bytes(&plain[2], &raw[2].1, &plain[3], &raw[3].1, 10)?;
    Ok((train, test))
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::io(path.to_path_buf(), e))
}

fn verify(raw: &[u8], path: &Path, sha_hex: &str) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw)
        .read_to_end(&mut out)
        .map_err(|e| {
            Error::new(
                ErrorKind::Corrupt,
                Some(path.to_path_buf()),
                format!("invalid gzip: {e}"),
            )
        })?;
    let got: String = Sha256::digest(&out)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if got != sha_hex {
        return Err(Error::new(
            ErrorKind::Corrupt,
            Some(path.to_path_buf()),
            format!("sha256 of decompressed bytes is {got}, expected {sha_hex}"),
        ));
    }
    Ok(out)
}
