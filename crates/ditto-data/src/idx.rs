//! Reader for IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed.
//!
//! Layout: two zero bytes, a type byte (`0x08` u8, `0x09` i8, `0x0B` i16, `0x0C` i32, `0x0D`
//! f32, `0x0E` f64), a rank byte, then `rank` big-endian u32 dimensions, then the big-endian
//! payload. The payload length is checked exactly against the dimensions.

use std::io::Read;
use std::path::Path;

use crate::dataset::{InMemory, class_count, class_index};
use crate::error::{Error, ErrorKind};

/// Class: portable. A decoded IDX array: its dimensions and its values as `f32`.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    /// Dimensions, outermost first.
    pub dims: Vec<usize>,
    /// Values in row-major order, converted to `f32`.
    pub values: Vec<f32>,
}

/// Class: portable. Reads an IDX file, raw or gzip-compressed (recognised by its content; a
/// name ending in `.gz` must hold gzip).
pub fn read(path: &Path) -> Result<IdxArray, Error> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    decode(&raw, path)
}

/// Class: portable. Decodes IDX bytes, raw or gzip-compressed (gzip's magic `1f 8b`; a `path`
/// ending in `.gz` must hold gzip); `path` only names the source in errors.
///
/// A header is never trusted: dimensions whose product overflows, or that need more bytes than
/// the input holds (for gzip: more than deflate's largest expansion of the compressed input),
/// are refused before anything of that size is allocated, and a gzip stream is decompressed
/// only up to the size its header announces, plus one byte to detect a longer payload.
pub fn decode(bytes: &[u8], path: &Path) -> Result<IdxArray, Error> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return parse(&gunzip(bytes, path)?, path);
    }
    if path.extension().is_some_and(|e| e == "gz") {
        return Err(Error::new(
            ErrorKind::Corrupt,
            Some(path.to_path_buf()),
            "invalid gzip: the name ends in .gz, the bytes do not start with gzip's magic 1f8b",
        ));
    }
    parse(bytes, path)
}

/// Deflate's largest expansion ratio (a stream of maximal back-references), rounded up.
const MAX_DEFLATE_RATIO: usize = 1033;

fn gunzip(raw: &[u8], path: &Path) -> Result<Vec<u8>, Error> {
    let corrupt = |e: std::io::Error| {
        Error::new(
            ErrorKind::Corrupt,
            Some(path.to_path_buf()),
            format!("invalid gzip: {e}"),
        )
    };
    let mut dec = flate2::read::GzDecoder::new(raw);
    let mut head = vec![0u8; 4];
    let got = read_up_to(&mut dec, &mut head).map_err(corrupt)?;
    if got < 4 {
        head.truncate(got);
        return parse(&head, path).map(|_| head);
    }
    let rank = head[3] as usize;
    head.resize(4 + 4 * rank, 0);
    let got = 4 + read_up_to(&mut dec, &mut head[4..]).map_err(corrupt)?;
    if got < head.len() {
        head.truncate(got);
        return parse(&head, path).map(|_| head);
    }
    let h = header(&head, path)?;
    let cap = raw.len().saturating_mul(MAX_DEFLATE_RATIO);
    if h.payload > cap {
        return Err(Error::new(
            ErrorKind::Truncated,
            Some(path.to_path_buf()),
            format!(
                "dimensions {:?} need {} payload bytes, more than {} compressed bytes can hold",
                h.dims,
                h.payload,
                raw.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(head.len() + h.payload);
    out.extend_from_slice(&head);
    (&mut dec)
        .take(h.payload as u64 + 1)
        .read_to_end(&mut out)
        .map_err(corrupt)?;
    Ok(out)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A checked IDX header.
struct Header {
    /// The type byte.
    kind: u8,
    /// Bytes per value.
    width: usize,
    dims: Vec<usize>,
    /// Header length in bytes.
    len: usize,
    /// Payload length in bytes the dimensions need.
    payload: usize,
}

fn header(bytes: &[u8], path: &Path) -> Result<Header, Error> {
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
    let len = 4 + 4 * rank;
    if bytes.len() < len {
        return Err(err(
            ErrorKind::Truncated,
            format!("{} bytes, header of rank {rank} needs {len}", bytes.len()),
        ));
    }
    let dims: Vec<usize> = (0..rank)
        .map(|i| {
            let o = 4 + 4 * i;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    let payload = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .and_then(|c| c.checked_mul(width))
        .ok_or_else(|| err(ErrorKind::Corrupt, format!("dimensions {dims:?} overflow")))?;
    Ok(Header {
        kind: bytes[2],
        width,
        dims,
        len,
        payload,
    })
}

/// Class: portable. Decodes uncompressed IDX bytes; `path` only names the source in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<IdxArray, Error> {
    let err = |kind, msg: String| Error::new(kind, Some(path.to_path_buf()), msg);
    let Header {
        kind,
        width,
        dims,
        len,
        payload: count,
    } = header(bytes, path)?;
    let payload = &bytes[len..];
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
    let values = match kind {
        0x08 => payload.iter().map(|&b| f32::from(b)).collect(),
        _ => payload
            .chunks_exact(width)
            .map(|c| match kind {
                0x09 => f32::from(c[0] as i8),
                0x0B => f32::from(i16::from_be_bytes([c[0], c[1]])),
                0x0C => i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f32,
                0x0D => f32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                _ => f64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32,
            })
            .collect(),
    };
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
    dataset(img, images, lab, labels, Some(classes))
}

pub(crate) fn pair_from_bytes(
    ib: &[u8],
    images: &Path,
    lb: &[u8],
    labels: &Path,
    classes: u32,
) -> Result<InMemory, Error> {
    dataset(
        parse(ib, images)?,
        images,
        parse(lb, labels)?,
        labels,
        Some(classes),
    )
}

/// Class: portable. An [`InMemory`] data set from decoded image and label arrays (`images`
/// and `labels` name them in errors): sample `i` is the image `img[i]` with the label
/// `lab[i]`. With `classes` `None`, the class count is one more than the largest label.
///
/// Errors: [`ErrorKind::CountMismatch`] when the counts differ or the labels are not 1-D,
/// [`ErrorKind::LabelOutOfRange`] for a label `>= classes` or not a non-negative integer,
/// [`ErrorKind::Empty`] with no images.
pub fn dataset(
    img: IdxArray,
    images: &Path,
    lab: IdxArray,
    labels: &Path,
    classes: Option<u32>,
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
        let label = class_index(v, classes).map_err(|why| {
            Error::new(
                ErrorKind::LabelOutOfRange,
                Some(labels.to_path_buf()),
                format!("label {v} of sample {i} {why}"),
            )
        })?;
        out.push(label);
    }
    let classes = class_count(classes, &out);
    InMemory::new(img.dims[1..].to_vec(), img.values, out, classes).map_err(|e| e.at(images))
}
