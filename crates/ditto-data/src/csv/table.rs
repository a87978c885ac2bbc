//! One CSV file read into numeric features and label cells, through the `csv` crate: every
//! record has the same width, every feature cell is a number, and each distinct label text is
//! kept once with the line where it first appears (mapping labels to classes needs every file
//! first: see `labels.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{CsvOptions, LabelColumn};
use crate::error::{Error, ErrorKind};

/// A parsed file: features row-major, each row's label as an id into `labels`.
pub(super) struct Table {
    pub(super) path: PathBuf,
    /// The header's cells, when the file has one.
    names: Option<Vec<String>>,
    /// The label column, from 0.
    label: usize,
    /// Cells per row, the label included.
    pub(super) width: usize,
    pub(super) features: Vec<f32>,
    /// Each row's label: the `id` of its text in `labels`.
    pub(super) rows: Vec<u32>,
    /// Every distinct label text (trimmed), in byte order, with its id (order of first
    /// appearance) and the line where it first appears.
    pub(super) labels: BTreeMap<String, Seen>,
}

/// Where a label text was first seen.
#[derive(Clone, Copy)]
pub(super) struct Seen {
    pub(super) id: u32,
    pub(super) line: u64,
}

impl Table {
    /// Reads `bytes` as `options` say (`classes` and `class_names` are not looked at here).
    pub(super) fn parse(bytes: &[u8], path: &Path, options: &CsvOptions) -> Result<Self, Error> {
        let err = |kind, msg: String| Error::new(kind, Some(path.to_path_buf()), msg);
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut lines = Lines::new(bytes);
        let mut record = ::csv::ByteRecord::new();
        let mut table = Table {
            path: path.to_path_buf(),
            names: None,
            label: 0,
            width: 0,
            features: Vec::new(),
            rows: Vec::new(),
            labels: BTreeMap::new(),
        };
        let mut first = true;
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
            if first {
                first = false;
                table.start(&record, line, options)?;
                if options.header {
                    continue;
                }
            }
            table.row(&record, line)?;
        }
        if table.rows.is_empty() {
            return Err(err(ErrorKind::Empty, "no rows".into()));
        }
        Ok(table)
    }

    /// The label column's name for messages: `line 3, column 5 (`species`)`.
    pub(super) fn label_at(&self, line: u64) -> String {
        format!("line {line}, {}", self.column(self.label))
    }

    /// `column 2 (`x1`)`, or `column 2` without a header (1-based).
    fn column(&self, c: usize) -> String {
        match self.names.as_ref().and_then(|n| n.get(c)) {
            Some(name) => format!("column {} (`{name}`)", c + 1),
            None => format!("column {}", c + 1),
        }
    }

    fn err(&self, kind: ErrorKind, msg: String) -> Error {
        Error::new(kind, Some(self.path.clone()), msg)
    }

    /// The first record fixes the width, and names the columns when it is a header.
    fn start(
        &mut self,
        record: &::csv::ByteRecord,
        line: u64,
        options: &CsvOptions,
    ) -> Result<(), Error> {
        self.width = record.len();
        if options.header {
            let mut names = Vec::with_capacity(record.len());
            for (c, cell) in record.iter().enumerate() {
                names.push(self.text(cell, line, c)?.to_owned());
            }
            self.names = Some(names);
        }
        self.label = match (&options.label, &self.names) {
            (LabelColumn::Index(i), _) => *i,
            (LabelColumn::Name(n), Some(names)) => match names.iter().position(|c| c == n) {
                Some(i) => i,
                None => {
                    let msg = format!("no label column `{n}` in the header ({})", names.join(", "));
                    return Err(self.err(ErrorKind::InvalidConfig, msg));
                }
            },
            (LabelColumn::Name(n), None) => {
                let msg = format!(
                    "label column `{n}` is named, but the file has no header (header = false)"
                );
                return Err(self.err(ErrorKind::InvalidConfig, msg));
            }
        };
        if self.label >= self.width {
            let msg = format!(
                "label column {} does not exist: rows have {} cells",
                self.label, self.width
            );
            return Err(self.err(ErrorKind::InvalidConfig, msg));
        }
        Ok(())
    }

    /// One sample: its features and its label text.
    fn row(&mut self, record: &::csv::ByteRecord, line: u64) -> Result<(), Error> {
        if record.len() != self.width {
            let msg = format!(
                "line {line}: {} cells, the first row has {}",
                record.len(),
                self.width
            );
            return Err(self.err(ErrorKind::Corrupt, msg));
        }
        for (c, cell) in record.iter().enumerate() {
            let text = self.text(cell, line, c)?;
            if c == self.label {
                self.label_cell(text, line)?;
                continue;
            }
            match text.parse::<f32>() {
                Ok(v) => self.features.push(v),
                Err(_) => {
                    let msg = format!(
                        "line {line}, {}: {:?} is not a number",
                        self.column(c),
                        shown(text)
                    );
                    return Err(self.err(ErrorKind::Corrupt, msg));
                }
            }
        }
        Ok(())
    }

    fn label_cell(&mut self, text: &str, line: u64) -> Result<(), Error> {
        if text.is_empty() {
            let msg = format!("{}: the label is empty", self.label_at(line));
            return Err(self.err(ErrorKind::Corrupt, msg));
        }
        let id = match self.labels.get(text) {
            Some(seen) => seen.id,
            None => {
                let id = u32::try_from(self.labels.len()).map_err(|_| {
                    self.err(
                        ErrorKind::InvalidConfig,
                        format!("line {line}: more than 2^32 distinct labels"),
                    )
                })?;
                self.labels.insert(text.to_owned(), Seen { id, line });
                id
            }
        };
        self.rows.push(id);
        Ok(())
    }

    /// A cell as trimmed UTF-8 text.
    fn text<'a>(&self, cell: &'a [u8], line: u64, c: usize) -> Result<&'a str, Error> {
        match std::str::from_utf8(cell) {
            Ok(s) => Ok(s.trim()),
            Err(e) => {
                let msg = format!("line {line}, {}: not UTF-8 ({e})", self.column(c));
                Err(self.err(ErrorKind::Corrupt, msg))
            }
        }
    }
}

/// A cell as an error message shows it: at most 40 characters.
pub(super) fn shown(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

/// Line numbers (1-based) from byte offsets that only grow: a record starts at the first byte
/// after the reader's position that is not a line terminator (the `csv` crate reports where
/// it began reading, before any blank lines or the rest of a CRLF).
pub(super) struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    newlines: u64,
}

impl<'a> Lines<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 0,
            newlines: 0,
        }
    }

    pub(super) fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .clamp(self.at, self.bytes.len());
        while let Some(b'\r' | b'\n') = self.bytes.get(start) {
            start += 1;
        }
        // A line ends at `\n`, and at a `\r` not followed by `\n` (the terminators the `csv`
        // crate reads).
        let seen = &self.bytes[self.at..start];
        let after = self.bytes.get(start).copied();
        let ends = seen.iter().enumerate().filter(|&(i, &b)| {
            b == b'\n' || (b == b'\r' && seen.get(i + 1).copied().or(after) != Some(b'\n'))
        });
        self.newlines += ends.count() as u64;
        self.at = start;
        self.newlines + 1
    }
}
