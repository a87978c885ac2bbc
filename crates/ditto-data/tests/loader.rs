//! Loader determinism: worker counts, resume, sharding, golden order.

use std::sync::Arc;

use ditto_data::{
    Batch, InMemory, Loader, LoaderConfig, LoaderState, Sample, bundled, epoch_indices,
};
use ditto_rng::Seed;

fn toy(n: usize) -> Arc<InMemory> {
    let features = (0..n * 3).map(|i| i as f32 * 0.5).collect();
    let labels = (0..n as u32).map(|i| i % 4).collect();
    Arc::new(InMemory::new(vec![3], features, labels, 4).unwrap())
}

fn bytes(batches: &[Batch<Sample>]) -> Vec<u8> {
    let mut out = Vec::new();
    for b in batches {
        for (i, s) in b.indices.iter().zip(&b.items) {
            out.extend_from_slice(&(*i as u64).to_le_bytes());
            out.extend_from_slice(&s.label.to_le_bytes());
            for f in &s.features {
                out.extend_from_slice(&f.to_le_bytes());
            }
        }
        out.push(0xff);
    }
    out
}

fn run(ds: &Arc<InMemory>, cfg: LoaderConfig, epochs: usize) -> Vec<Batch<Sample>> {
    let mut l = Loader::new(Arc::clone(ds), cfg).unwrap();
    let mut out = Vec::new();
    for _ in 0..epochs {
        out.extend(l.epoch());
    }
    out
}

#[test]
fn same_bytes_for_0_1_2_8_workers() {
    let ds = toy(103);
    for drop_last in [false, true] {
        let mut cfg = LoaderConfig::new(Seed::from_u64(7), 10);
        cfg.drop_last = drop_last;
        let reference = bytes(&run(&ds, cfg.clone(), 3));
        for w in [1, 2, 8] {
            cfg.workers = w;
            assert_eq!(bytes(&run(&ds, cfg.clone(), 3)), reference, "workers {w}");
        }
    }
}

#[test]
fn resume_at_several_positions_gives_the_same_bytes() {
    let ds = toy(57);
    let mut cfg = LoaderConfig::new(Seed::from_u64(3), 8);
    cfg.workers = 2;
    let full = run(&ds, cfg.clone(), 3);
    // 8 batches per epoch; stop after k batches, save, restore in a fresh loader.
    for k in [0usize, 1, 4, 7, 8, 13, 23] {
        let mut l = Loader::new(Arc::clone(&ds), cfg.clone()).unwrap();
        let mut seen = Vec::new();
        while seen.len() < k {
            let need = k - seen.len();
            seen.extend(l.epoch().take(need));
        }
        let saved = serde_json::to_string(&l.state()).unwrap();
        let state: LoaderState = serde_json::from_str(&saved).unwrap();
        let mut fresh = Loader::new(Arc::clone(&ds), cfg.clone()).unwrap();
        fresh.restore(state).unwrap();
        while seen.len() < full.len() {
            seen.extend(fresh.epoch());
        }
        assert_eq!(bytes(&seen), bytes(&full), "resume after {k} batches");
    }
}

/// A restored position past the epoch's end is refused (the position unchanged); the last
/// epoch, `u64::MAX`, is served and then nothing: no epoch number wraps to 0 (issue 27).
#[test]
fn restored_positions_are_range_checked_and_the_last_epoch_ends_the_loader() {
    let ds = toy(57);
    let cfg = LoaderConfig::new(Seed::from_u64(3), 8);
    let mut l = Loader::new(Arc::clone(&ds), cfg.clone()).unwrap();
    let err = l.restore(LoaderState { epoch: 2, batch: 9 }).unwrap_err();
    assert_eq!(err.kind(), ditto_data::ErrorKind::InvalidState);
    assert!(err.to_string().contains("batch 9 of epoch 2"), "{err}");
    assert_eq!(l.state(), LoaderState { epoch: 0, batch: 0 });
    // The end of an epoch is a position the loader itself can be at: accepted.
    l.restore(LoaderState { epoch: 2, batch: 8 }).unwrap();
    assert_eq!(
        l.epoch().next().unwrap().indices,
        epoch_indices(&cfg.seed, 3, 57, 0, 1)[..8]
    );
    let last = u64::MAX;
    l.restore(LoaderState {
        epoch: last,
        batch: 6,
    })
    .unwrap();
    let tail: Vec<_> = l.epoch().collect();
    assert_eq!(tail.len(), 2);
    assert_eq!(
        tail[1].indices,
        epoch_indices(&cfg.seed, last, 57, 0, 1)[56..]
    );
    assert_eq!(
        l.state(),
        LoaderState {
            epoch: last,
            batch: 8
        }
    );
    assert_eq!(l.epoch().count(), 0);
    l.restore(LoaderState {
        epoch: last,
        batch: 8,
    })
    .unwrap();
    assert_eq!(l.epoch().count(), 0);
    assert_eq!(
        l.state(),
        LoaderState {
            epoch: last,
            batch: 8
        }
    );
}

#[test]
fn shards_are_disjoint_and_cover_the_epoch() {
    let seed = Seed::from_u64(11);
    for (n, world) in [(100usize, 4usize), (103, 4), (7, 3), (5, 8)] {
        let mut all = Vec::new();
        for rank in 0..world {
            let s = epoch_indices(&seed, 2, n, rank, world);
            assert_eq!(s.len(), n.div_ceil(world));
            all.extend(s);
        }
        let pad = n.div_ceil(world) * world - n;
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        // Union is the whole epoch; only the documented padding repeats samples.
        assert_eq!(sorted, (0..n).collect::<Vec<_>>());
        assert_eq!(all.len(), n + pad);
        let perm = epoch_indices(&seed, 2, n, 0, 1);
        let mut expected_pad: Vec<usize> = (0..pad).map(|i| perm[i % n]).collect();
        let mut extra = all.clone();
        for i in 0..n {
            let p = extra.iter().position(|&x| x == i).unwrap();
            extra.swap_remove(p);
        }
        extra.sort_unstable();
        expected_pad.sort_unstable();
        assert_eq!(extra, expected_pad, "n {n} world {world}");
    }
}

#[test]
fn sharded_loaders_split_each_batch_position() {
    let ds = toy(40);
    let mut union = Vec::new();
    for rank in 0..4 {
        let mut cfg = LoaderConfig::new(Seed::from_u64(1), 5);
        cfg.rank = rank;
        cfg.world = 4;
        cfg.workers = rank;
        for b in run(&ds, cfg, 1) {
            union.extend(b.indices);
        }
    }
    union.sort_unstable();
    assert_eq!(union, (0..40).collect::<Vec<_>>());
}

#[test]
fn epochs_differ_and_order_depends_only_on_seed_and_epoch() {
    let s = Seed::from_u64(0);
    assert_ne!(
        epoch_indices(&s, 0, 50, 0, 1),
        epoch_indices(&s, 1, 50, 0, 1)
    );
    assert_eq!(
        epoch_indices(&s, 5, 50, 0, 1),
        epoch_indices(&s, 5, 50, 0, 1)
    );
}

/// value_stability: first batch (size 16) of seed 0, epoch 0 on the vendored digits.
/// Computed once with this crate (ditto-rng ChaCha12 permutation) and pasted.
#[test]
fn value_stability_digits_first_batch() {
    let ds = Arc::new(bundled::digits(&bundled::data_dir()).unwrap());
    let mut l = Loader::new(ds, LoaderConfig::new(Seed::from_u64(0), 16)).unwrap();
    let first = l.epoch().next().unwrap();
    assert_eq!(first.indices, GOLDEN);
}

const GOLDEN: [usize; 16] = [
    284, 174, 501, 664, 798, 1014, 602, 1110, 343, 1048, 530, 80, 619, 990, 784, 726,
];

#[test]
fn augmented_batches_are_the_same_for_any_worker_count() {
    use ditto_data::{Augmentation, Augmenter};
    let ds = Arc::new(bundled::digits(&bundled::data_dir()).unwrap());
    let aug = Arc::new(Augmenter::new(
        Seed::from_u64(5),
        8,
        8,
        vec![
            Augmentation::RandomCrop { padding: 2 },
            Augmentation::HorizontalFlip,
            Augmentation::GaussianNoise { std: 0.1 },
        ],
    ));
    let go = |workers| {
        let mut cfg = LoaderConfig::new(Seed::from_u64(5), 64);
        cfg.workers = workers;
        let mut l = Loader::new(Arc::clone(&ds), cfg)
            .unwrap()
            .with_transform(aug.clone());
        let mut out = Vec::new();
        for _ in 0..2 {
            out.extend(l.epoch());
        }
        bytes(&out)
    };
    let reference = go(0);
    for w in [1, 2, 8] {
        assert_eq!(go(w), reference, "workers {w}");
    }
    // The augmentation changed the data, and differs between epochs.
    let plain = run(&ds, LoaderConfig::new(Seed::from_u64(5), 64), 2);
    assert_ne!(bytes(&plain), reference);
}

/// value_stability: noise of sample 3 in epoch 1 depends only on (seed, epoch, index).
#[test]
fn value_stability_augmentation_key() {
    use ditto_data::{Augmentation, Augmenter};
    let a = Augmenter::new(
        Seed::from_u64(0),
        2,
        2,
        vec![
            Augmentation::HorizontalFlip,
            Augmentation::GaussianNoise { std: 1.0 },
        ],
    );
    let mut x = [1.0f32, 2.0, 3.0, 4.0];
    a.augment(1, 3, &mut x);
    let mut y = [1.0f32, 2.0, 3.0, 4.0];
    a.augment(1, 3, &mut y);
    assert_eq!(x, y);
    assert_eq!(x, [2.465973, 2.5229168, 4.662922, 4.4579377]);
}

#[test]
fn split_is_deterministic_and_stratified() {
    let ds = bundled::digits(&bundled::data_dir()).unwrap();
    let s = Seed::from_u64(0);
    let (tr, va) = ditto_data::split(&s, ds.labels(), 0.2, true);
    assert_eq!(
        (tr.clone(), va.clone()),
        ditto_data::split(&s, ds.labels(), 0.2, true)
    );
    assert_eq!(tr.len() + va.len(), 1797);
    let mut all: Vec<usize> = tr.iter().chain(&va).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..1797).collect::<Vec<_>>());
    for c in 0..10 {
        let n = ds.labels().iter().filter(|&&l| l == c).count();
        let v = va.iter().filter(|&&i| ds.labels()[i] == c).count();
        assert_eq!(v, (n as f64 * 0.2).round() as usize);
    }
    let (_, va2) = ditto_data::split(&Seed::from_u64(1), ds.labels(), 0.2, false);
    assert_eq!(va2.len(), 359);
    assert_ne!(va, va2);
}

#[test]
fn batcher_builds_tensors_from_the_batch_bytes() {
    use burn::backend::NdArray;
    use ditto_data::SampleBatcher;
    let ds = Arc::new(bundled::digits(&bundled::data_dir()).unwrap());
    let mut l = Loader::new(Arc::clone(&ds), LoaderConfig::new(Seed::from_u64(0), 4)).unwrap();
    let b = l.epoch().next().unwrap();
    let batcher = SampleBatcher::<NdArray>::new(vec![8, 8], Default::default());
    let t = batcher.batch::<3>(&b).unwrap();
    assert_eq!(t.features.dims(), [4, 8, 8]);
    let flat: Vec<f32> = t.features.into_data().to_vec().unwrap();
    let expected: Vec<f32> = b.items.iter().flat_map(|s| s.features.clone()).collect();
    assert_eq!(flat, expected);
    let labels: Vec<i64> = t.labels.into_data().to_vec().unwrap();
    assert_eq!(
        labels,
        b.items.iter().map(|s| s.label as i64).collect::<Vec<_>>()
    );
    assert!(batcher.batch::<2>(&b).is_none());
}

/// A transform that panics on one sample, standing in for a bug in user code.
struct PanicsOn(usize);

impl ditto_data::Transform<Sample> for PanicsOn {
    fn apply(&self, _epoch: u64, index: usize, item: Sample) -> Sample {
        assert!(index != self.0, "boom at sample {index}");
        item
    }
}

/// A worker that panics must not end the epoch early and silently: the panic reaches the
/// caller, after exactly the batches before the failing one.
#[test]
fn a_panicking_worker_is_reraised_not_a_short_epoch() {
    let ds = toy(100);
    let cfg = LoaderConfig::new(Seed::from_u64(3), 10);
    let order = epoch_indices(&cfg.seed, 0, 100, 0, 1);
    let victim = order[55]; // in batch 5
    for workers in [0, 1, 2, 8] {
        let mut c = cfg.clone();
        c.workers = workers;
        let mut l = Loader::new(Arc::clone(&ds), c)
            .unwrap()
            .with_transform(Arc::new(PanicsOn(victim)));
        let mut seen = 0;
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for b in l.epoch() {
                assert_eq!(b.items.len(), 10);
                seen += 1;
            }
        }));
        let payload = caught.expect_err("the epoch must not end normally");
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(msg.contains(&format!("boom at sample {victim}")), "{msg}");
        assert_eq!(seen, 5, "workers {workers}: batches before the failing one");
    }
}
