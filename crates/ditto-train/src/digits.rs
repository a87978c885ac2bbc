//! The bundled `digits` data set as a [`DataSource`]: embedded, checksummed, split and
//! shuffled from the seed tree.

use std::io::Read;

use ditto_rng::Seed;
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind};
use crate::source::{Batch, DataSource};

/// The gzipped CSV, embedded so that the binary runs anywhere (57 KB).
const DIGITS_GZ: &[u8] = include_bytes!("../../../examples/data/digits.csv.gz");
/// SHA-256 of the decompressed CSV (examples/data/SOURCES.md).
const DIGITS_SHA256: &str = "6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8";

/// Class: portable. UCI optical digits (1797 8x8 images, 10 classes), pixels scaled to
/// `[0, 1]` by `/ 16`.
///
/// * Split: `seed.derive("split").stream().permutation(1797)`; the first
///   `round(1797 * test_fraction)` indices are the test set, the rest the training set.
/// * Epoch `e`'s order: `seed.derive("data").derive_index(e).stream().permutation(n_train)`,
///   cut into batches of `batch_size`; a last partial batch is dropped.
#[derive(Clone, Debug)]
pub struct Digits {
    x: Vec<f32>,
    y: Vec<i64>,
    train: Vec<usize>,
    test: Vec<usize>,
    batch_size: usize,
    seed: Seed,
}

impl Digits {
    /// Class: portable. The bundled digits, split by `seed`.
    pub fn new(seed: u64, test_fraction: f64, batch_size: usize) -> Result<Self, Error> {
        let (x, y) = parse(DIGITS_GZ)?;
        let n = y.len();
        let root = Seed::from_u64(seed);
        let order = root.derive("split").stream().permutation(n);
        let n_test = ((n as f64) * test_fraction).round() as usize;
        if batch_size == 0 || n - n_test < batch_size {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!(
                    "batch size {batch_size} does not fit {} training samples",
                    n - n_test
                ),
            ));
        }
        Ok(Self {
            x,
            y,
            test: order[..n_test].to_vec(),
            train: order[n_test..].to_vec(),
            batch_size,
            seed: root,
        })
    }

    fn gather(&self, rows: &[usize]) -> Batch {
        Batch {
            x: rows
                .iter()
                .flat_map(|r| self.x[r * 64..r * 64 + 64].iter().copied())
                .collect(),
            y: rows.iter().map(|r| self.y[*r]).collect(),
            rows: rows.len(),
        }
    }
}

impl DataSource for Digits {
    fn features(&self) -> usize {
        64
    }

    fn classes(&self) -> usize {
        10
    }

    fn batches_per_epoch(&self) -> usize {
        self.train.len() / self.batch_size
    }

    fn train_batch(&self, epoch: u64, index: usize) -> Batch {
        let perm = self
            .seed
            .derive("data")
            .derive_index(epoch)
            .stream()
            .permutation(self.train.len());
        let rows: Vec<usize> = perm[index * self.batch_size..(index + 1) * self.batch_size]
            .iter()
            .map(|p| self.train[*p])
            .collect();
        self.gather(&rows)
    }

    fn test_set(&self) -> Batch {
        self.gather(&self.test)
    }
}

fn parse(gz: &[u8]) -> Result<(Vec<f32>, Vec<i64>), Error> {
    let mut csv = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut csv)
        .map_err(|e| Error::new(ErrorKind::Corrupted, None, format!("digits.csv.gz: {e}")))?;
    let digest = Sha256::digest(csv.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if hex != DIGITS_SHA256 {
        return Err(Error::new(
            ErrorKind::Corrupted,
            None,
            format!("digits.csv: SHA-256 {hex}, expected {DIGITS_SHA256}"),
        ));
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (i, line) in csv.lines().enumerate() {
        let vals: Vec<i64> = line
            .split(',')
            .map(|v| v.trim().parse::<i64>())
            .collect::<Result<_, _>>()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Invalid,
                    None,
                    format!("digits.csv line {}: {e}", i + 1),
                )
            })?;
        if vals.len() != 65 {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("digits.csv line {}: {} fields", i + 1, vals.len()),
            ));
        }
        x.extend(vals[..64].iter().map(|v| *v as f32 / 16.0));
        y.push(vals[64]);
    }
    Ok((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stability() {
        let d = Digits::new(0, 0.2, 32).unwrap();
        assert_eq!((d.train.len(), d.test.len()), (1438, 359));
        assert_eq!(d.batches_per_epoch(), 44);
        let b = d.train_batch(0, 0);
        assert_eq!(b.rows, 32);
        assert_eq!(&b.y[..8], [7, 7, 8, 2, 3, 5, 3, 7]);
        // Disjoint split covering everything.
        let mut all: Vec<usize> = d.train.iter().chain(&d.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1797).collect::<Vec<_>>());
        assert!(Digits::new(0, 0.2, 0).is_err());
    }
}
