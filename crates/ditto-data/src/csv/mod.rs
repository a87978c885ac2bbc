//! Reader for CSV files through the `csv` crate (RFC 4180: quoted fields may hold commas,
//! doubled quotes and line breaks; CRLF or LF line ends): numeric feature columns plus one
//! label column holding integers or text. Whether the first row is a header is said by the
//! caller, never guessed.
//!
//! **Labels.** Integer labels (every label cell a non-negative integer) are their own class
//! ids. A column of numbers with a negative or fractional one is refused (list the values as
//! class names to read them as names). Text labels (a column with a cell that is not a
//! number) map to class ids in the sorted byte order of the
//! distinct labels of every file read together ([`parse_files`]: a training file and its test
//! file map the same way), and the names are returned so that a run can record them. Class
//! names given in [`CsvOptions::class_names`] are the mapping instead: a label maps to its
//! position in the list, and a label not in it is refused.

mod features;
mod labels;
mod table;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use features::read_features;

use crate::dataset::InMemory;
use crate::error::{Error, ErrorKind};

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

/// Class: portable. How [`parse_files`] and [`parse_with`] read CSV.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// The label column.
    pub label: LabelColumn,
    /// Whether the first row names the columns (it is then not a sample). Never guessed.
    pub header: bool,
    /// The class count; `None`: one more than the largest integer label, or the number of
    /// class names. With text labels or class names it must be their number.
    pub classes: Option<u32>,
    /// The class of each label text, by position: `Some`: a label maps to its index in the
    /// list and a label not in it is refused; `None`: integer labels are class ids, text
    /// labels map in sorted byte order (see the [module docs](self)).
    pub class_names: Option<Vec<String>>,
}

/// Class: portable. CSV files read together by [`parse_files`].
#[derive(Clone, Debug, PartialEq)]
pub struct CsvData {
    /// One data set per file, in the order given, all with the same class count.
    pub sets: Vec<InMemory>,
    /// The class names in class order: [`CsvOptions::class_names`] when given, the sorted
    /// distinct labels for text labels, `None` for integer labels.
    pub class_names: Option<Vec<String>>,
}

/// Class: portable. Parses CSV files (`(bytes, path)`, `path` only naming the file in errors)
/// as `options` say, their labels mapped to classes together: every record of a file holds
/// the same number of cells, each cell but the label a number (`f32`, surrounding whitespace
/// trimmed, quoted or not); the label cell an integer, or text (see the
/// [module docs](self)). Blank lines are skipped. A UTF-8 byte-order mark is skipped.
///
/// Errors, each naming the file and, for a cell, its line and column (1-based, with the
/// column's header name when there is a header): [`ErrorKind::Corrupt`] for a cell that is
/// not a number or not UTF-8, an empty label, or a record of another width;
/// [`ErrorKind::InvalidConfig`] for a label column that does not exist (or a named one
/// without a header), class names that are empty or repeat, or a `classes` that disagrees
/// with the class names; [`ErrorKind::LabelOutOfRange`] for an integer label not below
/// `classes` or a label not among the class names given; [`ErrorKind::Empty`] for a file
/// without rows or no file.
pub fn parse_files(files: &[(&[u8], &Path)], options: &CsvOptions) -> Result<CsvData, Error> {
    if files.is_empty() {
        return Err(Error::new(ErrorKind::Empty, None, "no CSV file"));
    }
    let mut tables = Vec::with_capacity(files.len());
    for (bytes, path) in files {
        tables.push(table::Table::parse(bytes, path, options)?);
    }
    let classes = labels::resolve(&tables, options.classes, options.class_names.as_deref())?;
    let mut sets = Vec::with_capacity(tables.len());
    for (t, map) in tables.into_iter().zip(&classes.maps) {
        let labels = t.rows.iter().map(|&id| map[id as usize]).collect();
        let ds = InMemory::new(vec![t.width - 1], t.features, labels, classes.count)
            .map_err(|e| e.at(&t.path))?;
        sets.push(ds);
    }
    Ok(CsvData {
        sets,
        class_names: classes.names,
    })
}

/// Class: portable. [`parse_files`] on one file's text: text labels map in the sorted byte
/// order of this file's labels alone (read a training and a test file with [`parse_files`] to
/// map them together), and the class names are not returned.
///
/// Errors: as [`parse_files`].
pub fn parse_with(text: &str, path: &Path, options: &CsvOptions) -> Result<InMemory, Error> {
    let mut data = parse_files(&[(text.as_bytes(), path)], options)?;
    match data.sets.pop() {
        Some(set) => Ok(set),
        None => Err(Error::new(
            ErrorKind::Empty,
            Some(path.to_path_buf()),
            "no rows",
        )),
    }
}
