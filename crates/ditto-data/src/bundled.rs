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
    let path = dir.join("digits.csv.gz");
    let bytes = read_verified(
        &path,
        "6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8",
    )?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::new(ErrorKind::Corrupt, Some(path.clone()), e.to_string()))?;
    let ds = crate::csv::parse(&text, &path, 64, 10)?;
    Ok(ds.reshaped(vec![8, 8]))
}

/// Class: portable. The Fashion-MNIST subset: `(train, test)` with 6000 and 1000 samples of
/// 28x28 pixels in 0..=255, 10 classes, read from `dir` and checked against their SHA-256.
pub fn fashion_subset(dir: &Path) -> Result<(InMemory, InMemory), Error> {
    let load = |img: &str, img_sha: &str, lab: &str, lab_sha: &str| {
        let ip = dir.join(img);
        let lp = dir.join(lab);
        let ib = read_verified(&ip, img_sha)?;
        let lb = read_verified(&lp, lab_sha)?;
        crate::idx::pair_from_bytes(&ib, &ip, &lb, &lp, 10)
    };
    let train = load(
        "fashion-train-6000-images-idx3-ubyte.gz",
        "6dded81672539b5d148c1a85358069d1808c316dc6f6c0abfd12ba3ced5dd394",
        "fashion-train-6000-labels-idx1-ubyte.gz",
        "d7c464914ae4b919728c5c99c3cdde5a0259febf1e99ddc6927a15768731d7dc",
    )?;
    let test = load(
        "fashion-test-1000-images-idx3-ubyte.gz",
        "7a6d8e07ea021ec5bc73135ebd0a5770799557ec6f8242d8749c4f32a3cf4643",
        "fashion-test-1000-labels-idx1-ubyte.gz",
        "b40abac7ec8228f434940f579deb7cf7b6e3103b5274cb91d1545771f5ef1c8b",
    )?;
    Ok((train, test))
}

fn read_verified(path: &Path, sha_hex: &str) -> Result<Vec<u8>, Error> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
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
