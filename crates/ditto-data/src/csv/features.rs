//! Feature rows of a CSV file for prediction (`ditto predict`): the layout a model was
//! trained on, with or without its label column.

use std::path::Path;

use super::LabelColumn;
use super::table::{Lines, shown};
use crate::error::{Error, ErrorKind};

/// Class: portable. The features of a CSV file's records, row-major, for a model that reads
/// `features` numbers per sample: a record holds exactly `features` numbers, or `features + 1`
/// cells of which the `label` column's is skipped unread (a file laid out like the training
/// data, labels included). Every record has the width of the first; `header` says whether the
/// first record names the columns (needed for a `label` given by name). Blank lines and a
/// UTF-8 byte-order mark are skipped. Returns the rows (possibly none) as one vector.
///
/// Errors, naming the file and the line and column: [`ErrorKind::Corrupt`] for a record that
/// is not CSV, a cell that is not UTF-8 or not a number, or a record of another width;
/// [`ErrorKind::InvalidConfig`] when the first record's width is neither `features` nor
/// `features + 1` (or is `features + 1` with no `label` column to skip), or a named label
/// column is not in the header.
pub fn read_features(
    bytes: &[u8],
    path: &Path,
    header: bool,
    label: Option<&LabelColumn>,
    features: usize,
) -> Result<Vec<f32>, Error> {
    let err = |kind, msg: String| Error::new(kind, Some(path.to_path_buf()), msg);
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = Lines::new(bytes);
    let mut record = ::csv::ByteRecord::new();
    let mut names: Option<Vec<String>> = None;
    // The first record's width, and the column skipped (the label's), once known.
    let mut layout: Option<(usize, Option<usize>)> = None;
    let mut out = Vec::new();
    loop {
        let more = reader.read_byte_record(&mut record).map_err(|e| {
            let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
            err(
                ErrorKind::Corrupt,
                format!("line {line}: not a CSV record: {e}"),
            )
        })?;
        if !more {
            break;
        }
        let line = lines.line_at(record.position().map_or(0, |p| p.byte()));
        if record.len() == 1 && record[0].trim_ascii().is_empty() {
            continue; // A blank line.
        }
        let cell = |c: usize| -> Result<&str, Error> {
            std::str::from_utf8(&record[c]).map(str::trim).map_err(|e| {
                err(
                    ErrorKind::Corrupt,
                    format!("line {line}, column {}: not UTF-8 ({e})", c + 1),
                )
            })
        };
        if header && names.is_none() {
            let cells = (0..record.len()).map(|c| cell(c).map(str::to_owned));
            names = Some(cells.collect::<Result<_, _>>()?);
            continue;
        }
        let (width, skip) = match layout {
            Some(l) => l,
            None => {
                let l = first_layout(record.len(), features, label, names.as_deref())
                    .map_err(|m| err(ErrorKind::InvalidConfig, format!("line {line}: {m}")))?;
                layout = Some(l);
                l
            }
        };
        if record.len() != width {
            return Err(err(
                ErrorKind::Corrupt,
                format!(
                    "line {line}: {} cells, the first row has {width}",
                    record.len()
                ),
            ));
        }
        for c in (0..width).filter(|&c| Some(c) != skip) {
            let text = cell(c)?;
            let v = text.parse::<f32>().map_err(|_| {
                err(
                    ErrorKind::Corrupt,
                    format!(
                        "line {line}, column {}: {:?} is not a number",
                        c + 1,
                        shown(text)
                    ),
                )
            })?;
            out.push(v);
        }
    }
    Ok(out)
}

/// The width of every record and the column to skip, from the first data record's width.
fn first_layout(
    width: usize,
    features: usize,
    label: Option<&LabelColumn>,
    names: Option<&[String]>,
) -> Result<(usize, Option<usize>), String> {
    if width == features {
        return Ok((width, None));
    }
    if Some(width) != features.checked_add(1) {
        return Err(format!(
            "{width} cells: the model reads {features} features per sample (give {features} \
             numbers, or {} cells with the label column)",
            features.saturating_add(1)
        ));
    }
    let column = match (label, names) {
        (None, _) => {
            return Err(format!(
                "{width} cells for {features} features, and no label column is known to skip \
                 (remove the extra column)"
            ));
        }
        (Some(LabelColumn::Index(i)), _) => *i,
        (Some(LabelColumn::Name(n)), Some(names)) => names
            .iter()
            .position(|c| c == n)
            .ok_or_else(|| format!("no label column `{n}` in the header ({})", names.join(", ")))?,
        (Some(LabelColumn::Name(n)), None) => {
            return Err(format!(
                "the label column `{n}` is named, but the file is read without a header"
            ));
        }
    };
    if column >= width {
        return Err(format!(
            "label column {column} does not exist: rows have {width} cells"
        ));
    }
    Ok((width, Some(column)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(
        text: &str,
        header: bool,
        label: Option<LabelColumn>,
        f: usize,
    ) -> Result<Vec<f32>, Error> {
        read_features(
            text.as_bytes(),
            Path::new("x.csv"),
            header,
            label.as_ref(),
            f,
        )
    }

    #[test]
    fn features_only_and_with_the_label_skipped() {
        assert_eq!(
            read("1,2\n3,4\n", false, None, 2).unwrap(),
            [1.0, 2.0, 3.0, 4.0]
        );
        // The label column (by name) holds text and is not read.
        let t = "a,species,b\n1,setosa,2\n\n3,\"vir,ginica\",4\n";
        let l = Some(LabelColumn::Name("species".into()));
        assert_eq!(read(t, true, l, 2).unwrap(), [1.0, 2.0, 3.0, 4.0]);
        let l = Some(LabelColumn::Index(0));
        assert_eq!(
            read("x,1,2\r\ny,3,4", false, l, 2).unwrap(),
            [1.0, 2.0, 3.0, 4.0]
        );
        assert_eq!(read("\u{feff}5\n", false, None, 1).unwrap(), [5.0]);
        assert!(read("a,b\n", true, None, 2).unwrap().is_empty());
    }

    #[test]
    fn bad_input_is_an_error_naming_the_line() {
        let e = read("1,2\n3\n", false, None, 2).unwrap_err();
        assert!(e.to_string().contains("line 2: 1 cells"), "{e}");
        let e = read("1,2,3\n", false, None, 2).unwrap_err();
        assert!(e.to_string().contains("no label column"), "{e}");
        let e = read("1,2,3,4\n", false, None, 2).unwrap_err();
        assert!(e.to_string().contains("4 cells"), "{e}");
        let e = read("1,x\n", false, None, 2).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 1, column 2: \"x\" is not a number"),
            "{e}"
        );
        let l = Some(LabelColumn::Name("y".into()));
        let e = read("a,b,c\n1,2,3\n", true, l, 2).unwrap_err();
        assert!(e.to_string().contains("no label column `y`"), "{e}");
    }
}
