//! [`TaskData`]: the data sets of a general [`crate::Task`].

use std::sync::Arc;

use ditto_data::{Dataset, Sha256Digest, Transform};

/// Class: portable (given pure datasets). The data a [`crate::Task`] trains on: a training
/// set, and optionally a validation set (evaluated during training, for early stopping and
/// best checkpoints) and a test set (evaluated once, after training), each any
/// [`ditto_data::Dataset`] of the task's items.
///
/// Training batches come from a [`ditto_data::Loader`] over the training set: epoch `e`'s
/// order is drawn from the run's seed, the last short batch is dropped, and any number of
/// worker threads gives the same batches. A [`ditto_data::Transform`] (augmentation) may be
/// applied to training items, keyed by (epoch, item index).
///
/// The run records the data by the name and content digest given here
/// ([`TaskData::content_sha256`]); ditto cannot hash items of an arbitrary type itself.
/// Without a digest the record says "not recorded" and a resume cannot check the data.
pub struct TaskData<D: Dataset> {
    pub(crate) train: Arc<D>,
    pub(crate) valid: Option<Arc<D>>,
    pub(crate) test: Option<Arc<D>>,
    pub(crate) transform: Option<Arc<dyn Transform<D::Item>>>,
    pub(crate) name: String,
    pub(crate) content: Option<Sha256Digest>,
}

impl<D: Dataset> TaskData<D> {
    /// Class: portable. Training on `train` only.
    pub fn new(train: D) -> Self {
        Self {
            train: Arc::new(train),
            valid: None,
            test: None,
            transform: None,
            name: "task".to_owned(),
            content: None,
        }
    }

    /// Class: portable. With a validation set, evaluated during training (`[validation]`).
    pub fn valid(mut self, valid: D) -> Self {
        self.valid = Some(Arc::new(valid));
        self
    }

    /// Class: portable. With a test set, evaluated once, after training.
    pub fn test(mut self, test: D) -> Self {
        self.test = Some(Arc::new(test));
        self
    }

    /// Class: portable when `transform` is (a pure function of epoch, index and item). An
    /// augmentation applied to training items.
    pub fn transform(mut self, transform: Arc<dyn Transform<D::Item>>) -> Self {
        self.transform = Some(transform);
        self
    }

    /// Class: not applicable. The name the run records the data under.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Class: portable. The SHA-256 of the data's content, as you compute it (e.g. of the
    /// files the items were read from): recorded by the run and checked when it is resumed.
    pub fn content_sha256(mut self, digest: Sha256Digest) -> Self {
        self.content = Some(digest);
        self
    }

    /// Class: portable. Items in the training set.
    pub fn train_len(&self) -> usize {
        self.train.len()
    }
}
