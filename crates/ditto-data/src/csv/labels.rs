//! From label texts to class ids, over every file of a data set together (a training file and
//! its test file map the same way): by the class names given; as integers when every label is
//! a non-negative integer; otherwise by the sorted byte order of the distinct texts.

use std::collections::{BTreeMap, BTreeSet};

use super::table::{Table, shown};
use crate::dataset::class_index;
use crate::error::{Error, ErrorKind};

/// How each file's labels map to classes.
pub(super) struct Classes {
    /// For each file, the class of each label id (`table::Seen::id`).
    pub(super) maps: Vec<Vec<u32>>,
    /// The class count.
    pub(super) count: u32,
    /// The class names in class order, for text labels.
    pub(super) names: Option<Vec<String>>,
}

/// The mapping of `tables`' labels: `names` when given, else numeric or sorted text.
pub(super) fn resolve(
    tables: &[Table],
    classes: Option<u32>,
    names: Option<&[String]>,
) -> Result<Classes, Error> {
    if let Some(names) = names {
        return by_names(tables, names, classes);
    }
    match tables.iter().map(integers).collect::<Option<Vec<_>>>() {
        Some(maps) => by_number(tables, maps, classes),
        None => {
            refuse_numbers_that_are_not_ids(tables)?;
            by_text(tables, classes)
        }
    }
}

/// A column of numbers some of which are not class ids (negative, fractional) is refused
/// rather than read as text: it is more often a regression target or the wrong column than a
/// set of class names. Listing them in `class_names` reads them as names.
fn refuse_numbers_that_are_not_ids(tables: &[Table]) -> Result<(), Error> {
    let numeric = |t: &Table| t.labels.keys().all(|text| text.parse::<f32>().is_ok());
    if !tables.iter().all(numeric) {
        return Ok(());
    }
    let bad = tables.iter().find_map(|t| {
        t.labels
            .iter()
            .filter(|(text, _)| {
                text.parse::<f32>()
                    .is_ok_and(|v| class_index(v, None).is_err())
            })
            .min_by_key(|(_, seen)| seen.line)
            .map(|(text, seen)| (t, text, seen.line))
    });
    match bad {
        Some((t, text, line)) => Err(Error::new(
            ErrorKind::LabelOutOfRange,
            Some(t.path.clone()),
            format!(
                "{}: label {} is a number but not a class id (a non-negative integer); to \
                 read the column's values as class names, list them in class_names",
                t.label_at(line),
                shown(text)
            ),
        )),
        None => Ok(()),
    }
}

/// Each label id's integer, or `None` when some label is not a non-negative integer.
fn integers(t: &Table) -> Option<Vec<u32>> {
    let mut map = vec![0; t.labels.len()];
    for (text, seen) in &t.labels {
        let v: f32 = text.parse().ok()?;
        map[seen.id as usize] = class_index(v, None).ok()?;
    }
    Some(map)
}

/// Class id = the integer; refuses one not below `classes` (the first in each file).
fn by_number(
    tables: &[Table],
    maps: Vec<Vec<u32>>,
    classes: Option<u32>,
) -> Result<Classes, Error> {
    let largest = maps.iter().flatten().copied().max().unwrap_or(0);
    let count = classes.unwrap_or(largest.saturating_add(1));
    for (t, map) in tables.iter().zip(&maps) {
        let first_bad = t
            .labels
            .iter()
            .filter(|(_, seen)| map[seen.id as usize] >= count)
            .min_by_key(|(_, seen)| seen.line);
        if let Some((text, seen)) = first_bad {
            return Err(Error::new(
                ErrorKind::LabelOutOfRange,
                Some(t.path.clone()),
                format!(
                    "{}: label {text} is not below {count} classes",
                    t.label_at(seen.line)
                ),
            ));
        }
    }
    Ok(Classes {
        maps,
        count,
        names: None,
    })
}

/// Class id = the label's position among all files' distinct labels in byte order.
fn by_text(tables: &[Table], classes: Option<u32>) -> Result<Classes, Error> {
    let all: BTreeSet<&str> = tables
        .iter()
        .flat_map(|t| t.labels.keys().map(String::as_str))
        .collect();
    let names: Vec<String> = all.into_iter().map(str::to_owned).collect();
    let count = count_of(&names)?;
    if let Some(c) = classes
        && c != count
    {
        return Err(Error::new(
            ErrorKind::InvalidConfig,
            None,
            format!(
                "classes = {c}, but the label column holds {count} distinct text labels ({})",
                list(&names)
            ),
        ));
    }
    let maps = tables
        .iter()
        .map(|t| {
            let mut map = vec![0; t.labels.len()];
            for (text, seen) in &t.labels {
                // Present: `names` holds every file's labels, sorted.
                map[seen.id as usize] = names.partition_point(|n| n < text) as u32;
            }
            map
        })
        .collect();
    Ok(Classes {
        maps,
        count,
        names: Some(names),
    })
}

/// Class id = the label's position in `names`; refuses a label not in it (the first in each
/// file), duplicate names, and a `classes` that is not their count.
fn by_names(tables: &[Table], names: &[String], classes: Option<u32>) -> Result<Classes, Error> {
    let invalid = |msg: String| Err(Error::new(ErrorKind::InvalidConfig, None, msg));
    if names.is_empty() {
        return invalid("class_names is empty".into());
    }
    let count = count_of(names)?;
    if let Some(c) = classes
        && c != count
    {
        return invalid(format!(
            "classes = {c}, but class_names has {count} names ({})",
            list(names)
        ));
    }
    let mut index = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        if index.insert(n.as_str(), i as u32).is_some() {
            return invalid(format!("class_names holds {n:?} twice"));
        }
    }
    let mut maps = Vec::with_capacity(tables.len());
    for t in tables {
        let mut map = vec![0; t.labels.len()];
        let mut unknown: Option<(&str, u64)> = None;
        for (text, seen) in &t.labels {
            match index.get(text.as_str()) {
                Some(&class) => map[seen.id as usize] = class,
                None if unknown.is_none_or(|(_, line)| seen.line < line) => {
                    unknown = Some((text, seen.line));
                }
                None => {}
            }
        }
        if let Some((text, line)) = unknown {
            return Err(Error::new(
                ErrorKind::LabelOutOfRange,
                Some(t.path.clone()),
                format!(
                    "{}: label {:?} is not one of the {count} class names ({})",
                    t.label_at(line),
                    shown(text),
                    list(names)
                ),
            ));
        }
        maps.push(map);
    }
    Ok(Classes {
        maps,
        count,
        names: Some(names.to_vec()),
    })
}

fn count_of(names: &[String]) -> Result<u32, Error> {
    u32::try_from(names.len()).map_err(|_| {
        Error::new(
            ErrorKind::InvalidConfig,
            None,
            format!("{} classes: more than 2^32", names.len()),
        )
    })
}

/// `"a", "b", "c"`, or the first 10 and how many in all.
fn list(names: &[String]) -> String {
    let shown: Vec<String> = names
        .iter()
        .take(10)
        .map(|n| format!("{:?}", shown(n)))
        .collect();
    match names.len() {
        0..=10 => shown.join(", "),
        n => format!("{}, ... ({n} in all)", shown.join(", ")),
    }
}
