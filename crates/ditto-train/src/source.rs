//! What the trainer needs from a data set: batches addressed by (epoch, index).

/// Class: portable. One batch: row-major features and integer labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// `rows * features` values.
    pub x: Vec<f32>,
    /// `rows` labels.
    pub y: Vec<i64>,
    /// Number of rows.
    pub rows: usize,
}

/// Class: portable (implementations must make every batch a pure function of its address).
/// A data source whose training batches are addressed by `(epoch, index)`, so a run can
/// resume at any batch.
pub trait DataSource {
    /// Features per sample.
    fn features(&self) -> usize;
    /// Number of classes.
    fn classes(&self) -> usize;
    /// Training batches per epoch.
    fn batches_per_epoch(&self) -> usize;
    /// Training batch `index` of `epoch`.
    fn train_batch(&self, epoch: u64, index: usize) -> Batch;
    /// The whole test split.
    fn test_set(&self) -> Batch;
}
