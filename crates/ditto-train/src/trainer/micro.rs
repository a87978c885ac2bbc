//! One optimiser step over a batch cut into micro-batches (`[parallel]`), on peer threads.
//!
//! The batch is cut by sample position into `peers * accumulate` contiguous micro-batches
//! (sizes differ by at most one); micro-batch `m` runs on peer `m % peers`. Each runs its
//! forward and backward pass inside a `ditto_kernels::microbatch::Scope`, which carries every
//! reduction over the batch from micro-batch `m - 1` to `m` in the canonical order; the last
//! micro-batch's gradients are the whole batch's, bit for bit, whatever the cut.

use std::sync::{Arc, Condvar, Mutex};

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use ditto_kernels::canonical::carry::ColumnSums;
use ditto_kernels::microbatch::{Carry, MicroBatch, Scope};
use ditto_kernels::{DittoConfig, Refusal, RngState};

use crate::config::ParallelConfig;
use crate::error::{Error, ErrorKind};
use crate::task::Task;

/// The peers of a run: one thread pool each, sharing the run's threads equally.
pub(crate) struct Peers<D> {
    config: ParallelConfig,
    pools: Vec<rayon::ThreadPool>,
    /// Sets up ditto's decorator on a peer thread (its state is per thread).
    configure: fn(&D, DittoConfig),
    ditto: DittoConfig,
}

impl<D> Peers<D> {
    /// The peers of `config`, or `None` for one peer without micro-batches.
    pub(crate) fn new(
        config: ParallelConfig,
        configure: fn(&D, DittoConfig),
        ditto: DittoConfig,
    ) -> Result<Option<Self>, Error> {
        if config.is_single() {
            return Ok(None);
        }
        let threads = (rayon::current_num_threads() / config.peers).max(1);
        let pools = if config.peers > 1 {
            (0..config.peers)
                .map(|p| {
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .thread_name(move |i| format!("ditto-peer-{p}-{i}"))
                        .build()
                        .map_err(|e| {
                            Error::with_source(ErrorKind::Invalid, None, "starting peer threads", e)
                        })
                })
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        Ok(Some(Self {
            config,
            pools,
            configure,
            ditto,
        }))
    }
}

/// What a step over micro-batches gives back.
pub(crate) struct StepOut {
    /// The batch's loss: the canonical mean of every sample loss.
    pub(crate) loss: f32,
    /// The whole batch's gradients.
    pub(crate) grads: GradientsParams,
    /// The backend's random state after the step (as after one pass over the whole batch).
    pub(crate) rng: RngState,
}

/// The batch's cut: `(offset, rows)` of `count` micro-batches, sizes differing by at most one,
/// the larger first. At most `rows / 2` micro-batches (two samples each, see `MicroBatch`).
pub(crate) fn cut(rows: usize, count: usize) -> Vec<(usize, usize)> {
    let count = count.min(rows / 2).max(1);
    let (base, extra) = (rows / count, rows % count);
    let mut offset = 0;
    (0..count)
        .map(|m| {
            let n = base + usize::from(m < extra);
            offset += n;
            (offset - n, n)
        })
        .collect()
}

/// Reads and installs the backend's random state on the calling thread, and takes the op
/// strict mode refused there (`Ditto::take_refusal`).
pub(crate) type RngHooks<D> = (
    fn(&D) -> Option<RngState>,
    fn(&D, RngState),
    fn(&D) -> Option<Refusal>,
);

/// One micro-batch's result: its sample losses, and for the last one the gradients.
type MicroOut = (Vec<f32>, Option<(GradientsParams, RngState)>);

/// Runs the forward and backward passes of the micro-batches of a step's `items` and returns
/// the whole batch's loss and gradients: `peers`' cut, or with `whole` one micro-batch of all
/// the items on this thread (the cut check's reference: the same kernels, no cut). `rng` is the
/// backend's random state at the step's start; `get` and `set` read and install it on a thread.
#[allow(clippy::too_many_arguments)]
pub(crate) fn step<B, M, T>(
    peers: &Peers<B::Device>,
    whole: bool,
    model: &M,
    task: &T,
    items: &[T::Item],
    device: &B::Device,
    rng: RngState,
    rng_hooks: RngHooks<B::Device>,
) -> Result<StepOut, Error>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    T: Task<B, M>,
{
    let total = items.len();
    let cuts = cut(
        total,
        if whole {
            1
        } else {
            peers.config.micro_batches()
        },
    );
    let count = cuts.len();
    let carry = Carry::new();
    let (get, set, refusal) = rng_hooks;
    let one = |m: usize, model: &M| -> Result<MicroOut, Error> {
        let (offset, rows) = cuts[m];
        set(device, rng);
        let tb = task.batch(&items[offset..offset + rows], device);
        let mb = MicroBatch {
            index: m,
            count,
            offset,
            rows,
            total,
        };
        let scope = Scope::enter(mb, Arc::clone(&carry));
        let per = task.item_loss(model, &tb).ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                None,
                "config `parallel`: this task has no per-item loss, which cutting a batch \
                 into micro-batches needs (`Task::item_loss`, `Objective::sample_loss`)",
            )
        })?;
        let [_, k] = per.dims();
        let values = per
            .clone()
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .map_err(|e| Error::new(ErrorKind::Invalid, None, format!("sample losses: {e:?}")))?;
        let n = total * k;
        let loss = per.sum().mul_scalar(1.0 / n as f64);
        scope.backward();
        let grads = loss.backward();
        scope.check().map_err(|e| {
            carry.abort(e.clone());
            Error::new(ErrorKind::Invalid, None, format!("micro-batches: {e}"))
        })?;
        // A refusal on this peer's thread ends the step (the loop checks its own thread).
        crate::refusal::refused(refusal, device, || {
            format!(
                "micro-batch {} of {count} (forward and backward pass)",
                m + 1
            )
        })
        .inspect_err(|e| carry.abort(e.to_string()))?;
        drop(scope);
        let last = (m + 1 == count).then(|| {
            let g = GradientsParams::from_grads(grads, model);
            (g, get(device).unwrap_or(rng))
        });
        Ok((values, last))
    };
    let outs: Vec<MicroOut> = if peers.pools.is_empty() || count == 1 {
        (0..count)
            .map(|m| one(m, model))
            .collect::<Result<_, _>>()?
    } else {
        run_peers(peers, count, model, device, &carry, &one)?
    };
    let mut sums = ColumnSums::new(1);
    let mut last = None;
    for (values, l) in outs {
        sums.push_rows(&values)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "sample losses", e))?;
        if l.is_some() {
            last = l;
        }
    }
    let mut total = [0.0f32];
    sums.values(&mut total)
        .map_err(|e| Error::with_source(ErrorKind::Invalid, None, "sample losses", e))?;
    let (grads, rng) = last.expect("the last micro-batch returns the gradients");
    Ok(StepOut {
        loss: total[0] / sums.rows() as f32,
        grads,
        rng,
    })
}

/// Runs micro-batch `m` on peer `m % peers`, each peer on its own pool with its own copy of
/// the model (fresh autodiff leaves: peers' graphs must not merge), in rounds: round `r` runs
/// micro-batches `r * peers ..`, and no peer starts round `r + 1` before every peer finished
/// round `r`. Without the rounds, a peer ahead by a round could hold its autodiff graph's lock
/// (Burn holds it for a whole backward pass) while waiting for a peer that is itself waiting
/// for that lock (Burn's post-backward cleanup locks every graph): a deadlock.
fn run_peers<B, M>(
    peers: &Peers<B::Device>,
    count: usize,
    model: &M,
    device: &B::Device,
    carry: &Carry,
    one: &(dyn Fn(usize, &M) -> Result<MicroOut, Error> + Sync),
) -> Result<Vec<MicroOut>, Error>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
{
    let w = peers.pools.len();
    let rounds = Rounds::new(w);
    let slots: Vec<Mutex<Option<PeerResult>>> = (0..w).map(|_| Mutex::new(None)).collect();
    // Peer `p`'s micro-batches, in rounds; a failure opens the rounds and the carry for all.
    let peer = |p: usize, copy: M| -> PeerResult {
        (peers.configure)(device, peers.ditto);
        let mut done = Vec::new();
        for m in (0..count.div_ceil(w)).map(|r| r * w + p) {
            if m < count {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| one(m, &copy)))
                    .unwrap_or_else(|panic| {
                        Err(Error::new(
                            ErrorKind::Invalid,
                            None,
                            format!("peer {p}: {}", panic_text(&panic)),
                        ))
                    });
                match r {
                    Ok(o) => done.push((m, o)),
                    Err(e) => {
                        carry.abort(e.to_string());
                        rounds.abort();
                        return Err(e);
                    }
                }
            }
            if !rounds.wait() {
                let why = carry.failure().unwrap_or_else(|| "a peer failed".into());
                return Err(Error::new(ErrorKind::Invalid, None, why));
            }
        }
        Ok(done)
    };
    let store = |p: usize, copy: M| {
        let r = peer(p, copy);
        *slots[p].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
    };
    let copies: Vec<M> = (0..w).map(|_| model.clone().fork(device)).collect();
    // One job per peer on its own pool, without starting threads: each pool's scope waits
    // for its job, nested, so all run at once and this thread waits for the last.
    nest(&peers.pools, copies, &store);
    let results: Vec<PeerResult> = slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(Error::new(ErrorKind::Invalid, None, "a peer did not run")))
        })
        .collect();
    let mut all: Vec<(usize, MicroOut)> = Vec::with_capacity(count);
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(v) => all.extend(v),
            Err(e) => errors.push(e),
        }
    }
    // A peer that failed aborts the others, whose errors only say so: a strict-mode refusal
    // is the cause wherever it happened, else the first peer's error is reported.
    if let Some(i) = errors.iter().position(|e| e.kind() == ErrorKind::Strict) {
        return Err(errors.swap_remove(i));
    }
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    all.sort_by_key(|(m, _)| *m);
    Ok(all.into_iter().map(|(_, o)| o).collect())
}

/// What a peer gives back: its micro-batches' results by index.
type PeerResult = Result<Vec<(usize, MicroOut)>, Error>;

/// Runs `f(p, copies[p])` for every peer `p` on `pools[p]`, all at once: the pools' scopes
/// are nested on this thread, which waits until every job has finished.
fn nest<M: Send>(pools: &[rayon::ThreadPool], mut copies: Vec<M>, f: &(dyn Fn(usize, M) + Sync)) {
    let Some(copy) = copies.pop() else { return };
    let p = copies.len();
    pools[p].in_place_scope(|s| {
        s.spawn(move |_| f(p, copy));
        nest(pools, copies, f);
    });
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a peer thread panicked".into())
}

/// A barrier between rounds of micro-batches that a failing peer can open for everyone.
struct Rounds {
    /// (arrived, generation, aborted)
    state: Mutex<(usize, usize, bool)>,
    turn: Condvar,
    parties: usize,
}

impl Rounds {
    fn new(parties: usize) -> Self {
        Self {
            state: Mutex::new((0, 0, false)),
            turn: Condvar::new(),
            parties,
        }
    }

    /// Waits for every peer; `false` if the step was aborted.
    fn wait(&self) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.2 {
            return false;
        }
        let generation = s.1;
        s.0 += 1;
        if s.0 == self.parties {
            s.0 = 0;
            s.1 += 1;
            self.turn.notify_all();
            return true;
        }
        while s.1 == generation && !s.2 {
            s = self.turn.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        !s.2
    }

    fn abort(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).2 = true;
        self.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cuts_are_contiguous_and_differ_by_at_most_one() {
        for rows in [2usize, 7, 32, 33, 64, 100] {
            for count in [1usize, 2, 3, 4, 8, 64] {
                let c = cut(rows, count);
                assert_eq!(c.len(), count.min(rows / 2).max(1));
                assert_eq!(c.iter().map(|&(_, n)| n).sum::<usize>(), rows);
                let mut at = 0;
                for &(o, n) in &c {
                    assert_eq!(o, at);
                    assert!(n >= 2 || rows < 2);
                    at += n;
                }
                let (lo, hi) = (c.iter().map(|x| x.1).min(), c.iter().map(|x| x.1).max());
                assert!(hi.unwrap() - lo.unwrap() <= 1, "{rows} / {count}: {c:?}");
            }
        }
    }
}
