//! The trainer's data: a training set fed through `ditto_data::Loader` and a test set.

use std::sync::Arc;

use ditto_data::{
    Augmentation, Augmenter, Dataset, InMemory, Loader, LoaderConfig, Subset, bundled, split,
};
use ditto_rng::Seed;

use crate::config::TrainConfig;
use crate::error::{Error, ErrorKind};

/// Class: portable. What the trainer trains and tests on: one-channel samples of shape
/// `dims` (an image `[height, width]` or a vector `[features]`), labels below `classes`.
///
/// Training batches come from a [`ditto_data::Loader`] over the training set (shuffled per
/// epoch from `seed.derive("data").derive_index(epoch)`, last short batch dropped, any
/// number of worker threads), with the augmentations of `data.augment` applied on raw pixel
/// values, then every value divided by `pixel_max`.
#[derive(Clone)]
pub struct TrainData {
    train: Arc<Subset<InMemory>>,
    train_len: usize,
    test: Arc<Subset<InMemory>>,
    test_len: usize,
    dims: Vec<usize>,
    classes: usize,
    pixel_max: f32,
}

/// Class: portable. A batch as the trainer feeds it: row-major features and labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// `rows * features` values.
    pub x: Vec<f32>,
    /// `rows` labels.
    pub y: Vec<i64>,
    /// Number of rows.
    pub rows: usize,
}

impl TrainData {
    /// Class: portable. Training and test sets given separately; features are divided by
    /// `pixel_max` (1 to keep them as they are).
    ///
    /// Errors: [`ErrorKind::Invalid`] when the two sets' sample shapes or class counts differ
    /// or `pixel_max` is not positive.
    pub fn new(train: InMemory, test: InMemory, pixel_max: f32) -> Result<Self, Error> {
        let (nt, ne) = (train.len(), test.len());
        Self::from_parts(
            Arc::new(train),
            (0..nt).collect(),
            Arc::new(test),
            (0..ne).collect(),
            pixel_max,
        )
    }

    /// Class: portable. One set split into training and test parts by
    /// `ditto_data::split(seed, labels, test_fraction, stratified)`.
    pub fn split(
        all: InMemory,
        seed: &Seed,
        test_fraction: f64,
        stratified: bool,
        pixel_max: f32,
    ) -> Result<Self, Error> {
        let (train, test) = split(seed, all.labels(), test_fraction, stratified);
        let all = Arc::new(all);
        Self::from_parts(Arc::clone(&all), train, all, test, pixel_max)
    }

    /// Class: portable. The bundled data set `config.data.name` (compiled into the binary):
    /// `digits` (pixels 0..=16, split by the run's seed) or `fashion` (the Fashion-MNIST
    /// subset's own 6000/1000 split, pixels 0..=255).
    pub fn bundled(config: &TrainConfig) -> Result<Self, Error> {
        let data_err = |e: ditto_data::Error| Error::new(ErrorKind::Data, None, e.to_string());
        match config.data.name.as_str() {
            "digits" => Self::split(
                bundled::embedded_digits().map_err(data_err)?,
                &Seed::from_u64(config.seed),
                config.data.test_fraction,
                config.data.stratified,
                16.0,
            ),
            "fashion" => {
                let (train, test) = bundled::embedded_fashion_subset().map_err(data_err)?;
                Self::new(train, test, 255.0)
            }
            other => Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("no bundled data set named {other:?}"),
            )),
        }
    }

    fn from_parts(
        train: Arc<InMemory>,
        train_idx: Vec<usize>,
        test: Arc<InMemory>,
        test_idx: Vec<usize>,
        pixel_max: f32,
    ) -> Result<Self, Error> {
        let bad = |msg: String| Err(Error::new(ErrorKind::Invalid, None, msg));
        if train.dims() != test.dims() || train.classes() != test.classes() {
            return bad(format!(
                "training samples {:?} of {} classes, test samples {:?} of {}",
                train.dims(),
                train.classes(),
                test.dims(),
                test.classes()
            ));
        }
        if !(pixel_max > 0.0 && pixel_max.is_finite()) {
            return bad(format!("pixel_max {pixel_max} is not positive"));
        }
        if train_idx.is_empty() || test_idx.is_empty() {
            return bad("the training or the test set is empty".into());
        }
        Ok(Self {
            dims: train.dims().to_vec(),
            classes: train.classes() as usize,
            train_len: train_idx.len(),
            test_len: test_idx.len(),
            train: Arc::new(Subset::new(train, train_idx)),
            test: Arc::new(Subset::new(test, test_idx)),
            pixel_max,
        })
    }

    /// Class: portable. The shape of one sample.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Class: portable. Values per sample.
    pub fn features(&self) -> usize {
        self.dims.iter().product()
    }

    /// Class: portable. Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Class: portable. Training samples.
    pub fn train_len(&self) -> usize {
        self.train_len
    }

    /// Class: portable. Test samples.
    pub fn test_len(&self) -> usize {
        self.test_len
    }

    /// Class: portable. The training loader for `config` (its seed, batch size, workers and
    /// augmentations), at epoch 0, batch 0.
    ///
    /// Errors: [`ErrorKind::Invalid`] when the batch size exceeds the training set (no full
    /// batch per epoch) or an augmentation needs an image and samples are not 2-D.
    pub fn loader(&self, config: &TrainConfig) -> Result<Loader<Subset<InMemory>>, Error> {
        let mut lc = LoaderConfig::new(Seed::from_u64(config.seed), config.batch_size);
        lc.drop_last = true;
        lc.workers = config.workers;
        let mut loader = Loader::new(Arc::clone(&self.train), lc)
            .map_err(|e| Error::new(ErrorKind::Invalid, None, e.to_string()))?;
        if loader.batches_per_epoch() == 0 {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!(
                    "config `batch_size`: {} is more than the {} training samples",
                    config.batch_size, self.train_len
                ),
            ));
        }
        let a = &config.data.augment;
        let mut chain = Vec::new();
        if a.crop_padding > 0 {
            chain.push(Augmentation::RandomCrop {
                padding: a.crop_padding,
            });
        }
        if a.flip {
            chain.push(Augmentation::HorizontalFlip);
        }
        if a.noise_std > 0.0 {
            chain.push(Augmentation::GaussianNoise { std: a.noise_std });
        }
        if !chain.is_empty() {
            let [h, w] = self.dims[..] else {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    None,
                    format!(
                        "config `data.augment`: needs 2-D images, samples are {:?}",
                        self.dims
                    ),
                ));
            };
            loader = loader.with_transform(Arc::new(Augmenter::new(
                Seed::from_u64(config.seed),
                h,
                w,
                chain,
            )));
        }
        Ok(loader)
    }

    /// Class: portable. A loader batch as features divided by `pixel_max` and labels.
    pub fn to_batch(&self, batch: &ditto_data::Batch<ditto_data::Sample>) -> Batch {
        let mut x = Vec::with_capacity(batch.items.len() * self.features());
        let mut y = Vec::with_capacity(batch.items.len());
        for s in &batch.items {
            x.extend(s.features.iter().map(|v| v / self.pixel_max));
            y.push(i64::from(s.label));
        }
        Batch {
            x,
            y,
            rows: batch.items.len(),
        }
    }

    /// Class: portable. Test samples `range`, in order, as a batch.
    pub fn test_batch(&self, range: std::ops::Range<usize>) -> Batch {
        let items: Vec<_> = range.filter_map(|i| self.test.get(i)).collect();
        self.to_batch(&ditto_data::Batch {
            indices: Vec::new(),
            items,
        })
    }
}
