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
