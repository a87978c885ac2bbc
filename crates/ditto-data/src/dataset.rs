//! The dataset trait and the in-memory dataset.

use crate::error::{Error, ErrorKind};

/// Class: portable. A random-access collection of items.
pub trait Dataset: Send + Sync {
    /// The item type.
    type Item: Send;
    /// Class: portable. Number of items.
    fn len(&self) -> usize;
    /// Class: portable. Whether there are no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Class: portable. The item at `index`, or `None` past the end.
    fn get(&self, index: usize) -> Option<Self::Item>;
}

/// Class: portable. Items held in a vector: item `i` is a clone of `self.0[i]`. (A newtype
/// rather than `impl Dataset for Vec<T>`, whose `get` would shadow the slice's `get` wherever
/// [`Dataset`] is in scope.)
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VecDataset<T>(pub Vec<T>);

impl<T: Clone + Send + Sync> Dataset for VecDataset<T> {
    type Item = T;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, index: usize) -> Option<T> {
        self.0.get(index).cloned()
    }
}

impl<T> From<Vec<T>> for VecDataset<T> {
    fn from(items: Vec<T>) -> Self {
        Self(items)
    }
}

/// Class: portable. One sample: its features (row-major) and its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Features, `dims` product long.
    pub features: Vec<f32>,
    /// Class label, below the dataset's class count.
    pub label: u32,
}

/// Class: portable. Samples held in memory: one flat feature buffer plus labels.
#[derive(Clone, Debug, PartialEq)]
pub struct InMemory {
    dims: Vec<usize>,
    features: Vec<f32>,
    labels: Vec<u32>,
    classes: u32,
}

impl InMemory {
    /// Class: portable. Builds a dataset from `labels.len()` samples of shape `dims`.
    ///
    /// Errors: [`ErrorKind::Empty`] with no samples, [`ErrorKind::CountMismatch`] when
    /// `features` is not `labels.len() * prod(dims)` long, [`ErrorKind::LabelOutOfRange`] when
    /// a label is `>= classes`.
    pub fn new(
        dims: Vec<usize>,
        features: Vec<f32>,
        labels: Vec<u32>,
        classes: u32,
    ) -> Result<Self, Error> {
        if labels.is_empty() {
            return Err(Error::new(ErrorKind::Empty, None, "no samples"));
        }
        let per: usize = dims.iter().product();
        if per.checked_mul(labels.len()) != Some(features.len()) {
            return Err(Error::new(
                ErrorKind::CountMismatch,
                None,
                format!(
                    "{} feature values for {} samples of {per}",
                    features.len(),
                    labels.len()
                ),
            ));
        }
        if let Some((i, l)) = labels.iter().enumerate().find(|(_, l)| **l >= classes) {
            return Err(Error::new(
                ErrorKind::LabelOutOfRange,
                None,
                format!("label {l} of sample {i} is not below {classes} classes"),
            ));
        }
        Ok(Self {
            dims,
            features,
            labels,
            classes,
        })
    }

    /// Class: portable. The same samples with `classes` classes (more than the labels use, or
    /// exactly as many).
    ///
    /// Errors: [`ErrorKind::LabelOutOfRange`] when a label is `>= classes`.
    pub fn with_classes(self, classes: u32) -> Result<Self, Error> {
        Self::new(self.dims, self.features, self.labels, classes)
    }

    /// Class: portable. A SHA-256 of the content: the shape, the class count, every feature's
    /// f32 bits and every label, little-endian, after a version tag. Two data sets with the
    /// same digest train to the same bits.
    pub fn content_sha256(&self) -> crate::Sha256Digest {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(b"ditto-data InMemory v1\0");
        h.update((self.dims.len() as u64).to_le_bytes());
        for d in &self.dims {
            h.update((*d as u64).to_le_bytes());
        }
        h.update(self.classes.to_le_bytes());
        h.update((self.labels.len() as u64).to_le_bytes());
        let mut buf = Vec::with_capacity(4096);
        for chunk in self.features.chunks(1024) {
            buf.clear();
            buf.extend(chunk.iter().flat_map(|v| v.to_bits().to_le_bytes()));
            h.update(&buf);
        }
        for chunk in self.labels.chunks(1024) {
            buf.clear();
            buf.extend(chunk.iter().flat_map(|l| l.to_le_bytes()));
            h.update(&buf);
        }
        crate::Sha256Digest::from_bytes(h.finalize().into())
    }

    pub(crate) fn reshaped(mut self, dims: Vec<usize>) -> Self {
        self.dims = dims;
        self
    }

    /// Class: portable. The shape of one sample.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Class: portable. The number of classes.
    pub fn classes(&self) -> u32 {
        self.classes
    }

    /// Class: portable. All labels in order.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }
}

impl Dataset for InMemory {
    type Item = Sample;

    fn len(&self) -> usize {
        self.labels.len()
    }

    fn get(&self, index: usize) -> Option<Sample> {
        let per: usize = self.dims.iter().product();
        let label = *self.labels.get(index)?;
        let features = self.features[index * per..(index + 1) * per].to_vec();
        Some(Sample { features, label })
    }
}

/// A label value read from a file as a class index: a non-negative integer below `classes`
/// (any `u32` when `None`), or why it is not one ("is not below 10 classes").
pub(crate) fn class_index(v: f32, classes: Option<u32>) -> Result<u32, String> {
    let limit = classes.map_or(u32::MAX as f32, |c| c as f32);
    if v >= 0.0 && v.fract() == 0.0 && v < limit {
        return Ok(v as u32);
    }
    Err(match classes {
        Some(c) => format!("is not below {c} classes"),
        None => "is not a class index (an integer >= 0)".to_owned(),
    })
}

/// The class count `classes`, or one more than the largest label.
pub(crate) fn class_count(classes: Option<u32>, labels: &[u32]) -> u32 {
    classes.unwrap_or_else(|| labels.iter().max().map_or(0, |m| m + 1))
}

/// Class: portable. Burn's dataset trait, so an [`InMemory`] can feed Burn's own tooling
/// (`DataLoaderBuilder`, `burn::data::dataset::transform`). Note that Burn's loader shuffles
/// with `StdRng` and its worker threads change the batch order: use ditto's
/// [`Loader`](crate::Loader) for reproducible batches.
impl burn::data::dataset::Dataset<Sample> for InMemory {
    fn get(&self, index: usize) -> Option<Sample> {
        Dataset::get(self, index)
    }

    fn len(&self) -> usize {
        Dataset::len(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> InMemory {
        InMemory::new(vec![2], vec![0.0, -0.0, 1.5, f32::MAX], vec![1, 0], 3).unwrap()
    }

    #[test]
    fn content_sha256_is_golden_and_sees_every_bit() {
        // Checked independently with Python's hashlib over the layout in the doc comment.
        assert_eq!(
            set().content_sha256().to_string(),
            "40fd11cb7e46f3b422c936aaf530a90915f97aef3bcfd003730cd5a20a29a4a5"
        );
        let base = set().content_sha256();
        let changed = [
            InMemory::new(vec![2], vec![-0.0, -0.0, 1.5, f32::MAX], vec![1, 0], 3),
            InMemory::new(vec![2], vec![0.0, -0.0, 1.5, f32::MAX], vec![2, 0], 3),
            InMemory::new(vec![2], vec![0.0, -0.0, 1.5, f32::MAX], vec![1, 0], 4),
            InMemory::new(vec![2, 1], vec![0.0, -0.0, 1.5, f32::MAX], vec![1, 0], 3),
            InMemory::new(vec![1], vec![0.0, -0.0], vec![1, 0], 3),
        ];
        for c in changed {
            assert_ne!(c.unwrap().content_sha256(), base);
        }
        assert_eq!(set().with_classes(3).unwrap().content_sha256(), base);
        assert!(set().with_classes(1).is_err());
    }
}
