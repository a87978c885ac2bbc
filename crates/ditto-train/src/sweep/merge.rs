//! Sweeps made on several machines joined into one: the machine becomes an environment
//! axis, so a cell that differs across machines is judged against its mode's promise like
//! any other environment difference (canonical: a broken promise; run-to-run: expected).

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};
use crate::sweep::axis::{AxisInfo, AxisKind};
use crate::sweep::results::{
    FailedCell, MachineInfo, RESULTS_FORMAT, RESULTS_VERSION, SweepResults,
};

/// Class: not applicable (a join of records). The results of the sweeps in `dirs` (each a
/// sweep directory with `results.json`, made with the same axes, typically on different
/// machines or builds) as one: each input's cells keep their values and gain `machine` (the
/// input directory's name, made unique), their ids become `machine/id` and their directories
/// absolute. [`crate::sweep::SweepReport::of`] then compares the cells of every machine.
///
/// Errors: fewer than two directories, a directory without results ([`ErrorKind::Io`]), a
/// results file this ditto cannot read ([`ErrorKind::Version`]), sweeps with other axes
/// than the first's, or an input that is itself a merge ([`ErrorKind::Invalid`]).
pub fn merge(dirs: &[PathBuf]) -> Result<SweepResults, Error> {
    if dirs.len() < 2 {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            "sweep merge: give two sweep directories or more",
        ));
    }
    let mut inputs = Vec::new();
    for d in dirs {
        let r = SweepResults::read(d)?;
        let abs = std::path::absolute(d).map_err(|e| Error::io(d, "resolving", e))?;
        inputs.push((abs, r));
    }
    let shape = |r: &SweepResults| -> Vec<(String, AxisKind)> {
        r.axes.iter().map(|a| (a.name.clone(), a.kind)).collect()
    };
    let first = shape(&inputs[0].1);
    for (dir, r) in &inputs {
        if r.axes.iter().any(|a| a.kind == AxisKind::Machine) {
            return Err(Error::new(
                ErrorKind::Invalid,
                Some(dir),
                "sweep merge: this is already a merge of sweeps; merge the sweeps it was made of",
            ));
        }
        if shape(r) != first {
            return Err(Error::new(
                ErrorKind::Invalid,
                Some(dir),
                format!(
                    "sweep merge: its axes {:?} are not the first sweep's {:?} ({}): merge \
                     sweeps of the same grid",
                    names(&shape(r)),
                    names(&first),
                    inputs[0].0.display()
                ),
            ));
        }
    }
    let labels = unique_labels(inputs.iter().map(|(d, _)| d.as_path()));
    let mut axes: Vec<AxisInfo> = inputs[0].1.axes.clone();
    for (_, r) in &inputs[1..] {
        for (mine, theirs) in axes.iter_mut().zip(&r.axes) {
            for v in &theirs.values {
                if !mine.values.contains(v) {
                    mine.values.push(v.clone());
                }
            }
        }
    }
    axes.push(AxisInfo {
        name: "machine".into(),
        kind: AxisKind::Machine,
        values: labels.clone(),
    });
    let mut machines = Vec::new();
    let mut cells = Vec::new();
    let mut failed = Vec::new();
    for ((dir, r), label) in inputs.iter().zip(&labels) {
        machines.push(match r.machines.first() {
            Some(m) => MachineInfo {
                label: label.clone(),
                description: m.description.clone(),
                dir: dir.display().to_string(),
            },
            None => MachineInfo {
                label: label.clone(),
                description: "(no finished cell)".into(),
                dir: dir.display().to_string(),
            },
        });
        for c in &r.cells {
            let mut c = c.clone();
            c.key.insert("machine".into(), label.clone());
            c.id = format!("{label}/{}", c.id);
            c.machine = label.clone();
            if c.dir.is_relative() {
                c.dir = dir.join(&c.dir);
            }
            cells.push(c);
        }
        failed.extend(r.failed.iter().map(|f| FailedCell {
            id: format!("{label}/{}", f.id),
            error: f.error.clone(),
        }));
    }
    Ok(SweepResults {
        format: RESULTS_FORMAT.into(),
        version: RESULTS_VERSION,
        title: format!("{} (merged: {})", inputs[0].1.title, labels.join(", ")),
        axes,
        machines,
        cells,
        failed,
    })
}

fn names(shape: &[(String, AxisKind)]) -> Vec<&str> {
    shape.iter().map(|(n, _)| n.as_str()).collect()
}

/// Each directory's name, with `-2`, `-3`, ... added where two are the same.
fn unique_labels<'a>(dirs: impl Iterator<Item = &'a Path>) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for d in dirs {
        let base = d
            .file_name()
            .map_or("sweep".to_owned(), |n| n.to_string_lossy().into_owned());
        let mut label = base.clone();
        let mut k = 2;
        while labels.contains(&label) {
            label = format!("{base}-{k}");
            k += 1;
        }
        labels.push(label);
    }
    labels
}
