//! Evaluation on the test split.

use std::collections::BTreeMap;

use burn::tensor::backend::Backend;

use crate::data::TrainData;
use crate::objective::Objective;
use crate::trainer::batch::to_tensors;

/// The test split's mean loss, mean metrics and (classification) confusion matrix.
pub(crate) struct Eval {
    pub(crate) loss: f32,
    pub(crate) metrics: BTreeMap<String, f64>,
    pub(crate) confusion: Option<Vec<Vec<u64>>>,
}

/// Evaluates in chunks of 1000 samples whose loss and metric sums are added in order in f64,
/// so the result does not depend on memory limits.
pub(crate) fn evaluate<B: Backend, M, O: Objective<B, M>>(
    model: &M,
    objective: &O,
    data: &TrainData,
    device: &B::Device,
) -> Eval {
    const CHUNK: usize = 1000;
    let classes = data.classes();
    let n = data.test_len();
    let mut confusion = vec![vec![0u64; classes]; classes];
    let mut any_predictions = false;
    let mut loss_sum = 0f64;
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for lo in (0..n).step_by(CHUNK) {
        let test = data.test_batch(lo..(lo + CHUNK).min(n));
        let batch = to_tensors::<B>(&test, data, device);
        let e = objective.evaluate(model, &batch);
        loss_sum += f64::from(e.loss) * test.rows as f64;
        for (name, v) in e.sums {
            *sums.entry(name.to_owned()).or_default() += v;
        }
        for (t, p) in e.predictions {
            any_predictions = true;
            let (t, p) = (t as usize, p as usize);
            if t < classes && p < classes {
                confusion[t][p] += 1;
            }
        }
    }
    let n = n.max(1) as f64;
    Eval {
        loss: (loss_sum / n) as f32,
        metrics: sums.into_iter().map(|(k, v)| (k, v / n)).collect(),
        confusion: any_predictions.then_some(confusion),
    }
}
