//! Writing a run's op trace (`ops.jsonl`, `ops.bin`) step by step, and reading it back with
//! every line, position and stored bit pattern checked.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use ditto_kernels::{OpRecord, TensorRecord, tensor_hash};

use super::{
    BitsRef, OPS_BIN, OPS_FORMAT, OPS_JSONL, OPS_VERSION, OpLine, OpsHeader, StepRange, TensorLine,
};
use crate::error::{Error, ErrorKind};

/// Class: portable (data read from a run directory). A run's op trace, validated: the ops of
/// each recorded step, in order, with the output bits read from `ops.bin`.
#[derive(Clone, Debug)]
pub struct OpTrace {
    /// The header line.
    pub header: OpsHeader,
    /// `(step, ops)` per recorded step, steps ascending.
    pub steps: Vec<(usize, Vec<OpRecord>)>,
}

impl OpTrace {
    /// Class: not applicable (I/O). Reads `ops.jsonl` and `ops.bin` of run directory `dir`.
    ///
    /// Errors: no `ops.jsonl` ([`ErrorKind::Io`], naming `--trace-ops`); not an op trace
    /// ([`ErrorKind::Foreign`]) or a newer version ([`ErrorKind::Version`]); a malformed or
    /// out-of-order line ([`ErrorKind::Invalid`]); a cut-off line or an `ops.bin` shorter than
    /// the lines say ([`ErrorKind::Truncated`]); stored bits that do not match their hash
    /// ([`ErrorKind::Corrupted`]).
    pub fn read(dir: &Path) -> Result<Self, Error> {
        let jsonl = dir.join(OPS_JSONL);
        let text = std::fs::read_to_string(&jsonl).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::new(
                    ErrorKind::Io,
                    Some(&jsonl),
                    "no op trace in this run directory: record one with `--trace-ops STEPS` \
                     (`Trainer::trace_ops`)",
                )
            } else {
                Error::io(&jsonl, "reading the op trace", e)
            }
        })?;
        let lines: Vec<&str> = text.lines().collect();
        let Some(first) = lines.first() else {
            return Err(Error::new(
                ErrorKind::Truncated,
                Some(&jsonl),
                "empty: no header line",
            ));
        };
        let header: OpsHeader = serde_json::from_str(first).map_err(|e| {
            Error::with_source(ErrorKind::Foreign, Some(&jsonl), "not a ditto op trace", e)
        })?;
        if header.format != OPS_FORMAT {
            return Err(Error::new(
                ErrorKind::Foreign,
                Some(&jsonl),
                format!("format {:?}, expected {OPS_FORMAT:?}", header.format),
            ));
        }
        if header.version > OPS_VERSION {
            return Err(Error::new(
                ErrorKind::Version,
                Some(&jsonl),
                format!(
                    "op trace version {}, this ditto reads up to {OPS_VERSION}",
                    header.version
                ),
            ));
        }
        let bin_path = dir.join(OPS_BIN);
        let mut bin: Option<Vec<u8>> = None;
        let mut cursor = 0u64;
        let mut steps: Vec<(usize, Vec<OpRecord>)> = Vec::new();
        let cut = !text.ends_with('\n');
        for (i, l) in lines.iter().enumerate().skip(1) {
            let no = i + 1;
            if l.trim().is_empty() {
                continue;
            }
            let line: OpLine = serde_json::from_str(l).map_err(|e| {
                let kind = if cut && no == lines.len() {
                    ErrorKind::Truncated
                } else {
                    ErrorKind::Invalid
                };
                Error::with_source(kind, Some(&jsonl), &format!("line {no}"), e)
            })?;
            let at = |detail: String| {
                Error::new(
                    ErrorKind::Invalid,
                    Some(&jsonl),
                    format!("line {no}: {detail}"),
                )
            };
            if !header.steps.contains(line.step) {
                return Err(at(format!(
                    "step {} is outside the recorded steps {}",
                    line.step, header.steps
                )));
            }
            let expected = match steps.last() {
                Some((s, ops)) if *s == line.step => ops.len(),
                Some((s, _)) if *s > line.step => {
                    return Err(at(format!("step {} after step {s}", line.step)));
                }
                _ => 0,
            };
            if line.index != expected {
                return Err(at(format!(
                    "op {} of step {}, expected op {expected}",
                    line.index, line.step
                )));
            }
            if expected == 0 {
                steps.push((line.step, Vec::new()));
            }
            let mut outputs = Vec::with_capacity(line.outputs.len());
            for (k, t) in line.outputs.into_iter().enumerate() {
                let what = format!(
                    "step {} op {} (`{}`) output {k}",
                    line.step, line.index, line.op
                );
                let bits = match t.bits {
                    None => Vec::new(),
                    Some(r) => {
                        if bin.is_none() {
                            bin = Some(
                                std::fs::read(&bin_path)
                                    .map_err(|e| Error::io(&bin_path, "reading the op bits", e))?,
                            );
                        }
                        let data = bin.as_deref().unwrap_or_default();
                        read_bits(data, r, &mut cursor, &what, &t, &jsonl, &bin_path, no)?
                    }
                };
                outputs.push(TensorRecord {
                    dtype: t.dtype,
                    shape: t.shape,
                    hash: t.hash,
                    bits,
                });
            }
            let record = OpRecord {
                index: line.index,
                op: line.op,
                inputs: line.inputs.into_iter().map(record).collect(),
                outputs,
            };
            if let Some((_, ops)) = steps.last_mut() {
                ops.push(record);
            }
        }
        let stored = match &bin {
            Some(b) => b.len() as u64,
            None => std::fs::metadata(&bin_path).map_or(0, |m| m.len()),
        };
        if stored != cursor {
            return Err(Error::new(
                ErrorKind::Invalid,
                Some(&bin_path),
                format!(
                    "holds {stored} bytes, {} refers to {cursor}: lines of ops.jsonl are \
                     missing or the files come from different runs",
                    OPS_JSONL
                ),
            ));
        }
        Ok(Self { header, steps })
    }
}

/// Writes a run's op trace, one step at a time (fresh files per process).
pub(crate) struct OpTraceWriter {
    jsonl: BufWriter<File>,
    bin: BufWriter<File>,
    dir: PathBuf,
    offset: u64,
    buf: Vec<u8>,
}

impl OpTraceWriter {
    /// Creates (truncates) `ops.jsonl` and `ops.bin` in `dir` and writes the header.
    pub(crate) fn create(dir: &Path, steps: StepRange, backend: &str) -> Result<Self, Error> {
        let open = |name: &str| {
            let p = dir.join(name);
            File::create(&p)
                .map(BufWriter::new)
                .map_err(|e| Error::io(&p, "creating the op trace", e))
        };
        let mut w = Self {
            jsonl: open(OPS_JSONL)?,
            bin: open(OPS_BIN)?,
            dir: dir.to_path_buf(),
            offset: 0,
            buf: Vec::new(),
        };
        let header = OpsHeader {
            format: OPS_FORMAT.into(),
            version: OPS_VERSION,
            steps,
            backend: backend.into(),
        };
        w.line(&header)?;
        w.flush()?;
        Ok(w)
    }

    /// Appends the ops of step `step` and flushes both files (bits first).
    pub(crate) fn step(&mut self, step: usize, records: &[OpRecord]) -> Result<(), Error> {
        for r in records {
            let mut outputs = Vec::with_capacity(r.outputs.len());
            for t in &r.outputs {
                let bits = if t.bits.is_empty() {
                    None
                } else {
                    self.buf.clear();
                    self.buf.extend(t.bits.iter().flat_map(|b| b.to_le_bytes()));
                    self.bin
                        .write_all(&self.buf)
                        .map_err(|e| Error::io(&self.dir.join(OPS_BIN), "writing op bits", e))?;
                    let r = BitsRef {
                        offset: self.offset,
                        len: t.bits.len() as u64,
                    };
                    self.offset += self.buf.len() as u64;
                    Some(r)
                };
                outputs.push(TensorLine { bits, ..line(t) });
            }
            self.line(&OpLine {
                step,
                index: r.index,
                op: r.op.clone(),
                inputs: r.inputs.iter().map(line).collect(),
                outputs,
            })?;
        }
        self.flush()
    }

    fn line<T: serde::Serialize>(&mut self, v: &T) -> Result<(), Error> {
        let p = self.dir.join(OPS_JSONL);
        serde_json::to_writer(&mut self.jsonl, v)
            .map_err(|e| Error::with_source(ErrorKind::Io, Some(&p), "writing the op trace", e))?;
        self.jsonl
            .write_all(b"\n")
            .map_err(|e| Error::io(&p, "writing the op trace", e))
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.bin
            .flush()
            .map_err(|e| Error::io(&self.dir.join(OPS_BIN), "writing op bits", e))?;
        self.jsonl
            .flush()
            .map_err(|e| Error::io(&self.dir.join(OPS_JSONL), "writing the op trace", e))
    }
}

fn line(t: &TensorRecord) -> TensorLine {
    TensorLine {
        dtype: t.dtype.clone(),
        shape: t.shape.clone(),
        hash: t.hash,
        bits: None,
    }
}

fn record(t: TensorLine) -> TensorRecord {
    TensorRecord {
        dtype: t.dtype,
        shape: t.shape,
        hash: t.hash,
        bits: Vec::new(),
    }
}

/// The bits `r` names, checked: contiguous with the previous ones, inside `data`, and (for
/// `F32` tensors) matching the recorded hash.
#[allow(clippy::too_many_arguments)]
fn read_bits(
    data: &[u8],
    r: BitsRef,
    cursor: &mut u64,
    what: &str,
    t: &TensorLine,
    jsonl: &Path,
    bin_path: &Path,
    no: usize,
) -> Result<Vec<u32>, Error> {
    if r.offset != *cursor {
        return Err(Error::new(
            ErrorKind::Invalid,
            Some(jsonl),
            format!(
                "line {no}: {what}: bits at byte {}, expected byte {cursor}",
                r.offset
            ),
        ));
    }
    let elems: u64 = t.shape.iter().map(|&d| d as u64).product();
    if r.len != elems {
        return Err(Error::new(
            ErrorKind::Invalid,
            Some(jsonl),
            format!(
                "line {no}: {what}: {} bit patterns for shape {:?}",
                r.len, t.shape
            ),
        ));
    }
    let end = r.len.checked_mul(4).and_then(|n| n.checked_add(r.offset));
    let Some(slice) = end
        .and_then(|e| usize::try_from(e).ok())
        .and_then(|e| data.get(r.offset as usize..e))
    else {
        return Err(Error::new(
            ErrorKind::Truncated,
            Some(bin_path),
            format!(
                "{} bytes, but {what} (ops.jsonl line {no}) needs bytes {}..{}",
                data.len(),
                r.offset,
                end.unwrap_or(u64::MAX)
            ),
        ));
    };
    if t.dtype == "F32" && t.hash != 0 && tensor_hash(&t.dtype, &t.shape, slice) != t.hash {
        return Err(Error::new(
            ErrorKind::Corrupted,
            Some(bin_path),
            format!("the bits of {what} (ops.jsonl line {no}) do not match their hash"),
        ));
    }
    *cursor += slice.len() as u64;
    Ok(slice
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}
