//! Loader throughput on the vendored Fashion-MNIST subset (6000 x 28x28, batch 64): ditto's
//! ordered loader against the unordered variant of the same loader, against 0 workers, and
//! against Burn 0.21's own `DataLoaderBuilder` (shuffled, same batch size and worker count).
//!
//! Both loaders do the same work per batch: fetch each sample of a shuffled epoch
//! (`InMemory::get`, a 784-float copy), apply the same keyed crop + flip augmentation, and
//! hand the caller the batch's samples (`Vec<Sample>`). Burn's batcher is the identity on
//! those samples, so neither side builds tensors. After criterion's numbers, a direct
//! interleaved timing prints the two ratios the issue sets targets for.

#![allow(missing_docs)] // criterion_group! generates an undocumented `benches` fn.

use std::sync::Arc;
use std::time::Instant;

use burn::backend::NdArray;
use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use criterion::{Criterion, criterion_group, criterion_main};
use ditto::Seed;
use ditto::data::{
    Augmentation, Augmenter, InMemory, Loader, LoaderConfig, Sample, Transform, bundled,
};

const BATCH: usize = 64;
const WORKERS: usize = 2;

fn augmenter() -> Arc<Augmenter> {
    Arc::new(Augmenter::new(
        Seed::from_u64(0),
        28,
        28,
        vec![
            Augmentation::RandomCrop { padding: 2 },
            Augmentation::HorizontalFlip,
        ],
    ))
}

fn ditto_epoch(ds: &Arc<InMemory>, workers: usize, ordered: bool) -> usize {
    let mut cfg = LoaderConfig::new(Seed::from_u64(0), BATCH);
    cfg.workers = workers;
    cfg.ordered = ordered;
    let mut l = Loader::new(Arc::clone(ds), cfg)
        .expect("valid config")
        .with_transform(augmenter());
    l.epoch().map(|b| b.items.len()).sum()
}

/// Burn's side: the same augmentation, keyed the same way, inside Burn's dataset.
struct Augmented {
    inner: Arc<InMemory>,
    aug: Arc<Augmenter>,
}

impl burn::data::dataset::Dataset<Sample> for Augmented {
    fn get(&self, index: usize) -> Option<Sample> {
        let s = burn::data::dataset::Dataset::get(&*self.inner, index)?;
        Some(self.aug.apply(0, index, s))
    }

    fn len(&self) -> usize {
        burn::data::dataset::Dataset::len(&*self.inner)
    }
}

#[derive(Clone)]
struct Identity;

impl Batcher<NdArray, Sample, Vec<Sample>> for Identity {
    fn batch(&self, items: Vec<Sample>, _device: &burn::tensor::Device<NdArray>) -> Vec<Sample> {
        items
    }
}

fn burn_epoch(ds: &Arc<InMemory>, workers: usize) -> usize {
    let loader = DataLoaderBuilder::<NdArray, Sample, Vec<Sample>>::new(Identity)
        .batch_size(BATCH)
        .shuffle(0)
        .num_workers(workers)
        .build(Augmented {
            inner: Arc::clone(ds),
            aug: augmenter(),
        });
    loader.iter().map(|b| b.len()).sum()
}

fn bench(c: &mut Criterion) {
    let (train, _) = bundled::fashion_subset(&bundled::data_dir()).expect("vendored data");
    let ds = Arc::new(train);
    let mut g = c.benchmark_group("loader_epoch_fashion6000_b64_crop_flip");
    g.bench_function("ditto_ordered_w2", |b| {
        b.iter(|| ditto_epoch(&ds, WORKERS, true))
    });
    g.bench_function("ditto_unordered_w2", |b| {
        b.iter(|| ditto_epoch(&ds, WORKERS, false))
    });
    g.bench_function("burn_w2", |b| b.iter(|| burn_epoch(&ds, WORKERS)));
    g.bench_function("ditto_w0", |b| b.iter(|| ditto_epoch(&ds, 0, true)));
    g.bench_function("burn_w0", |b| b.iter(|| burn_epoch(&ds, 0)));
    g.finish();

    // Interleaved rounds, so a load change on the machine hits every variant alike.
    let rounds = 15;
    let (mut o, mut u, mut bu) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        ditto_epoch(&ds, WORKERS, true);
        o.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        ditto_epoch(&ds, WORKERS, false);
        u.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        burn_epoch(&ds, WORKERS);
        bu.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (o, u, bu) = (median(&mut o), median(&mut u), median(&mut bu));
    let batches = (6000usize).div_ceil(BATCH) as f64;
    println!(
        "median epoch, {WORKERS} workers: ditto ordered {:.0} batches/s, ditto unordered {:.0} \
         batches/s, burn {:.0} batches/s; ordered/unordered time {:.3}; ditto/burn speed {:.3}",
        batches / o,
        batches / u,
        batches / bu,
        o / u,
        bu / o
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
