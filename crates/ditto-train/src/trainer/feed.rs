//! What the run loop reads: the data sets of a run (training, validation, test), however the
//! caller gave them ([`crate::TrainData`] or [`crate::TaskData`]), and the training loader.

use std::sync::Arc;

use ditto_data::{Dataset, Loader, LoaderConfig, Transform};

use crate::config::{DataSource, TrainConfig};
use crate::error::{Error, ErrorKind};
use crate::seeds::RunSeeds;

/// A run's data sets, as the loop reads them.
pub(crate) struct Feed<D: Dataset> {
    pub(crate) train: Arc<D>,
    pub(crate) valid: Option<Arc<D>>,
    pub(crate) test: Option<Arc<D>>,
    pub(crate) transform: Option<Arc<dyn Transform<D::Item>>>,
    /// Classification: the class count, for the test split's confusion matrix.
    pub(crate) classes: Option<usize>,
    /// The data source the run records (file pins, or an in-memory content digest).
    pub(crate) source: DataSource,
}

impl<D: Dataset + 'static> Feed<D> {
    /// The training loader for `config`, at epoch 0, batch 0.
    pub(crate) fn loader(&self, config: &TrainConfig) -> Result<Loader<D>, Error> {
        loader(&self.train, self.transform.clone(), config)
    }
}

/// Class: portable. The training loader of `train` for `config` (its seed, batch size and
/// workers; the last short batch dropped), with `transform` applied to its items.
///
/// Errors: [`ErrorKind::Invalid`] when the batch size exceeds the training set (no full
/// batch per epoch).
pub(crate) fn loader<D: Dataset + 'static>(
    train: &Arc<D>,
    transform: Option<Arc<dyn Transform<D::Item>>>,
    config: &TrainConfig,
) -> Result<Loader<D>, Error> {
    let seeds = RunSeeds::of(config);
    let mut lc = LoaderConfig::new(seeds.data_root(), config.batch_size);
    lc.drop_last = true;
    lc.workers = config.workers;
    let mut loader = Loader::new(Arc::clone(train), lc)
        .map_err(|e| Error::new(ErrorKind::Invalid, None, e.to_string()))?;
    if loader.batches_per_epoch() == 0 {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "config `batch_size`: {} is more than the {} training items",
                config.batch_size,
                train.len()
            ),
        ));
    }
    if let Some(t) = transform {
        loader = loader.with_transform(t);
    }
    Ok(loader)
}
