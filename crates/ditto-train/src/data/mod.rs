//! The trainer's data: a training set fed through `ditto_data::Loader` and a test set.

mod load;
mod task_data;

pub(crate) use load::{class_name_change, pin_changes};
pub use task_data::TaskData;

use std::sync::{Arc, OnceLock};

use ditto_data::{Augmentation, Augmenter, Dataset, InMemory, Loader, Sha256Digest, Subset, split};
use ditto_rng::Seed;

use crate::config::{DataSource, TrainConfig};
use crate::error::{Error, ErrorKind};
use crate::objective::TargetKind;

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
    /// Regression: the number of trailing values of each sample that are targets.
    value_targets: Option<usize>,
    origin: Origin,
}

/// Where a [`TrainData`] came from: what a run records as its data source.
#[derive(Clone)]
enum Origin {
    /// Read from a config's source; file sources carry each file's pin.
    Config(Box<DataSource>),
    /// Built in memory; the content hash is computed when first asked for.
    Memory(Arc<OnceLock<Sha256Digest>>),
}

/// Class: portable. A batch as the trainer feeds it: row-major inputs and the targets.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// `rows * features` values.
    pub x: Vec<f32>,
    /// The targets.
    pub targets: BatchTargets,
    /// Number of rows.
    pub rows: usize,
}

/// Class: portable. A batch's targets.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchTargets {
    /// `rows` class indices.
    Classes(Vec<i64>),
    /// `rows * width` real values, row-major.
    Values(Vec<f32>),
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

    /// Class: portable. Regression data: the last `targets` values of each sample (1-D
    /// samples) are its real-valued targets, the others its inputs. Labels are ignored. Inputs
    /// are divided by `pixel_max`, targets are kept as they are.
    ///
    /// Errors: [`ErrorKind::Invalid`] when samples are not 1-D or have no input left.
    pub fn regression(
        train: InMemory,
        test: InMemory,
        targets: usize,
        pixel_max: f32,
    ) -> Result<Self, Error> {
        let width = match train.dims() {
            [w] => *w,
            dims => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    None,
                    format!("regression samples must be 1-D, found {dims:?}"),
                ));
            }
        };
        if targets == 0 || targets >= width {
            return Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!("{targets} target values out of {width} leave no input or no target"),
            ));
        }
        let mut d = Self::new(train, test, pixel_max)?;
        d.dims = vec![width - targets];
        d.value_targets = Some(targets);
        Ok(d)
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
            value_targets: None,
            origin: Origin::Memory(Arc::default()),
        })
    }

    /// Class: portable. A SHA-256 of everything the trainer reads: the training and the test
    /// samples (shape, class count, every feature's bits, every label, in order), the
    /// feature divisor and, for regression, the target width. Computed once (about a second
    /// per 200 MB of features).
    pub fn content_sha256(&self) -> Sha256Digest {
        let compute = || {
            let mut bytes = Vec::with_capacity(256);
            bytes.extend_from_slice(b"ditto-train TrainData v1\0");
            let train_base = self.train.dataset().content_sha256();
            for part in [&self.train, &self.test] {
                let base = match Arc::ptr_eq(part.dataset(), self.train.dataset()) {
                    true => train_base,
                    false => part.dataset().content_sha256(),
                };
                bytes.extend_from_slice(base.as_bytes());
                bytes.extend((part.indices().len() as u64).to_le_bytes());
                for i in part.indices() {
                    bytes.extend((*i as u64).to_le_bytes());
                }
            }
            bytes.extend(self.pixel_max.to_bits().to_le_bytes());
            bytes.extend((self.value_targets.unwrap_or(0) as u64).to_le_bytes());
            Sha256Digest::of(&bytes)
        };
        match &self.origin {
            Origin::Memory(cell) => *cell.get_or_init(compute),
            Origin::Config(_) => compute(),
        }
    }

    /// Class: portable. The data source a run on this data records: the config's source
    /// with every file's pin for data read by [`TrainData::from_config`], or
    /// `in-memory` named `name` with [`TrainData::content_sha256`] for data built in memory.
    pub fn source(&self, name: &str) -> DataSource {
        match &self.origin {
            Origin::Config(s) => (**s).clone(),
            Origin::Memory(_) => DataSource::InMemory {
                name: name.to_owned(),
                content: Some(self.content_sha256()),
            },
        }
    }

    /// Class: not applicable. The kind of targets this data carries.
    pub fn target_kind(&self) -> TargetKind {
        match self.value_targets {
            Some(_) => TargetKind::Values,
            None => TargetKind::Classes,
        }
    }

    /// Class: not applicable. Values per target: the class count's 1 for classification,
    /// the target width for regression.
    pub fn target_width(&self) -> usize {
        self.value_targets.unwrap_or(1)
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
        crate::trainer::loader(&self.train, self.augmenter(config)?, config)
    }

    /// The augmentations of `config.data.augment` as a loader transform, if any.
    pub(crate) fn augmenter(
        &self,
        config: &TrainConfig,
    ) -> Result<Option<Arc<dyn ditto_data::Transform<ditto_data::Sample>>>, Error> {
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
        if chain.is_empty() {
            return Ok(None);
        }
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
        let seeds = crate::seeds::RunSeeds::of(config);
        Ok(Some(Arc::new(Augmenter::new(
            seeds.augment_root(),
            h,
            w,
            chain,
        ))))
    }

    /// The training and test sets as the trainer's loop reads them.
    pub(crate) fn train_set(&self) -> &Arc<Subset<InMemory>> {
        &self.train
    }

    /// The test set as the trainer's loop reads it.
    pub(crate) fn test_set(&self) -> &Arc<Subset<InMemory>> {
        &self.test
    }

    /// Class: portable. A loader batch as features divided by `pixel_max` and labels.
    pub fn to_batch(&self, batch: &ditto_data::Batch<ditto_data::Sample>) -> Batch {
        self.items_to_batch(&batch.items)
    }

    /// Class: portable. Samples as a batch: features divided by `pixel_max`, and labels (or,
    /// for regression, the target values).
    pub fn items_to_batch(&self, items: &[ditto_data::Sample]) -> Batch {
        let rows = items.len();
        let inputs = self.features();
        let mut x = Vec::with_capacity(rows * inputs);
        match self.value_targets {
            None => {
                let mut y = Vec::with_capacity(rows);
                for s in items {
                    x.extend(s.features.iter().map(|v| v / self.pixel_max));
                    y.push(i64::from(s.label));
                }
                Batch {
                    x,
                    targets: BatchTargets::Classes(y),
                    rows,
                }
            }
            Some(width) => {
                let mut y = Vec::with_capacity(rows * width);
                for s in items {
                    let (input, target) = s.features.split_at(inputs.min(s.features.len()));
                    x.extend(input.iter().map(|v| v / self.pixel_max));
                    y.extend_from_slice(target);
                }
                Batch {
                    x,
                    targets: BatchTargets::Values(y),
                    rows,
                }
            }
        }
    }

    /// Class: portable. Test samples `range`, in order, as a batch.
    pub fn test_batch(&self, range: std::ops::Range<usize>) -> Batch {
        let items: Vec<_> = range.filter_map(|i| self.test.get(i)).collect();
        self.items_to_batch(&items)
    }
}
