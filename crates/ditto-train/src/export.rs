//! Writing a model's weights as a plain safetensors file in `f32`, `f16` or `bf16`
//! (`ditto export`), with a per-tensor report of what the narrowing changed.

use std::fmt;
use std::path::Path;

use safetensors::tensor::TensorView;

use crate::atomic::write_atomic;
use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind};
use crate::precision::{self, ConversionCounts};
use crate::weights::Weights;

/// Class: portable. One tensor of an [`ExportReport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedTensor {
    /// The tensor's name in the file: its parameter path.
    pub name: String,
    /// Its shape (row-major).
    pub shape: Vec<usize>,
    /// The dtype it was stored in before the export.
    pub from: Dtype,
    /// What the conversion changed.
    pub counts: ConversionCounts,
}

/// Class: portable (a function of the weights and the dtype). What [`export_weights`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportReport {
    /// The dtype written.
    pub dtype: Dtype,
    /// Every tensor, in name order.
    pub tensors: Vec<ExportedTensor>,
    /// The file's length in bytes.
    pub bytes: u64,
}

impl ExportReport {
    /// Class: portable. The counts summed over every tensor.
    pub fn totals(&self) -> ConversionCounts {
        self.tensors
            .iter()
            .fold(ConversionCounts::default(), |a, t| a + t.counts)
    }
}

/// Class: portable. The safetensors bytes of `weights` as `dtype` (`F32`, `F16` or `BF16`),
/// each tensor named by its parameter path, no metadata, and the report. A tensor already
/// stored as `dtype` is copied bit for bit (so `F32` from a ditto checkpoint is exact); any
/// other is upcast exactly to `f32`, then rounded to nearest, ties to even (CANONICAL.md,
/// "Half-precision conversion"): too large becomes an infinity, too small a signed zero, NaN
/// a quiet NaN of the same sign.
///
/// Errors: [`ErrorKind::Invalid`] for a `dtype` other than `F32`, `F16` or `BF16`, weights
/// without tensors, or a tensor that is not a float or does not fill its shape.
pub fn export_bytes(weights: &Weights, dtype: Dtype) -> Result<(Vec<u8>, ExportReport), Error> {
    let invalid = |m: String| Error::new(ErrorKind::Invalid, None, m);
    if !matches!(dtype, Dtype::F32 | Dtype::F16 | Dtype::BF16) {
        return Err(invalid(format!(
            "weights are exported as f32, f16 or bf16, not {}",
            dtype.name()
        )));
    }
    if weights.tensors.is_empty() {
        return Err(invalid("no model tensors to export".into()));
    }
    let mut stored = Vec::with_capacity(weights.tensors.len());
    let mut tensors = Vec::with_capacity(weights.tensors.len());
    for (name, t) in &weights.tensors {
        let values = precision::decode(t.dtype, &t.shape, &t.bytes)
            .map_err(|e| invalid(format!("tensor {name}: {e}")))?;
        let (mut bytes, counts) = precision::encode(dtype, &values)
            .ok_or_else(|| invalid(format!("{} is not a float dtype", dtype.name())))?;
        if t.dtype == dtype {
            bytes.clone_from(&t.bytes);
        }
        stored.push((name.clone(), t.shape.clone(), bytes));
        tensors.push(ExportedTensor {
            name: name.clone(),
            shape: t.shape.clone(),
            from: t.dtype,
            counts,
        });
    }
    let mut views = Vec::with_capacity(stored.len());
    for (name, shape, bytes) in &stored {
        let view = TensorView::new(dtype.to_st(), shape.clone(), bytes)
            .map_err(|e| invalid(format!("tensor {name}: {e}")))?;
        views.push((name.clone(), view));
    }
    let bytes = safetensors::serialize(views, None).map_err(|e| invalid(e.to_string()))?;
    let report = ExportReport {
        dtype,
        tensors,
        bytes: bytes.len() as u64,
    };
    Ok((bytes, report))
}

/// Class: portable (the file's bytes are a function of the weights and the dtype). Writes
/// [`export_bytes`] to `out` atomically ([`crate::write_atomic`]). An existing `out` is
/// replaced only with `overwrite` (checked just before the write).
///
/// Errors: those of [`export_bytes`]; [`ErrorKind::Exists`] when `out` exists and
/// `overwrite` is false; [`ErrorKind::Io`].
pub fn export_weights(
    weights: &Weights,
    dtype: Dtype,
    out: &Path,
    overwrite: bool,
) -> Result<ExportReport, Error> {
    let (bytes, report) = export_bytes(weights, dtype)?;
    if !overwrite && out.symlink_metadata().is_ok() {
        return Err(Error::new(
            ErrorKind::Exists,
            Some(out),
            "replacing it was not asked for",
        ));
    }
    write_atomic(out, &bytes)?;
    Ok(report)
}

/// One line per tensor (name, shape, the dtype it came from, values, and how many were
/// rounded, overflowed to an infinity, flushed to zero, became subnormal, were NaN), then the
/// totals.
impl fmt::Display for ExportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = [
            "tensor",
            "shape",
            "from",
            "values",
            "rounded",
            "to_inf",
            "to_zero",
            "subnormal",
            "nan",
        ];
        let row = |name: String, shape: String, from: &str, c: &ConversionCounts| {
            let n = [
                c.values,
                c.rounded,
                c.overflowed,
                c.flushed,
                c.subnormal,
                c.nan,
            ];
            let mut r = vec![name, shape, from.to_owned()];
            r.extend(n.iter().map(u64::to_string));
            r
        };
        let mut rows = vec![head.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
        for t in &self.tensors {
            let shape = format!("{:?}", t.shape);
            rows.push(row(t.name.clone(), shape, t.from.name(), &t.counts));
        }
        rows.push(row("total".into(), String::new(), "", &self.totals()));
        let widths: Vec<usize> = (0..head.len())
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        for r in &rows {
            let mut line = String::new();
            for (i, cell) in r.iter().enumerate() {
                if i < 3 {
                    line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
                } else {
                    line.push_str(&format!("{cell:>w$}  ", w = widths[i]));
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::checkpoint::TensorEntry;

    fn weights(entries: &[(&str, TensorEntry)]) -> Weights {
        Weights {
            tensors: entries
                .iter()
                .map(|(n, t)| ((*n).to_owned(), t.clone()))
                .collect::<BTreeMap<_, _>>(),
            integrity: None,
        }
    }

    #[test]
    fn exported_files_read_back_with_the_rounded_values() {
        let w = weights(&[
            (
                "a.weight",
                TensorEntry::f32(vec![2, 2], &[1.0, 1.0 / 3.0, 7e4, -0.0]).unwrap(),
            ),
            (
                "b",
                TensorEntry::f32(vec![1], &[f32::from_bits(0x3280_0000)]).unwrap(),
            ),
        ]);
        let (bytes, report) = export_bytes(&w, Dtype::F16).unwrap();
        assert_eq!(report.bytes, bytes.len() as u64);
        let back = Weights::from_bytes(&bytes, None).unwrap();
        assert_eq!(back.integrity, None);
        let a = &back.tensors["a.weight"];
        assert_eq!((a.dtype, a.shape.clone()), (Dtype::F16, vec![2, 2]));
        assert_eq!(a.bytes, [0x00, 0x3C, 0x55, 0x35, 0x00, 0x7C, 0x00, 0x80]);
        let t = report.totals();
        assert_eq!((t.values, t.rounded, t.overflowed, t.flushed), (5, 3, 1, 1));
        let text = report.to_string();
        assert!(
            text.lines().any(|l| l.starts_with("a.weight  [2, 2]  f32")),
            "{text}"
        );
        assert!(text.lines().last().unwrap().starts_with("total"), "{text}");
        // f32: the same bits; bf16 read back, upcast, is the rounded value.
        let (bytes, _) = export_bytes(&w, Dtype::F32).unwrap();
        let back = Weights::from_bytes(&bytes, None).unwrap();
        assert_eq!(back.tensors, w.tensors);
        let (bytes, _) = export_bytes(&w, Dtype::BF16).unwrap();
        let back = Weights::from_bytes(&bytes, None).unwrap();
        let v = back.tensors["a.weight"].to_f32().unwrap();
        assert_eq!(v[1].to_bits(), 0x3EAB_0000);
    }

    #[test]
    fn bad_requests_are_refused() {
        let w = weights(&[("x", TensorEntry::bytes(vec![1, 2]))]);
        let e = export_bytes(&w, Dtype::F16).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e.to_string().contains("tensor x"), "{e}");
        let e = export_bytes(&weights(&[]), Dtype::F16).unwrap_err();
        assert!(e.to_string().contains("no model tensors"), "{e}");
        let ok = weights(&[("x", TensorEntry::f32(vec![1], &[1.0]).unwrap())]);
        let e = export_bytes(&ok, Dtype::I64).unwrap_err();
        assert!(e.to_string().contains("not i64"), "{e}");
        let truncated = TensorEntry {
            dtype: Dtype::BF16,
            shape: vec![3],
            bytes: vec![0; 5],
        };
        let e = export_bytes(&weights(&[("t", truncated)]), Dtype::F32).unwrap_err();
        assert!(e.to_string().contains("truncated or malformed"), "{e}");
    }

    #[test]
    fn an_existing_file_is_replaced_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("w.safetensors");
        std::fs::write(&out, b"keep").unwrap();
        let w = weights(&[("x", TensorEntry::f32(vec![1], &[1.0]).unwrap())]);
        let e = export_weights(&w, Dtype::BF16, &out, false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Exists);
        assert_eq!(std::fs::read(&out).unwrap(), b"keep");
        export_weights(&w, Dtype::BF16, &out, true).unwrap();
        let back = Weights::read(&out).unwrap();
        assert_eq!(back.tensors["x"].bytes, [0x80, 0x3F]);
    }
}
