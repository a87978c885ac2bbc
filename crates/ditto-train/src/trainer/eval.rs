//! Evaluation of a split (validation or test) with the task's `evaluate`.

use std::collections::BTreeMap;

use burn::tensor::backend::Backend;
use ditto_data::Dataset;

use crate::task::Task;

/// A split's mean loss, mean metrics and (classification) confusion matrix.
#[derive(Clone)]
pub(crate) struct Eval {
    pub(crate) loss: f32,
    pub(crate) metrics: BTreeMap<String, f64>,
    pub(crate) confusion: Option<Vec<Vec<u64>>>,
}

impl Eval {
    /// The value of `metric` (`loss` or a metric's name).
    pub(crate) fn value(&self, metric: &str) -> Option<f64> {
        match metric {
            "loss" => Some(f64::from(self.loss)),
            m => self.metrics.get(m).copied(),
        }
    }
}

/// Items per evaluation batch: part of the result's definition (each batch's mean loss is
/// weighted by its items in f64), so fixed, whatever the memory.
const CHUNK: usize = 1000;

/// Evaluates `set` in chunks of 1000 items whose loss and metric sums are added in order in
/// f64; `classes` (classification) sizes the confusion matrix.
pub(crate) fn evaluate<B, M, T, D>(
    model: &M,
    task: &T,
    set: &D,
    classes: Option<usize>,
    device: &B::Device,
) -> Eval
where
    B: Backend,
    T: Task<B, M>,
    D: Dataset<Item = T::Item>,
{
    let n = set.len();
    let k = classes.unwrap_or(0);
    let mut confusion = vec![vec![0u64; k]; k];
    let mut any_predictions = false;
    let mut loss_sum = 0f64;
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for lo in (0..n).step_by(CHUNK) {
        let items: Vec<T::Item> = (lo..(lo + CHUNK).min(n))
            .filter_map(|i| set.get(i))
            .collect();
        let batch = task.batch(&items, device);
        let e = task.evaluate(model, &batch);
        loss_sum += f64::from(e.loss) * items.len() as f64;
        for (name, v) in e.sums {
            *sums.entry(name.to_owned()).or_default() += v;
        }
        for (t, p) in e.predictions {
            any_predictions = true;
            let (t, p) = (t as usize, p as usize);
            if t < k && p < k {
                confusion[t][p] += 1;
            }
        }
    }
    let n = n.max(1) as f64;
    Eval {
        loss: (loss_sum / n) as f32,
        metrics: sums.into_iter().map(|(k, v)| (k, v / n)).collect(),
        confusion: (any_predictions && k > 0).then_some(confusion),
    }
}
