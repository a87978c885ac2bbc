//! Reader for numeric CSV: feature columns plus one integer label column, header optional.

use std::path::Path;

use crate::dataset::{InMemory, class_count, class_index};
use crate::error::{Error, ErrorKind};

/// Class: portable. Parses CSV text where every row holds numeric features and, in column
/// `label_column`, an integer label below `classes`. A first row that does not parse as numbers
/// is taken as a header and skipped. `path` only names the source in errors.
///
/// Errors: [`ErrorKind::Corrupt`] for a non-numeric cell or a row of another width,
/// [`ErrorKind::LabelOutOfRange`], [`ErrorKind::Empty`].
pub fn parse(
    text: &str,
    path: &Path,
    label_column: usize,
    classes: u32,
) -> Result<InMemory, Error> {
    let err = |kind, msg: String| Error::new(kind, Some(path.to_path_buf()), msg);
    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut width = None;
    for (line_no, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Result<Vec<f32>, _> = line.split(',').map(|c| c.trim().parse::<f32>()).collect();
        let cells = match cells {
            Ok(c) => c,
            Err(_) if line_no == 0 => continue,
            Err(e) => {
                return Err(err(
                    ErrorKind::Corrupt,
                    format!("line {}: {e}", line_no + 1),
                ));
            }
        };
        if *width.get_or_insert(cells.len()) != cells.len() || label_column >= cells.len() {
            return Err(err(
                ErrorKind::Corrupt,
                format!(
                    "line {}: {} columns, label column {label_column}",
                    line_no + 1,
                    cells.len()
                ),
            ));
        }
        let l = cells[label_column];
        if !(l >= 0.0 && l.fract() == 0.0 && l < classes as f32) {
            return Err(err(
                ErrorKind::LabelOutOfRange,
                format!(
                    "line {}: label {l} is not below {classes} classes",
                    line_no + 1
                ),
            ));
        }
        labels.push(l as u32);
        features.extend(
            cells
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != label_column)
                .map(|(_, v)| *v),
        );
    }
    let Some(width) = width else {
        return Err(err(ErrorKind::Empty, "no rows".into()));
    };
    InMemory::new(vec![width - 1], features, labels, classes).map_err(|e| e.at(path))
}

/// Class: portable. Which column of a CSV file holds the label.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum LabelColumn {
    /// By position, counting from 0.
    Index(usize),
    /// By its name in the header row.
    Name(String),
}

impl Default for LabelColumn {
    fn default() -> Self {
        Self::Index(0)
    }
}

impl std::fmt::Display for LabelColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Index(i) => write!(f, "column {i}"),
            Self::Name(n) => write!(f, "column `{n}`"),
        }
    }
}

/// Class: portable. How [`parse_with`] reads a CSV file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// The label column.
    pub label: LabelColumn,
    /// Whether the first row names the columns (it is then not a sample).
    pub header: bool,
    /// The class count; `None`: one more than the largest label.
    pub classes: Option<u32>,
}

/// Class: portable. Parses numeric CSV text as `options` say: every row holds the same number
/// of cells, each a number; the label cell holds a non-negative integer, the other cells are
/// the sample's features in column order. Blank lines are skipped. `path` only names the
/// source in errors.
///
/// Errors: [`ErrorKind::Corrupt`] for a cell that is not a number (its line, column and
/// column name in the message) or a row of another width; [`ErrorKind::InvalidConfig`] for a
/// label column that does not exist (or a named one without a header);
/// [`ErrorKind::LabelOutOfRange`]; [`ErrorKind::Empty`] with no rows.
pub fn parse_with(text: &str, path: &Path, options: &CsvOptions) -> Result<InMemory, Error> {
    let err = |kind, msg: String| Error::new(kind, Some(path.to_path_buf()), msg);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let names: Option<Vec<String>> = match options.header {
        true => lines.next().map(|(_, l)| {
            l.split(',')
                .map(|c| c.trim().trim_matches('"').to_owned())
                .collect()
        }),
        false => None,
    };
    let label = match (&options.label, &names) {
        (LabelColumn::Index(i), _) => *i,
        (LabelColumn::Name(n), Some(names)) => {
            names.iter().position(|c| c == n).ok_or_else(|| {
                err(
                    ErrorKind::InvalidConfig,
                    format!("no label column `{n}` in the header ({})", names.join(", ")),
                )
            })?
        }
        (LabelColumn::Name(n), None) => {
            return Err(err(
                ErrorKind::InvalidConfig,
                format!("label column `{n}` is named, but the file has no header (header = false)"),
            ));
        }
    };
    let column_name = |c: usize| match names.as_ref().and_then(|n| n.get(c)) {
        Some(name) => format!("column {} (`{name}`)", c + 1),
        None => format!("column {}", c + 1),
    };
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    let mut width = names.as_ref().map(Vec::len);
    for (i, line) in lines {
        let line_no = i + 1;
        let mut cells = 0usize;
        for (c, cell) in line.split(',').enumerate() {
            cells += 1;
            let cell = cell.trim();
            let v: f32 = cell.parse().map_err(|_| {
                err(
                    ErrorKind::Corrupt,
                    format!(
                        "line {line_no}, {}: {cell:?} is not a number",
                        column_name(c)
                    ),
                )
            })?;
            if c != label {
                features.push(v);
                continue;
            }
            let l = class_index(v, options.classes).map_err(|why| {
                err(
                    ErrorKind::LabelOutOfRange,
                    format!("line {line_no}, {}: label {v} {why}", column_name(c)),
                )
            })?;
            labels.push(l);
        }
        let want = *width.get_or_insert(cells);
        if cells != want {
            return Err(err(
                ErrorKind::Corrupt,
                format!("line {line_no}: {cells} cells, the first row has {want}"),
            ));
        }
        if label >= cells {
            return Err(err(
                ErrorKind::InvalidConfig,
                format!("label column {label} does not exist: rows have {cells} cells"),
            ));
        }
    }
    let Some(width) = width.filter(|_| !labels.is_empty()) else {
        return Err(err(ErrorKind::Empty, "no rows".into()));
    };
    let classes = class_count(options.classes, &labels);
    InMemory::new(vec![width - 1], features, labels, classes).map_err(|e| e.at(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dataset;

    fn opts(label: LabelColumn, header: bool) -> CsvOptions {
        CsvOptions {
            label,
            header,
            classes: None,
        }
    }

    #[test]
    fn label_by_name_or_index_and_classes_inferred() {
        let text = "a,class,b\n1,2,3\n\n4,0,5.5\n";
        let by_name = parse_with(
            text,
            Path::new("t.csv"),
            &opts(LabelColumn::Name("class".into()), true),
        )
        .unwrap();
        let by_index =
            parse_with(text, Path::new("t.csv"), &opts(LabelColumn::Index(1), true)).unwrap();
        assert_eq!(by_name, by_index);
        assert_eq!(by_name.classes(), 3);
        assert_eq!(by_name.labels(), &[2, 0]);
        assert_eq!(by_name.get(1).unwrap().features, vec![4.0, 5.5]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let p = Path::new("t.csv");
        let e = parse_with("a,b\n1,2\n3,x\n", p, &opts(LabelColumn::Index(0), true)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        assert!(
            e.to_string()
                .contains("line 3, column 2 (`b`): \"x\" is not a number"),
            "{e}"
        );
        let e = parse_with("1,2\n3,x\n", p, &opts(LabelColumn::Index(0), false)).unwrap_err();
        assert!(e.to_string().contains("line 2, column 2:"), "{e}");
        let e = parse_with("a,b\n1,2\n", p, &opts(LabelColumn::Index(0), false)).unwrap_err();
        assert!(e.to_string().contains("line 1, column 1: \"a\""), "{e}");
        let e = parse_with("1,2\n1,2,3\n", p, &opts(LabelColumn::Index(0), false)).unwrap_err();
        assert!(e.to_string().contains("line 2: 3 cells"), "{e}");
        let e = parse_with("1,2\n", p, &opts(LabelColumn::Index(5), false)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        let e =
            parse_with("a,b\n1,2\n", p, &opts(LabelColumn::Name("c".into()), true)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        let e = parse_with("1,2\n", p, &opts(LabelColumn::Name("c".into()), false)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        let mut o = opts(LabelColumn::Index(0), false);
        o.classes = Some(2);
        let e = parse_with("1,2\n2,3\n", p, &o).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LabelOutOfRange);
        assert!(
            e.to_string()
                .contains("line 2, column 1: label 2 is not below 2"),
            "{e}"
        );
        let e = parse_with("-1,2\n", p, &opts(LabelColumn::Index(0), false)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LabelOutOfRange);
        let e = parse_with("a,b\n\n", p, &opts(LabelColumn::Index(0), true)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Empty);
    }
}
