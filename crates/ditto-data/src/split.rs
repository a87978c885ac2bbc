//! Deterministic train/validation split and index subsets.

use std::sync::Arc;

use ditto_rng::Seed;

use crate::dataset::Dataset;

/// Class: portable. Splits `0..labels.len()` into `(train, validation)` index lists, with
/// `round(n * validation_fraction)` validation samples (per class when `stratified`), drawn
/// from `seed.derive("split")` (per class: `.derive_index(class)`). Both lists are sorted.
pub fn split(
    seed: &Seed,
    labels: &[u32],
    validation_fraction: f64,
    stratified: bool,
) -> (Vec<usize>, Vec<usize>) {
    let f = if validation_fraction.is_finite() {
        validation_fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let root = seed.derive("split");
    let groups: Vec<(Seed, Vec<usize>)> = if stratified {
        let classes = labels.iter().max().map_or(0, |m| *m as usize + 1);
        (0..classes)
            .map(|c| {
                let idx = (0..labels.len())
                    .filter(|&i| labels[i] as usize == c)
                    .collect();
                (root.derive_index(c as u64), idx)
            })
            .collect()
    } else {
        vec![(root, (0..labels.len()).collect())]
    };
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for (s, mut idx) in groups {
        s.stream().shuffle(&mut idx);
        let k = (idx.len() as f64 * f).round() as usize;
        val.extend_from_slice(&idx[..k]);
        train.extend_from_slice(&idx[k..]);
    }
    train.sort_unstable();
    val.sort_unstable();
    (train, val)
}

/// Class: portable. The items of `dataset` at `indices`, in that order.
pub struct Subset<D> {
    dataset: Arc<D>,
    indices: Vec<usize>,
}

impl<D: Dataset> Subset<D> {
    /// Class: portable. A view of `dataset` at `indices` (indices past its end yield `None`).
    pub fn new(dataset: Arc<D>, indices: Vec<usize>) -> Self {
        Self { dataset, indices }
    }

    /// Class: portable. The underlying data set.
    pub fn dataset(&self) -> &Arc<D> {
        &self.dataset
    }

    /// Class: portable. The indices into it, in order.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }
}

impl<D: Dataset> Dataset for Subset<D> {
    type Item = D::Item;

    fn len(&self) -> usize {
        self.indices.len()
    }

    fn get(&self, index: usize) -> Option<D::Item> {
        self.dataset.get(*self.indices.get(index)?)
    }
}
