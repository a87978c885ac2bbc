//! Reading your own data at MNIST scale: a generated 60,000-image IDX pair (28x28, gzip, with
//! MNIST-like sparsity so that it compresses like the real files), read through the config
//! (`source = "idx"`: read, SHA-256 pinned, decoded, split 80/20 by seed) up to the first
//! training batch of the loader.
//!
//! Prints the time to the first batch (median of direct runs) and the peak memory allocated
//! on the way, against the decoded data (the f32 samples the trainer holds), then criterion's
//! numbers. Goals (issue #13): under 1 s, and a peak under 2x the decoded data.

#![allow(missing_docs)] // criterion_group! generates an undocumented `benches` fn.
#![allow(unsafe_code)] // the counting allocator (see its file)

#[path = "../crates/ditto-data/tests/fuzz_support/counting_alloc.rs"]
mod counting_alloc;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use ditto::Seed;
use ditto::train::{DataSource, IdxSource, TrainConfig, TrainData};

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

const N: u32 = 60_000;
const SIDE: u32 = 28;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// MNIST-like files: a dark background with one bright stroke-like block per image.
fn write_files(dir: &Path) -> (PathBuf, PathBuf) {
    let mut s = Seed::from_u64(60_000).derive("bench-idx").stream();
    let px = (SIDE * SIDE) as usize;
    let mut images = vec![0u8, 0, 0x08, 3];
    for d in [N, SIDE, SIDE] {
        images.extend(d.to_be_bytes());
    }
    let mut labels = vec![0u8, 0, 0x08, 1];
    labels.extend(N.to_be_bytes());
    for _ in 0..N {
        let class = (s.next_u64() % 10) as usize;
        let mut img = vec![0u8; px];
        let (r0, c0) = (4 + class % 5 * 3, 4 + class / 5 * 8);
        for r in r0..r0 + 8 {
            for c in c0..c0 + 10 {
                img[r * SIDE as usize + c] = 128 + (s.next_u64() % 128) as u8;
            }
        }
        images.extend(img);
        labels.push(class as u8);
    }
    std::fs::create_dir_all(dir).unwrap();
    let (i, l) = (dir.join("images.gz"), dir.join("labels.gz"));
    std::fs::write(&i, gzip(&images)).unwrap();
    std::fs::write(&l, gzip(&labels)).unwrap();
    (i, l)
}

fn config(images: &Path, labels: &Path) -> TrainConfig {
    let mut c = TrainConfig {
        batch_size: 64,
        workers: 0,
        ..TrainConfig::default()
    };
    c.data.source = DataSource::Idx(IdxSource::new(images, labels));
    c
}

/// Reads, pins, decodes and splits the files, builds the loader and takes the first batch.
fn first_batch(c: &TrainConfig) -> usize {
    let data = TrainData::from_config(c).unwrap();
    let mut loader = data.loader(c).unwrap();
    let batch = loader.epoch().next().unwrap();
    data.to_batch(&batch).rows
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("ditto-bench-idx-{}", std::process::id()));
    let (images, labels) = write_files(&dir);
    let cfg = config(&images, &labels);
    let size = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    let decoded = (N * SIDE * SIDE) as usize * size_of::<f32>();
    let (rows, peak) = counting_alloc::peak_of(|| first_batch(&cfg));
    assert_eq!(rows, 64);
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            first_batch(&cfg);
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "idx 60k: files {:.1} MB + {:.2} MB (gzip); first batch in {:.3} s (median of 5); \
         peak {:.0} MB = {:.2}x the decoded data ({:.0} MB of f32 samples)",
        size(&images),
        size(&labels),
        times[2],
        peak as f64 / 1e6,
        peak as f64 / decoded as f64,
        decoded as f64 / 1e6
    );
    let mut g = c.benchmark_group("data_load");
    g.sample_size(10);
    g.bench_function("idx_60k_to_first_batch", |b| b.iter(|| first_batch(&cfg)));
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
