//! The loader: per-epoch shuffle, sharding, batching, in-order parallel prefetch, resumable
//! state.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use ditto_rng::Seed;
use serde::{Deserialize, Serialize};

use crate::augment::Transform;
use crate::dataset::Dataset;
use crate::error::{Error, ErrorKind};

/// Class: portable. How a [`Loader`] cuts epochs into batches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoaderConfig {
    /// Root seed; epoch `e` shuffles with `seed.derive("data").derive_index(e)`.
    pub seed: Seed,
    /// Samples per batch (> 0).
    pub batch_size: usize,
    /// Drop a last, short batch (`true`) or yield it (`false`).
    pub drop_last: bool,
    /// This process's rank, below `world`.
    pub rank: usize,
    /// Number of data-parallel ranks (> 0).
    pub world: usize,
    /// Worker threads prefetching batches; 0 loads on the calling thread. Never changes output.
    pub workers: usize,
    /// Yield batches in order (`true`, the default). `false` yields them as workers finish:
    /// Class: non-deterministic order, for benchmarking the cost of ordering only.
    pub ordered: bool,
}

impl LoaderConfig {
    /// Class: portable. Batch size `batch_size`, keep-last, rank 0 of 1, no workers.
    pub fn new(seed: Seed, batch_size: usize) -> Self {
        Self {
            seed,
            batch_size,
            drop_last: false,
            rank: 0,
            world: 1,
            workers: 0,
            ordered: true,
        }
    }
}

/// Class: portable. A loader's position: the next batch to yield is batch `batch` of epoch
/// `epoch`. Serialises with serde.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoaderState {
    /// Current epoch.
    pub epoch: u64,
    /// Index of the next batch within the epoch.
    pub batch: usize,
}

/// Class: portable. One batch: the dataset indices it holds and the items, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch<T> {
    /// Dataset index of each item.
    pub indices: Vec<usize>,
    /// The items.
    pub items: Vec<T>,
}

/// Class: portable. The dataset indices rank `rank` of `world` sees in epoch `epoch`, in
/// order: positions `rank, rank + world, ...` of the epoch permutation of `0..n`, padded (when
/// `world` does not divide `n`) by repeating the permutation's first entries, so every rank
/// gets `ceil(n / world)` indices.
pub fn epoch_indices(seed: &Seed, epoch: u64, n: usize, rank: usize, world: usize) -> Vec<usize> {
    if n == 0 || world == 0 {
        return Vec::new();
    }
    let mut perm = seed
        .derive("data")
        .derive_index(epoch)
        .stream()
        .permutation(n);
    let total = n.div_ceil(world) * world;
    for i in 0..total - n {
        perm.push(perm[i % n]);
    }
    perm.into_iter().skip(rank).step_by(world).collect()
}

/// Class: portable. A loader over a dataset: the batches it yields are a pure function of
/// (seed, epoch, batch position, rank, world, batch size, drop-last), whatever `workers` is.
pub struct Loader<D: Dataset> {
    dataset: Arc<D>,
    config: LoaderConfig,
    state: LoaderState,
    transform: Option<Arc<dyn Transform<D::Item>>>,
}

impl<D: Dataset + 'static> Loader<D> {
    /// Class: portable. A loader at epoch 0, batch 0.
    ///
    /// Errors: [`ErrorKind::InvalidConfig`] for batch size 0, world 0 or rank >= world;
    /// [`ErrorKind::Empty`] for an empty dataset.
    pub fn new(dataset: Arc<D>, config: LoaderConfig) -> Result<Self, Error> {
        if config.batch_size == 0 {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                None,
                "batch size is 0",
            ));
        }
        if config.world == 0 || config.rank >= config.world {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                None,
                format!("rank {} is not below world {}", config.rank, config.world),
            ));
        }
        if dataset.is_empty() {
            return Err(Error::new(ErrorKind::Empty, None, "dataset has no samples"));
        }
        Ok(Self {
            dataset,
            config,
            state: LoaderState { epoch: 0, batch: 0 },
            transform: None,
        })
    }

    /// Class: portable. Applies `transform` (e.g. an [`Augmenter`](crate::Augmenter)) to every
    /// item, keyed by (epoch, dataset index).
    pub fn with_transform(mut self, transform: Arc<dyn Transform<D::Item>>) -> Self {
        self.transform = Some(transform);
        self
    }

    /// Class: portable. The position of the next batch.
    pub fn state(&self) -> LoaderState {
        self.state
    }

    /// Class: portable. Moves to a saved position; the loader then yields exactly the batches
    /// it would have yielded from there. A batch index at the epoch's end starts the next
    /// epoch (none follows epoch `u64::MAX`, the last: the loader then yields nothing).
    ///
    /// Errors: [`ErrorKind::InvalidState`] when `state.batch` lies past the epoch's end
    /// ([`Loader::batches_per_epoch`]): no position the loader reaches looks like that, so the
    /// state is damaged or belongs to another data set or batch size. The position is left
    /// unchanged.
    pub fn restore(&mut self, state: LoaderState) -> Result<(), Error> {
        let end = self.batches_per_epoch();
        if state.batch > end {
            return Err(Error::new(
                ErrorKind::InvalidState,
                None,
                format!(
                    "batch {} of epoch {} is past the epoch's end ({end} batches per epoch)",
                    state.batch, state.epoch
                ),
            ));
        }
        self.state = state;
        Ok(())
    }

    /// Class: portable. Batches per epoch for this rank.
    pub fn batches_per_epoch(&self) -> usize {
        let per_rank = self.dataset.len().div_ceil(self.config.world);
        if self.config.drop_last {
            per_rank / self.config.batch_size
        } else {
            per_rank.div_ceil(self.config.batch_size)
        }
    }

    /// Class: portable. The remaining batches of the current epoch, in order. Each batch
    /// yielded advances [`Loader::state`]; after the last one the state moves to batch 0 of
    /// the next epoch. After epoch `u64::MAX`, the last, it yields nothing.
    pub fn epoch(&mut self) -> EpochIter<'_, D> {
        if self.state.batch >= self.batches_per_epoch()
            && let Some(next) = self.state.epoch.checked_add(1)
        {
            self.state = LoaderState {
                epoch: next,
                batch: 0,
            };
        }
        let c = &self.config;
        let indices = Arc::new(epoch_indices(
            &c.seed,
            self.state.epoch,
            self.dataset.len(),
            c.rank,
            c.world,
        ));
        let end = self.batches_per_epoch();
        // At the end of the last epoch (see above) nothing is left.
        let start = self.state.batch.min(end);
        let job = Arc::new(Job {
            dataset: Arc::clone(&self.dataset),
            indices,
            size: self.config.batch_size,
            epoch: self.state.epoch,
            transform: self.transform.clone(),
        });
        let mut iter = EpochIter {
            loader: self,
            job,
            next: start,
            end,
            rx: None,
            pending: BTreeMap::new(),
            handles: Vec::new(),
        };
        iter.spawn(start);
        iter
    }
}

/// Class: portable. Iterator over an epoch's remaining batches (see [`Loader::epoch`]).
pub struct EpochIter<'a, D: Dataset> {
    loader: &'a mut Loader<D>,
    job: Arc<Job<D>>,
    next: usize,
    end: usize,
    rx: Option<mpsc::Receiver<(usize, Batch<D::Item>)>>,
    pending: BTreeMap<usize, Batch<D::Item>>,
    handles: Vec<JoinHandle<()>>,
}

struct Job<D: Dataset> {
    dataset: Arc<D>,
    indices: Arc<Vec<usize>>,
    size: usize,
    epoch: u64,
    transform: Option<Arc<dyn Transform<D::Item>>>,
}

fn make_batch<D: Dataset>(job: &Job<D>, b: usize) -> Batch<D::Item> {
    let lo = b * job.size;
    let hi = (lo + job.size).min(job.indices.len());
    let idx = job.indices[lo..hi].to_vec();
    // Every index comes from a permutation of 0..len, so `get` cannot miss.
    let items = idx
        .iter()
        .filter_map(|&i| {
            let item = job.dataset.get(i)?;
            Some(match &job.transform {
                Some(t) => t.apply(job.epoch, i, item),
                None => item,
            })
        })
        .collect();
    Batch {
        indices: idx,
        items,
    }
}

impl<D: Dataset + 'static> EpochIter<'_, D> {
    fn spawn(&mut self, start: usize) {
        let workers = self.loader.config.workers;
        if workers == 0 || start >= self.end {
            return;
        }
        let (tx, rx) = mpsc::sync_channel(8 * workers);
        for w in 0..workers {
            let tx = tx.clone();
            let job = Arc::clone(&self.job);
            let end = self.end;
            self.handles.push(std::thread::spawn(move || {
                let mut b = start + w;
                while b < end {
                    if tx.send((b, make_batch(&job, b))).is_err() {
                        return;
                    }
                    b += workers;
                }
            }));
        }
        self.rx = Some(rx);
    }
}

impl<D: Dataset> EpochIter<'_, D> {
    /// Every worker hung up before the epoch's last batch: one of them panicked (in the
    /// dataset's `get` or a transform). Re-raises that panic on the consumer's thread, as
    /// `std::thread::scope` does, so a batch is never silently missing.
    fn worker_died(&mut self) -> ! {
        self.rx = None;
        for h in self.handles.drain(..) {
            if let Err(payload) = h.join() {
                std::panic::resume_unwind(payload);
            }
        }
        // Workers only stop early by panicking; reaching here would be a loader bug.
        panic!(
            "ditto-data: loader workers stopped before batch {} of {}",
            self.next, self.end
        );
    }
}

impl<D: Dataset + 'static> Iterator for EpochIter<'_, D> {
    type Item = Batch<D::Item>;

    fn next(&mut self) -> Option<Batch<D::Item>> {
        if self.next >= self.end {
            return None;
        }
        let b = self.next;
        let ordered = self.loader.config.ordered;
        let batch = match &self.rx {
            None => make_batch(&self.job, b),
            Some(rx) if !ordered => match rx.recv() {
                Ok((_, batch)) => batch,
                Err(_) => self.worker_died(),
            },
            Some(rx) => loop {
                if let Some(batch) = self.pending.remove(&b) {
                    break batch;
                }
                match rx.recv() {
                    Ok((i, batch)) => {
                        self.pending.insert(i, batch);
                    }
                    Err(_) => self.worker_died(),
                }
            },
        };
        self.next += 1;
        let epoch = self.loader.state.epoch;
        self.loader.state = if self.next >= self.end {
            // After the last batch of epoch `u64::MAX` the loader stays at its end.
            match epoch.checked_add(1) {
                Some(next) => LoaderState {
                    epoch: next,
                    batch: 0,
                },
                None => LoaderState {
                    epoch,
                    batch: self.end,
                },
            }
        } else {
            LoaderState {
                epoch: self.loader.state.epoch,
                batch: self.next,
            }
        };
        Some(batch)
    }
}

impl<D: Dataset> Drop for EpochIter<'_, D> {
    fn drop(&mut self) {
        self.rx = None;
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
