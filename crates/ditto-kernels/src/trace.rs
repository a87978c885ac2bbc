//! The op-level trace: an opt-in recorder of every top-level `Ditto<B>` op a thread runs, with
//! a hash of the bits of each input and output, and [`compare`], which names the first op
//! whose inputs are bit-equal in two traces and whose output differs.
//!
//! Recording reads every tensor an op takes or returns back to the host (a sync point per op),
//! so it is off by default and meant for a few training steps. Only top-level ops are
//! recorded: the ops a canonical composite (`linear`, `softmax`, ...) runs on `Ditto<B>` itself
//! are part of that op's record, so traces of the two kernel modes line up op by op.

use std::any::TypeId;
use std::cell::{Cell, RefCell};

use burn_backend::{ExecutionError, TensorData, TensorMetadata};
use serde::{Deserialize, Serialize};

use crate::inner::Inner;

/// Class: portable (data). One tensor an op read or wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorRecord {
    /// Element type (`F32`, `I64`, `Bool`, ...).
    pub dtype: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// FNV-1a 64 of the dtype name, the shape and the little-endian bytes of the elements.
    pub hash: u64,
    /// The elements' f32 bit patterns (float tensors that are outputs only; else empty).
    pub bits: Vec<u32>,
}

/// Class: portable (data). One op of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRecord {
    /// Position in the trace (0-based, top-level ops only).
    pub index: usize,
    /// The Burn backend op (`float_matmul`, `linear`, ...).
    pub op: String,
    /// The tensor arguments, in parameter order (without their bits).
    pub inputs: Vec<TensorRecord>,
    /// The tensor results (a tuple gives several).
    pub outputs: Vec<TensorRecord>,
}

struct State {
    backend: TypeId,
    depth: usize,
    records: Vec<OpRecord>,
}

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// Starts recording on this thread for backend `B` (replacing any trace in progress).
pub(crate) fn start<B: Inner>() {
    STATE.with(|s| {
        *s.borrow_mut() = Some(State {
            backend: TypeId::of::<B>(),
            depth: 0,
            records: Vec::new(),
        })
    });
    ACTIVE.with(|a| a.set(true));
}

/// Stops recording on this thread and returns the trace (empty if none was started for `B`).
pub(crate) fn take<B: Inner>() -> Vec<OpRecord> {
    ACTIVE.with(|a| a.set(false));
    STATE.with(|s| match s.borrow_mut().take() {
        Some(st) if st.backend == TypeId::of::<B>() => st.records,
        _ => Vec::new(),
    })
}

/// What [`begin`] hands to [`end`].
pub(crate) struct Token {
    slot: Option<usize>,
    counted: bool,
}

/// Called before an op runs: `inputs` pushes its tensor arguments (only when a trace for `B`
/// is active and the op is top-level and `traced`).
#[inline]
pub(crate) fn begin<B: Inner>(
    op: &'static str,
    traced: bool,
    inputs: impl FnOnce(&mut Vec<TensorRecord>),
) -> Token {
    if !ACTIVE.with(Cell::get) {
        return Token {
            slot: None,
            counted: false,
        };
    }
    let top = STATE.with(|s| match s.borrow_mut().as_mut() {
        Some(st) if st.backend == TypeId::of::<B>() => {
            st.depth += 1;
            Some(st.depth == 1)
        }
        _ => None,
    });
    let Some(top) = top else {
        return Token {
            slot: None,
            counted: false,
        };
    };
    if !top || !traced {
        return Token {
            slot: None,
            counted: true,
        };
    }
    let mut v = Vec::new();
    inputs(&mut v);
    let slot = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let st = s.as_mut().expect("checked above");
        let index = st.records.len();
        st.records.push(OpRecord {
            index,
            op: op.to_owned(),
            inputs: v,
            outputs: Vec::new(),
        });
        index
    });
    Token {
        slot: Some(slot),
        counted: true,
    }
}

/// Called after the op: `outputs` pushes its tensor results.
#[inline]
pub(crate) fn end(token: Token, outputs: impl FnOnce(&mut Vec<TensorRecord>)) {
    if !token.counted {
        return;
    }
    let mut v = Vec::new();
    if token.slot.is_some() {
        outputs(&mut v);
    }
    STATE.with(|s| {
        if let Some(st) = s.borrow_mut().as_mut() {
            st.depth = st.depth.saturating_sub(1);
            if let Some(i) = token.slot {
                st.records[i].outputs = v;
            }
        }
    });
}

/// Class: portable. The hash a [`TensorRecord`] holds: FNV-1a 64 of the dtype name, each
/// dimension as a little-endian u64 and the elements' little-endian bytes (for `F32`, the
/// little-endian bytes of the bit patterns), so a reader can check stored bits against it.
/// Int tensors of any width are hashed as `"Int"` with i64 elements and bool tensors as
/// `"Bool"` with 0/1 bytes, so traces of backends with other int widths compare.
pub fn tensor_hash(dtype: &str, shape: &[usize], bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(dtype.as_bytes());
    for d in shape {
        eat(&(*d as u64).to_le_bytes());
    }
    eat(bytes);
    h
}

fn read(data: TensorData, keep_bits: bool) -> TensorRecord {
    let dtype = format!("{:?}", data.dtype);
    let shape = data.shape.to_vec();
    // Ints and bools are hashed by value (as i64 under `Int`, as 0/1 bytes under `Bool`), so
    // that backends storing them at other widths (NdArray I64, Wgpu I32) agree.
    let h = if data.dtype.is_int() || data.dtype.is_uint() {
        let bytes: Vec<u8> = data.iter::<i64>().flat_map(i64::to_le_bytes).collect();
        tensor_hash("Int", &shape, &bytes)
    } else if data.dtype.is_bool() {
        tensor_hash("Bool", &shape, &data.iter::<u8>().collect::<Vec<u8>>())
    } else {
        tensor_hash(&dtype, &shape, data.as_bytes())
    };
    let bits = if keep_bits {
        data.convert::<f32>()
            .into_vec::<f32>()
            .map(|v| v.into_iter().map(f32::to_bits).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    TensorRecord {
        dtype,
        shape,
        hash: h,
        bits,
    }
}

fn sync(f: impl Future<Output = Result<TensorData, ExecutionError>>) -> Option<TensorData> {
    burn::tensor::try_read_sync(f).and_then(|r| r.ok())
}

fn unreadable<T: TensorMetadata>(t: &T) -> TensorRecord {
    TensorRecord {
        dtype: format!("{:?}", t.dtype()),
        shape: t.shape().to_vec(),
        hash: 0,
        bits: Vec::new(),
    }
}

/// The record of a float tensor (its bits kept: outputs are compared element by element).
pub(crate) fn float<B: Inner>(t: &B::FloatTensorPrimitive) -> TensorRecord {
    let data = match B::host_f32(t) {
        Some(values) => Some(TensorData::new(values, t.shape().to_vec())),
        None => sync(B::float_into_data(t.clone())),
    };
    data.map_or_else(|| unreadable(t), |d| read(d, true))
}

/// The record of an int tensor.
pub(crate) fn int<B: Inner>(t: &B::IntTensorPrimitive) -> TensorRecord {
    sync(B::int_into_data(t.clone())).map_or_else(|| unreadable(t), |d| read(d, false))
}

/// The record of a bool tensor.
pub(crate) fn boolean<B: Inner>(t: &B::BoolTensorPrimitive) -> TensorRecord {
    sync(B::bool_into_data(t.clone())).map_or_else(|| unreadable(t), |d| read(d, false))
}

/// Class: portable (data). Where two traces first differ (see [`compare`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceDiff {
    /// Ops compared (up to the shorter trace or the first misalignment).
    pub compared: usize,
    /// The first op whose inputs are bit-equal and whose output differs.
    pub divergence: Option<Divergence>,
    /// Where the traces stop lining up (another op, other input shapes, or one trace ends),
    /// if they do.
    pub misaligned_at: Option<Misalignment>,
    /// The first op whose inputs already differ between the traces: a difference that came
    /// in from before it (so its output is no evidence that the op itself is deterministic).
    pub inherited: Option<Inherited>,
    /// Ops that were not compared op to op because their inputs differed.
    pub skipped: usize,
}

impl TraceDiff {
    /// Class: portable. Whether the traces agree op for op, bit for bit, to the end: no op
    /// computed other bits, no op received other inputs, and the traces line up.
    pub fn identical(&self) -> bool {
        self.divergence.is_none() && self.misaligned_at.is_none() && self.inherited.is_none()
    }
}

/// Class: portable (data). The first op of two traces whose inputs differ: where a
/// difference entered that the op did not make.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inherited {
    /// Index of the op in both traces.
    pub index: usize,
    /// The op.
    pub op: String,
    /// Which of its tensor inputs (0-based) differs first.
    pub input: usize,
    /// The op of trace `a` before it whose output that input is; `None` when no traced op
    /// produced it: it comes from before the trace (the batch, the parameters, the optimiser
    /// state or an op that was not recorded).
    pub produced_by: Option<usize>,
}

/// Class: portable (data). An op that computed different bits from equal inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// Index of the op in both traces.
    pub index: usize,
    /// The op.
    pub op: String,
    /// Shapes of its tensor inputs.
    pub input_shapes: Vec<Vec<usize>>,
    /// Shape of its (first differing) output.
    pub output_shape: Vec<usize>,
    /// Flat index of the first differing element (`None` if the bits were not kept).
    pub element: Option<usize>,
    /// That element in trace `a` and `b`.
    pub values: Option<(f32, f32)>,
    /// Their distance in units in the last place (ordered f32 bit patterns).
    pub ulp: Option<u64>,
}

/// Class: portable (data). Where two traces stop lining up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misalignment {
    /// Index at which they differ.
    pub index: usize,
    /// The op of trace `a` there (`None`: the trace ended).
    pub a: Option<String>,
    /// The op of trace `b` there.
    pub b: Option<String>,
}

/// Class: portable. Distance of two f32 bit patterns in ULPs (`-0.0` and `+0.0` are one
/// apart; NaNs compare by their bit patterns).
pub fn ulp_distance(a: u32, b: u32) -> u64 {
    fn ordered(x: u32) -> i64 {
        if x & 0x8000_0000 != 0 {
            -i64::from(x & 0x7fff_ffff) - 1
        } else {
            i64::from(x)
        }
    }
    ordered(a).abs_diff(ordered(b))
}

/// Class: portable. Compares two traces op by op: the first op (same name and input shapes
/// in both) whose input hashes are equal and whose outputs differ, and the first index where
/// the op names or input shapes differ or one trace ends.
pub fn compare(a: &[OpRecord], b: &[OpRecord]) -> TraceDiff {
    let mut divergence = None;
    let mut inherited = None;
    let mut skipped = 0;
    let n = a.len().min(b.len());
    let shapes = |r: &OpRecord| r.inputs.iter().map(|t| t.shape.clone()).collect::<Vec<_>>();
    for i in 0..n {
        let (x, y) = (&a[i], &b[i]);
        if x.op != y.op || shapes(x) != shapes(y) {
            return TraceDiff {
                compared: i,
                divergence,
                misaligned_at: Some(Misalignment {
                    index: i,
                    a: Some(x.op.clone()),
                    b: Some(y.op.clone()),
                }),
                inherited,
                skipped,
            };
        }
        let differing_input = x
            .inputs
            .iter()
            .zip(&y.inputs)
            .position(|(p, q)| p.hash != q.hash);
        if let Some(input) = differing_input {
            skipped += 1;
            if inherited.is_none() {
                let hash = x.inputs[input].hash;
                let produced_by = a[..i]
                    .iter()
                    .rev()
                    .find(|r| r.outputs.iter().any(|o| o.hash == hash))
                    .map(|r| r.index);
                inherited = Some(Inherited {
                    index: i,
                    op: x.op.clone(),
                    input,
                    produced_by,
                });
            }
            continue;
        }
        if divergence.is_some() {
            continue;
        }
        if let Some((p, q)) = x
            .outputs
            .iter()
            .zip(&y.outputs)
            .find(|(p, q)| p.hash != q.hash || p.shape != q.shape)
        {
            let first = p.bits.iter().zip(&q.bits).position(|(u, v)| u != v);
            divergence = Some(Divergence {
                index: i,
                op: x.op.clone(),
                input_shapes: shapes(x),
                output_shape: p.shape.clone(),
                element: first,
                values: first.map(|e| (f32::from_bits(p.bits[e]), f32::from_bits(q.bits[e]))),
                ulp: first.map(|e| ulp_distance(p.bits[e], q.bits[e])),
            });
        }
    }
    let misaligned_at = (a.len() != b.len()).then(|| Misalignment {
        index: n,
        a: a.get(n).map(|r| r.op.clone()),
        b: b.get(n).map(|r| r.op.clone()),
    });
    TraceDiff {
        compared: n,
        divergence,
        misaligned_at,
        inherited,
        skipped,
    }
}
