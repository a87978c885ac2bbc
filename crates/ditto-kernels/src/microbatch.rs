//! Micro-batches and data-parallel peers: batch reductions carried from one micro-batch to the
//! next, so any cut of a batch gives the single-batch canonical bits.
//!
//! A step's batch is cut into `count` contiguous micro-batches in sample order. Each one runs
//! the model's forward and backward pass inside a [`Scope`] (on any thread: peers are
//! threads). In the backward pass every reduction over the batch axis that ditto recognises
//! continues the canonical order instead of starting afresh:
//!
//! * `linear`'s weight gradient (one matmul chain over all rows) and conv2d's (a chain over
//!   `(n, oh, ow)`): the chain continues from the previous micro-batch's accumulators
//!   ([`crate::canonical::matmul::matmul_strided_from`]);
//! * `linear`'s and conv2d's bias gradients and every `sum_dim` over the leading axis of a
//!   batch-leading tensor (autodiff's reduction of a broadcast parameter, such as LayerNorm's
//!   gain or a learned position embedding): the canonical sum continues
//!   ([`crate::canonical::carry::ColumnSums`]);
//! * the embedding gradient of batch-leading token indices: the index-add continues.
//!
//! Reductions are matched across micro-batches by their position in the backward pass (the
//! `i`-th carried op of micro-batch `m` continues the `i`-th of micro-batch `m - 1`), checked
//! by op and shape. Micro-batch `m` waits for `m - 1` at each carried op, so peers compute in
//! parallel and only the ordered combination waits. After the last micro-batch, its gradients
//! are those of the whole batch, bit for bit; earlier micro-batches' gradients are partial.
//!
//! In the forward pass, a random op whose tensor leads with the micro-batch's sample count
//! draws the slice of the whole batch's stream that belongs to its samples, so dropout masks do
//! not depend on the cut.
//!
//! Inside a scope, ops run ditto's canonical kernels whatever the configured mode (only they
//! can be carried).

use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::canonical::carry::ColumnSums;

/// Class: portable (a description). Which part of a batch a micro-batch is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MicroBatch {
    /// Position among the step's micro-batches, from 0, in sample order.
    pub index: usize,
    /// How many micro-batches the step has.
    pub count: usize,
    /// Its first sample's position in the batch.
    pub offset: usize,
    /// Its number of samples (at least 2 when `count > 1`: with one sample a broadcast over
    /// the batch axis cannot be told from a per-sample op).
    pub rows: usize,
    /// The whole batch's number of samples.
    pub total: usize,
}

/// Class: portable. The carried reductions of one training step, shared by its micro-batches
/// (and their peer threads). Create one per step.
#[derive(Debug, Default)]
pub struct Carry {
    table: Mutex<Table>,
    turn: Condvar,
}

#[derive(Debug, Default)]
struct Table {
    slots: Vec<Slot>,
    failure: Option<String>,
}

#[derive(Debug)]
struct Slot {
    op: &'static str,
    shape: Vec<usize>,
    /// The micro-batch whose turn it is.
    turn: usize,
    /// `None` while a micro-batch works on it.
    value: Option<Value>,
}

/// A carried reduction's state.
#[derive(Debug)]
pub(crate) enum Value {
    /// Chain accumulators (matmul, conv weight, index-add): the output so far.
    Chain(Vec<f32>),
    /// Canonical sums.
    Sums(ColumnSums),
}

/// How long a micro-batch waits for its predecessor at one reduction before giving up.
const PATIENCE: Duration = Duration::from_secs(900);

impl Carry {
    /// Class: portable. An empty carry for a new step.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Class: not applicable. Stops the step: every micro-batch waiting at, or reaching, a
    /// carried op panics with `reason` (call it when a peer failed).
    pub fn abort(&self, reason: impl Into<String>) {
        let mut t = self.lock();
        t.failure.get_or_insert_with(|| reason.into());
        self.turn.notify_all();
    }

    /// Class: not applicable. Why the step failed, if it did.
    pub fn failure(&self) -> Option<String> {
        self.lock().failure.clone()
    }

    /// Class: not applicable. How many reductions micro-batch 0 carried.
    pub fn slots(&self) -> usize {
        self.lock().slots.len()
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether the scope's pass is the forward or the backward one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Forward,
    Backward,
}

struct Active {
    mb: MicroBatch,
    carry: Arc<Carry>,
    phase: Phase,
    cursor: usize,
}

thread_local! {
    static SCOPE: RefCell<Option<Active>> = const { RefCell::new(None) };
}

/// Class: portable. A micro-batch running on this thread (from [`Scope::enter`] until drop).
#[must_use = "the micro-batch ends when the scope is dropped"]
pub struct Scope {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Scope {
    /// Class: portable. Starts micro-batch `mb` of the step whose reductions `carry` holds, on
    /// this thread, in its forward pass. Replaces a scope already open on this thread.
    pub fn enter(mb: MicroBatch, carry: Arc<Carry>) -> Self {
        SCOPE.with(|s| {
            *s.borrow_mut() = Some(Active {
                mb,
                carry,
                phase: Phase::Forward,
                cursor: 0,
            })
        });
        Self {
            _not_send: std::marker::PhantomData,
        }
    }

    /// Class: portable. Marks the start of the backward pass (call it just before
    /// `backward()`): from here, reductions over the batch axis are carried.
    pub fn backward(&self) {
        SCOPE.with(|s| {
            if let Some(a) = s.borrow_mut().as_mut() {
                a.phase = Phase::Backward;
            }
        });
    }

    /// Class: not applicable. After the backward pass: an error message if this micro-batch
    /// carried a different number of reductions than micro-batch 0 (the model's backward pass
    /// changed with the cut, so the bits would too), or if the step was aborted.
    pub fn check(&self) -> Result<usize, String> {
        SCOPE.with(|s| {
            let s = s.borrow();
            let Some(a) = s.as_ref() else {
                return Err("no micro-batch scope on this thread".into());
            };
            if let Some(f) = a.carry.failure() {
                return Err(f);
            }
            let slots = a.carry.slots();
            if a.mb.index > 0 && a.cursor != slots {
                return Err(format!(
                    "micro-batch {} carried {} batch reductions, micro-batch 0 carried {slots}",
                    a.mb.index, a.cursor
                ));
            }
            Ok(a.cursor)
        })
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        SCOPE.with(|s| *s.borrow_mut() = None);
    }
}

/// Whether a micro-batch scope is open on this thread (ops then run canonical kernels).
pub(crate) fn in_scope() -> bool {
    SCOPE.with(|s| s.borrow().is_some())
}

/// The micro-batch, if this thread is in the backward pass of a cut batch and `leading` (a
/// tensor's first dimension) is its sample count: the tensor is batch-leading, and a
/// reduction over that axis is carried.
pub(crate) fn batch_reduction(leading: usize) -> Option<MicroBatch> {
    SCOPE.with(|s| {
        let s = s.borrow();
        let a = s.as_ref()?;
        (a.phase == Phase::Backward && a.mb.count > 1 && leading == a.mb.rows).then_some(a.mb)
    })
}

/// For a random op in the forward pass of a cut batch whose tensor leads with the
/// micro-batch's sample count: `(skip, take)`, the range of the whole batch's values (in
/// row-major order) that are this micro-batch's.
pub(crate) fn random_slice(shape: &[usize]) -> Option<(usize, usize)> {
    SCOPE.with(|s| {
        let s = s.borrow();
        let a = s.as_ref()?;
        let lead = *shape.first()?;
        if a.phase != Phase::Forward || a.mb.count < 2 || lead != a.mb.rows || lead == 0 {
            return None;
        }
        let per = shape.iter().product::<usize>() / lead;
        Some((a.mb.offset * per, a.mb.rows * per))
    })
}

/// Runs the next carried reduction of this micro-batch: waits for the previous micro-batch to
/// have done the same one, then `f` updates its state (`init` makes micro-batch 0's). Panics
/// (inside Burn's backward pass, which has no error path) if the step was aborted or the
/// reduction does not match the previous micro-batch's.
pub(crate) fn carry<R>(
    op: &'static str,
    shape: &[usize],
    init: impl FnOnce() -> Value,
    f: impl FnOnce(&mut Value) -> R,
) -> R {
    let (mb, carry, i) = SCOPE.with(|s| {
        let mut s = s.borrow_mut();
        let a = s.as_mut().expect("carry outside a micro-batch scope");
        a.cursor += 1;
        (a.mb, a.carry.clone(), a.cursor - 1)
    });
    let mut init = Some(init);
    let mut value = {
        let mut t = carry.lock();
        loop {
            if let Some(f) = &t.failure {
                panic!("ditto micro-batches: {f}");
            }
            if mb.index == 0
                && t.slots.len() == i
                && let Some(init) = init.take()
            {
                t.slots.push(Slot {
                    op,
                    shape: shape.to_vec(),
                    turn: 0,
                    value: Some(init()),
                });
            }
            if let Some(slot) = t.slots.get_mut(i)
                && slot.turn == mb.index
            {
                if slot.op != op || slot.shape != shape {
                    let msg = format!(
                        "batch reduction {i} of micro-batch {} is {op} {shape:?}, of micro-batch 0 \
                         {} {:?}: the backward pass depends on the cut",
                        mb.index, slot.op, slot.shape
                    );
                    t.failure = Some(msg.clone());
                    carry.turn.notify_all();
                    panic!("ditto micro-batches: {msg}");
                }
                break slot.value.take().expect("the slot's turn holds its value");
            }
            let (next, timeout) = carry
                .turn
                .wait_timeout(t, PATIENCE)
                .unwrap_or_else(|p| p.into_inner());
            t = next;
            if timeout.timed_out() {
                t.failure.get_or_insert_with(|| {
                    format!(
                        "micro-batch {} waited {PATIENCE:?} for micro-batch {} at batch reduction {i}",
                        mb.index,
                        mb.index.saturating_sub(1)
                    )
                });
            }
        }
    };
    let r = f(&mut value);
    let mut t = carry.lock();
    let slot = &mut t.slots[i];
    slot.value = Some(value);
    slot.turn = mb.index + 1;
    carry.turn.notify_all();
    r
}
