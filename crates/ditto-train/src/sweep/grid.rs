//! Helpers over a sweep's grid of cells: an axis's value in a cell, the axes of some roles,
//! distinct values in order, medians.

use crate::sweep::axis::{AxisInfo, Role};
use crate::sweep::results::CellRecord;

/// The value of `axis` in cell `c` (empty if the cell does not name it).
pub(crate) fn value(c: &CellRecord, axis: &str) -> String {
    c.key.get(axis).cloned().unwrap_or_default()
}

/// The names of the axes whose role is one of `want`.
pub(crate) fn names_with<'a>(axes: &'a [AxisInfo], want: &[Role]) -> Vec<&'a str> {
    axes.iter()
        .filter(|a| want.contains(&a.kind.role()))
        .map(|a| a.name.as_str())
        .collect()
}

/// The distinct items of `items`, in the order they first appear.
pub(crate) fn first_seen<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = Vec::new();
    for x in items {
        if !v.contains(&x) {
            v.push(x);
        }
    }
    v
}

/// The median (`None` for no values).
pub(crate) fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}
