//! Reader for numeric CSV: feature columns plus one integer label column, header optional.

use std::path::Path;

use crate::dataset::InMemory;
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
    InMemory::new(vec![width - 1], features, labels, classes)
        .map_err(|e| err(e.kind(), e.to_string()))
}
