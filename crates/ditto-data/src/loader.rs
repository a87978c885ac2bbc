//! The loader: per-epoch shuffle, sharding, batching, in-order parallel prefetch, resumable
//! state.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use ditto_rng::Seed;
use serde::{Deserialize, Serialize};

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
        })
    }

    /// Class: portable. The position of the next batch.
    pub fn state(&self) -> LoaderState {
        self.state
    }

    /// Class: portable. Moves to a saved position; the loader then yields exactly the batches
    /// it would have yielded from there. A batch index past the epoch's end starts the next
    /// epoch.
    pub fn restore(&mut self, state: LoaderState) {
        self.state = state;
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
    /// the next epoch.
    pub fn epoch(&mut self) -> EpochIter<'_, D> {
        if self.state.batch >= self.batches_per_epoch() {
            self.state = LoaderState {
                epoch: self.state.epoch + 1,
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
        let start = self.state.batch;
        let mut iter = EpochIter {
            loader: self,
            indices,
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
    indices: Arc<Vec<usize>>,
    next: usize,
    end: usize,
    rx: Option<mpsc::Receiver<(usize, Batch<D::Item>)>>,
    pending: BTreeMap<usize, Batch<D::Item>>,
    handles: Vec<JoinHandle<()>>,
}

fn make_batch<D: Dataset>(dataset: &D, indices: &[usize], b: usize, size: usize) -> Batch<D::Item> {
    let lo = b * size;
    let hi = (lo + size).min(indices.len());
    let idx = indices[lo..hi].to_vec();
    // Every index comes from a permutation of 0..len, so `get` cannot miss.
    let items = idx.iter().filter_map(|&i| dataset.get(i)).collect();
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
        let (tx, rx) = mpsc::sync_channel(2 * workers);
        for w in 0..workers {
            let tx = tx.clone();
            let dataset = Arc::clone(&self.loader.dataset);
            let indices = Arc::clone(&self.indices);
            let size = self.loader.config.batch_size;
            let end = self.end;
            self.handles.push(std::thread::spawn(move || {
                let mut b = start + w;
                while b < end {
                    if tx
                        .send((b, make_batch(&*dataset, &indices, b, size)))
                        .is_err()
                    {
                        return;
                    }
                    b += workers;
                }
            }));
        }
        self.rx = Some(rx);
    }
}

impl<D: Dataset + 'static> Iterator for EpochIter<'_, D> {
    type Item = Batch<D::Item>;

    fn next(&mut self) -> Option<Batch<D::Item>> {
        if self.next >= self.end {
            return None;
        }
        let b = self.next;
        let batch = match &self.rx {
            None => make_batch(
                &*self.loader.dataset,
                &self.indices,
                b,
                self.loader.config.batch_size,
            ),
            Some(rx) => loop {
                if let Some(batch) = self.pending.remove(&b) {
                    break batch;
                }
                let (i, batch) = rx.recv().ok()?;
                self.pending.insert(i, batch);
            },
        };
        self.next += 1;
        self.loader.state = if self.next >= self.end {
            LoaderState {
                epoch: self.loader.state.epoch + 1,
                batch: 0,
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
