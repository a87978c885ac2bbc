//! Reader for IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed.
//!
//! Layout: two zero bytes, a type byte (`0x08` u8, `0x09` i8, `0x0B` i16, `0x0C` i32, `0x0D`
//! f32, `0x0E` f64), a rank byte, then `rank` big-endian u32 dimensions, then the big-endian
//! payload. The payload length is checked exactly against the dimensions.

use std::io::Read;
use std::path::Path;

use crate::dataset::InMemory;
use crate::error::{Error, ErrorKind};

/// Class: portable. A decoded IDX array: its dimensions and its values as `f32`.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    /// Dimensions, outermost first.
    pub dims: Vec<usize>,
    /// Values in row-major order, converted to `f32`.
    pub values: Vec<f32>,
}

/// Class: portable. Reads an IDX file; a name ending in `.gz` is decompressed first.
pub fn read(path: &Path) -> Result<IdxArray, Error> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
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
        out
    } else {
        raw
    };
    parse(&bytes, path)
}

/// Class: portable. Decodes IDX bytes; `path` only names the source in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<IdxArray, Error> {
    let err = |kind, msg: String| Error::new(kind, Some(path.to_path_buf()), msg);
    if bytes.len() < 4 {
        return Err(err(
            ErrorKind::Truncated,
            format!("{} bytes, no 4-byte header", bytes.len()),
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(err(
            ErrorKind::BadMagic,
            format!(
                "magic starts {:02x}{:02x}, expected 0000",
                bytes[0], bytes[1]
            ),
        ));
    }
    let width = match bytes[2] {
        0x08 | 0x09 => 1,
        0x0B => 2,
        0x0C | 0x0D => 4,
        0x0E => 8,
        t => {
            return Err(err(
                ErrorKind::BadMagic,
                format!("unknown type byte {t:#04x}"),
            ));
        }
    };
    let rank = bytes[3] as usize;
    let header = 4 + 4 * rank;
    if bytes.len() < header {
        return Err(err(
            ErrorKind::Truncated,
            format!(
                "{} bytes, header of rank {rank} needs {header}",
                bytes.len()
            ),
        ));
    }
    let dims: Vec<usize> = (0..rank)
        .map(|i| {
            let o = 4 + 4 * i;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .and_then(|c| c.checked_mul(width))
        .ok_or_else(|| err(ErrorKind::Corrupt, format!("dimensions {dims:?} overflow")))?;
    let payload = &bytes[header..];
    if payload.len() < count {
        return Err(err(
            ErrorKind::Truncated,
            format!(
                "payload {} bytes, dimensions {dims:?} need {count}",
                payload.len()
            ),
        ));
    }
    if payload.len() > count {
        return Err(err(
            ErrorKind::Corrupt,
            format!(
                "payload {} bytes, dimensions {dims:?} need only {count}",
                payload.len()
            ),
        ));
    }
    let values = payload
        .chunks_exact(width)
        .map(|c| match bytes[2] {
            0x08 => c[0] as f32,
            0x09 => c[0] as i8 as f32,
            0x0B => i16::from_be_bytes([c[0], c[1]]) as f32,
            0x0C => i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f32,
            0x0D => f32::from_be_bytes([c[0], c[1], c[2], c[3]]),
            _ => f64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32,
        })
        .collect();
    Ok(IdxArray { dims, values })
}

/// Class: portable. Loads an image file and a label file (e.g. MNIST's
/// `train-images-idx3-ubyte.gz` and `train-labels-idx1-ubyte.gz`, from any directory) as an
/// [`InMemory`] dataset with `classes` classes. Pixel values are kept as read (0..=255).
///
/// Errors: those of [`read`]; [`ErrorKind::CountMismatch`] when the counts differ,
/// [`ErrorKind::LabelOutOfRange`] for a label `>= classes` or not a non-negative integer,
/// [`ErrorKind::Empty`] with no images.
pub fn load_pair(images: &Path, labels: &Path, classes: u32) -> Result<InMemory, Error> {
    let img = read(images)?;
    let lab = read(labels)?;
    pair(img, images, lab, labels, classes)
}

pub(crate) fn pair_from_bytes(
    ib: &[u8],
    images: &Path,
    lb: &[u8],
    labels: &Path,
    classes: u32,
) -> Result<InMemory, Error> {
    pair(
        parse(ib, images)?,
        images,
        parse(lb, labels)?,
        labels,
        classes,
    )
}

fn pair(
    img: IdxArray,
    images: &Path,
    lab: IdxArray,
    labels: &Path,
    classes: u32,
) -> Result<InMemory, Error> {
    let n_img = img.dims.first().copied().unwrap_or(0);
    let n_lab = lab.dims.first().copied().unwrap_or(0);
    if n_img != n_lab || lab.dims.len() != 1 {
        return Err(Error::new(
            ErrorKind::CountMismatch,
            Some(labels.to_path_buf()),
            format!(
                "{n_lab} labels (dims {:?}) for {n_img} images in {}",
                lab.dims,
                images.display()
            ),
        ));
    }
    if n_img == 0 {
        return Err(Error::new(
            ErrorKind::Empty,
            Some(images.to_path_buf()),
            "no images",
        ));
    }
    let mut out = Vec::with_capacity(n_lab);
    for (i, &v) in lab.values.iter().enumerate() {
        if !(v >= 0.0 && v.fract() == 0.0 && v < classes as f32) {
            return Err(Error::new(
                ErrorKind::LabelOutOfRange,
                Some(labels.to_path_buf()),
                format!("label {v} of sample {i} is not below {classes} classes"),
            ));
        }
        out.push(v as u32);
    }
    InMemory::new(img.dims[1..].to_vec(), img.values, out, classes)
}
