//! Loader throughput on the vendored Fashion-MNIST subset (6000 x 28x28): ditto's ordered
//! loader against the unordered variant of the same loader, and against 0 workers.
//!
//! Burn's `DataLoaderBuilder` needs burn's `dataset` feature (the `burn-dataset` crate), which
//! the workspace does not enable; see the crate's ARCHITECTURE section.

#![allow(missing_docs)] // criterion_group! generates an undocumented `benches` fn.

use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use ditto::Seed;
use ditto::data::{InMemory, Loader, LoaderConfig, bundled};

const BATCH: usize = 64;
const WORKERS: usize = 2;

fn epoch(ds: &Arc<InMemory>, workers: usize, ordered: bool) -> usize {
    let mut cfg = LoaderConfig::new(Seed::from_u64(0), BATCH);
    cfg.workers = workers;
    cfg.ordered = ordered;
    let mut l = Loader::new(Arc::clone(ds), cfg).expect("valid config");
    l.epoch().map(|b| b.items.len()).sum()
}

fn bench(c: &mut Criterion) {
    let (train, _) = bundled::fashion_subset(&bundled::data_dir()).expect("vendored data");
    let ds = Arc::new(train);
    let mut g = c.benchmark_group("loader_epoch_fashion6000_b64");
    g.bench_function("ditto_ordered_w2", |b| b.iter(|| epoch(&ds, WORKERS, true)));
    g.bench_function("ditto_unordered_w2", |b| {
        b.iter(|| epoch(&ds, WORKERS, false))
    });
    g.bench_function("ditto_w0", |b| b.iter(|| epoch(&ds, 0, true)));
    g.finish();
    // Ratio printed from a direct timing of the same epochs.
    let time = |ordered| {
        let t = Instant::now();
        for _ in 0..20 {
            epoch(&ds, WORKERS, ordered);
        }
        t.elapsed().as_secs_f64()
    };
    let (o, u) = (time(true), time(false));
    let batches = 20.0 * 6000f64.div_euclid(BATCH as f64).max(1.0);
    println!(
        "ordered {:.0} batches/s, unordered {:.0} batches/s, ordered/unordered time ratio {:.3}",
        batches / o,
        batches / u,
        o / u
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
