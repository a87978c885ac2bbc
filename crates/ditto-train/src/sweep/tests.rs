use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::backend::NdArray;

use super::*;
use crate::config::{BackendKind, Mode, ParallelConfig};
use crate::env_check::{EnvFacts, Shown};
use crate::model_record::ModelOrigin;
use crate::{TrainData, Trainer};

/// A synthetic finished cell: `key` its values, `fp` its fingerprint, `loss` its metric, on a
/// machine whose CPU model is `cpu` (and matrixmultiply kernel `<cpu>-kernel`).
fn cell(id: &str, key: &[(&str, &str)], mode: Mode, fp: &str, loss: f64, cpu: &str) -> CellRecord {
    let env = EnvFacts {
        cpu_model: Some(cpu.to_owned()),
        matmul_isa: Some(Shown(format!("{cpu}-kernel"))),
        threads: Some(2),
        ..EnvFacts::default()
    };
    CellRecord {
        id: id.to_owned(),
        key: key
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        machine: "here".into(),
        dir: PathBuf::from("cells").join(id),
        mode,
        origin: Some(ModelOrigin::Config),
        steps: 10,
        fingerprint: fp.to_owned(),
        metrics: [("loss".to_owned(), loss)].into_iter().collect(),
        step_ms: Some(1.0),
        env,
        backend: BackendKind::Ndarray,
        workers: 0,
        parallel: ParallelConfig::default(),
    }
}

fn results(axes: Vec<AxisInfo>, cells: Vec<CellRecord>) -> SweepResults {
    SweepResults {
        format: RESULTS_FORMAT.into(),
        version: RESULTS_VERSION,
        title: "synthetic".into(),
        axes,
        machines: Vec::new(),
        cells,
        failed: Vec::new(),
    }
}

fn axis(name: &str, kind: AxisKind, values: &[&str]) -> AxisInfo {
    AxisInfo {
        name: name.into(),
        kind,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

/// The hand-computed grid of `anova.rs` as a sweep's results: init seeds a1/a2 x data-order
/// seeds b1/b2/b3 with losses 1 2 6 / 3 5 7. The report names its methods, gives the setting's
/// mean, spread and t-interval over the six runs, and splits the spread as computed by hand
/// (init 6, data order 21, residual 1 of 28).
#[test]
fn the_report_gives_intervals_and_the_hand_computed_split() {
    let axes = vec![
        axis("init_seed", AxisKind::InitSeed, &["1", "2"]),
        axis("data_order_seed", AxisKind::DataOrderSeed, &["1", "2", "3"]),
    ];
    let loss = [[1.0, 2.0, 6.0], [3.0, 5.0, 7.0]];
    let mut cells = Vec::new();
    for (a, row) in loss.iter().enumerate() {
        for (b, v) in row.iter().enumerate() {
            let (a, b) = ((a + 1).to_string(), (b + 1).to_string());
            let id = format!("init{a}-order{b}");
            let key = [("init_seed", a.as_str()), ("data_order_seed", b.as_str())];
            cells.push(cell(&id, &key, Mode::RunToRun, &id, *v, "cpu"));
        }
    }
    let r = SweepReport::of(&results(axes, cells), Path::new("/nonexistent"));
    assert!(r.stats_method.contains("t-interval"));
    assert!(r.anova_method.contains("ANOVA main effects"));
    assert_eq!(r.stats.len(), 1);
    let s = &r.stats[0].metrics["loss"];
    assert_eq!((s.n, s.mean), (6, 4.0));
    assert!((s.std - (28.0f64 / 5.0).sqrt()).abs() < 1e-12);
    let half = t_quantile_975(5) * s.std / 6f64.sqrt();
    let [lo, hi] = s.ci95.unwrap();
    assert!((lo - (4.0 - half)).abs() < 1e-12 && (hi - (4.0 + half)).abs() < 1e-12);
    let d = r.decompositions[0].result.as_ref().unwrap();
    let ss: Vec<(&str, f64)> = d
        .effects
        .iter()
        .map(|e| (e.factor.as_str(), e.ss))
        .collect();
    assert_eq!(ss, [("init_seed", 6.0), ("data_order_seed", 21.0)]);
    assert_eq!((d.residual.ss, d.total_ss), (1.0, 28.0));
    let md = r.markdown();
    assert!(
        md.contains("| init_seed | 2 | 1 |") && md.contains("75.0%"),
        "{md}"
    );
    // Seeds only: nothing to judge.
    assert_eq!(
        r.verdicts["run-to-run"].word(),
        "no environment factor varied"
    );

    // One run missing: no decomposition, and the report says why.
    let mut partial = results(
        vec![
            axis("init_seed", AxisKind::InitSeed, &["1", "2"]),
            axis("data_order_seed", AxisKind::DataOrderSeed, &["1", "2", "3"]),
        ],
        Vec::new(),
    );
    for (id, a, b, v) in [
        ("x", "1", "1", 1.0),
        ("y", "1", "2", 2.0),
        ("z", "2", "1", 3.0),
    ] {
        let key = [("init_seed", a), ("data_order_seed", b)];
        partial
            .cells
            .push(cell(id, &key, Mode::RunToRun, id, v, "cpu"));
    }
    let r = SweepReport::of(&partial, Path::new("/x"));
    let note = r.decompositions[0].note.as_deref().unwrap();
    assert!(note.contains("not a full grid: 3 runs for the 4"), "{note}");
}

/// Two machines whose matrixmultiply kernels differ: canonical mode promises the same bits
/// (identical: kept; one edited to differ: a broken promise), run-to-run promises nothing
/// across CPU kernels (different: expected). The merge of the two results files is judged
/// so, cell by cell.
#[test]
fn a_merge_judges_each_mode_against_its_promise() {
    let t = tempfile::tempdir().unwrap();
    let axes = vec![
        axis("mode", AxisKind::Mode, &["run-to-run", "canonical"]),
        axis("seed", AxisKind::Seed, &["0", "1"]),
    ];
    let sweep = |cpu: &str| {
        let mut cells = Vec::new();
        for mode in [Mode::RunToRun, Mode::Canonical] {
            for seed in ["0", "1"] {
                let id = format!("{mode}-s{seed}");
                // Run-to-run bits depend on the CPU's kernel, canonical bits do not.
                let fp = match mode {
                    Mode::RunToRun => format!("{cpu}-{id}"),
                    _ => id.clone(),
                };
                let key = [("mode", mode.name()), ("seed", seed)];
                cells.push(cell(&id, &key, mode, &fp, 0.5, cpu));
            }
        }
        results(axes.clone(), cells)
    };
    let (a, b) = (t.path().join("avx2"), t.path().join("sse2"));
    for (dir, cpu) in [(&a, "avx2"), (&b, "sse2")] {
        std::fs::create_dir_all(dir).unwrap();
        sweep(cpu).write(dir).unwrap();
    }
    let merged = merge(&[a.clone(), b.clone()]).unwrap();
    assert_eq!(merged.cells.len(), 8);
    assert_eq!(merged.axis("machine").unwrap().values, ["avx2", "sse2"]);
    assert!(merged.cells.iter().any(|c| c.id == "sse2/canonical-s1"));
    let r = SweepReport::of(&merged, t.path());
    let (canon, r2r) = (&r.verdicts["canonical"], &r.verdicts["run-to-run"]);
    assert_eq!((canon.pairs, canon.identical, canon.broken), (2, 2, 0));
    assert_eq!((r2r.pairs, r2r.expected, r2r.broken), (2, 2, 0));
    assert_eq!(r.broken_promises(), 0);
    let why = &r.drift["run-to-run"]["machine"][0].values[0].why;
    assert!(why.contains("matmul SIMD level"), "{why}");

    // One canonical cell edited to differ on the second machine: a broken promise.
    let mut edited = SweepResults::read(&b).unwrap();
    let c = edited
        .cells
        .iter_mut()
        .find(|c| c.id == "canonical-s1")
        .unwrap();
    c.fingerprint = "edited".into();
    edited.write(&b).unwrap();
    let r = SweepReport::of(&merge(&[a.clone(), b.clone()]).unwrap(), t.path());
    assert_eq!(r.verdicts["canonical"].broken, 1);
    assert_eq!(r.broken_promises(), 1);
    assert_eq!(r.verdicts["canonical"].word(), "BROKEN PROMISE");
    let pair = r
        .differences
        .iter()
        .find(|p| p.verdict == Verdict::Broken)
        .unwrap();
    assert_eq!(
        (pair.a.as_str(), pair.b.as_str()),
        ("avx2/canonical-s1", "sse2/canonical-s1")
    );
    assert!(r.markdown().contains("**BROKEN PROMISE**"));

    // Merges of other grids, of merges and of one sweep are refused by name.
    assert!(merge(std::slice::from_ref(&a)).is_err());
    let mut other = sweep("x");
    other.axes.pop();
    let c_dir = t.path().join("other");
    std::fs::create_dir_all(&c_dir).unwrap();
    other.write(&c_dir).unwrap();
    let e = merge(&[a.clone(), c_dir]).unwrap_err().to_string();
    assert!(e.contains("axes"), "{e}");
    let m_dir = t.path().join("merged");
    std::fs::create_dir_all(&m_dir).unwrap();
    merge(&[a.clone(), b.clone()])
        .unwrap()
        .write(&m_dir)
        .unwrap();
    let e = merge(&[a, m_dir]).unwrap_err().to_string();
    assert!(e.contains("already a merge"), "{e}");
}

/// A factory training the bundled digits MLP for a few steps, in this process.
fn train(cell: &CellRun<'_>) -> FactoryResult {
    let data = TrainData::bundled(cell.config)?;
    Ok(Trainer::new(cell.config.clone())?
        .out(cell.dir)
        .fit_bundled::<NdArray>(&data, &Default::default())?)
}

fn base() -> TrainConfig {
    TrainConfig {
        max_steps: Some(4),
        checkpoint_every: 0,
        ..TrainConfig::default()
    }
}

/// In-process runs over two seed sources: every cell runs once, a rerun reuses them all, a
/// cell whose stamp no longer matches runs again; the report decomposes the spread over
/// both sources.
#[test]
fn a_sweep_of_seed_sources_runs_reuses_and_decomposes() {
    let t = tempfile::tempdir().unwrap();
    let sweep = Sweep::new(base(), t.path().join("s"))
        .axis(Axis::InitSeed(vec![0, 1]))
        .axis(Axis::DataOrderSeed(vec![0, 1]));
    let first = sweep.run(train).unwrap();
    assert_eq!((first.ran, first.reused), (4, 0));
    assert!(
        first.results.failed.is_empty(),
        "{:?}",
        first.results.failed
    );
    let fps: Vec<&str> = first
        .results
        .cells
        .iter()
        .map(|c| c.fingerprint.as_str())
        .collect();
    for (i, f) in fps.iter().enumerate() {
        assert!(
            !fps[..i].contains(f),
            "every source moves the bits: {fps:?}"
        );
    }
    let d = first
        .report
        .decompositions
        .iter()
        .find(|d| d.metric == "accuracy")
        .unwrap();
    let effects: Vec<&str> = d
        .result
        .as_ref()
        .unwrap()
        .effects
        .iter()
        .map(|e| e.factor.as_str())
        .collect();
    assert_eq!(effects, ["init_seed", "data_order_seed"]);
    assert!(t.path().join("s/results.json").is_file());
    assert!(t.path().join("s/report.md").is_file());
    // Read back (floats through JSON text may move in the last bit, so ids and bits only).
    let read = SweepResults::read(&t.path().join("s")).unwrap();
    let ids = |r: &SweepResults| -> Vec<(String, String, BTreeMap<String, String>)> {
        r.cells
            .iter()
            .map(|c| (c.id.clone(), c.fingerprint.clone(), c.key.clone()))
            .collect()
    };
    assert_eq!(ids(&read), ids(&first.results));
    assert_eq!(read.axes, first.results.axes);

    let again = sweep.run(train).unwrap();
    assert_eq!((again.ran, again.reused), (0, 4));
    assert_eq!(again.results.cells, first.results.cells);
    std::fs::write(t.path().join("s/cells/init1-order0.cell.json"), "{}").unwrap();
    let third = sweep.run(train).unwrap();
    assert_eq!((third.ran, third.reused), (1, 3));
    // The rerun cell has the same bits (its step times are its own).
    assert_eq!(ids(&third.results), ids(&first.results));
}

/// Peers in run-to-run mode: a cut batch runs the canonical kernels, so `2 x 1` may differ
/// from `1 x 1` (expected, not promised); in canonical mode every cut is promised the same
/// bits, and gets them.
#[test]
fn peers_are_expected_to_differ_in_run_to_run_and_promised_in_canonical() {
    let t = tempfile::tempdir().unwrap();
    let out = Sweep::new(base(), t.path())
        .axis(Axis::Mode(vec![Mode::RunToRun, Mode::Canonical]))
        .axis(Axis::Peers(vec![1, 2]))
        .run(train)
        .unwrap();
    let (r2r, canon) = (
        &out.report.verdicts["run-to-run"],
        &out.report.verdicts["canonical"],
    );
    assert_eq!((r2r.pairs, r2r.expected, r2r.broken), (1, 1, 0), "{r2r:?}");
    assert_eq!((canon.pairs, canon.identical), (1, 1), "{canon:?}");
    assert_eq!(out.report.broken_promises(), 0);
    let cell = &out.report.drift["run-to-run"]["peers"][0].values[0];
    assert!(
        !cell.promised && cell.why.contains("peers x accumulate"),
        "{cell:?}"
    );
}

/// A factory that trains one cell with another learning rate than its config says, as a
/// broken kernel would change its bits: workers are promised not to matter, so the report
/// names a broken promise.
#[test]
fn a_perturbed_cell_is_a_broken_promise() {
    let t = tempfile::tempdir().unwrap();
    let out = Sweep::new(base(), t.path())
        .axis(Axis::Workers(vec![0, 2]))
        .run(|cell: &CellRun<'_>| {
            let mut c = cell.config.clone();
            if c.workers == 2 {
                c.optimizer = crate::config::OptimizerConfig::Adam(crate::config::AdamConfig {
                    lr: c.optimizer.lr() * 2.0,
                    weight_decay: 0.0,
                });
            }
            let data = TrainData::bundled(&c)?;
            Ok(Trainer::new(c)?
                .out(cell.dir)
                .fit_bundled::<NdArray>(&data, &Default::default())?)
        })
        .unwrap();
    let v = &out.report.verdicts["run-to-run"];
    assert_eq!((v.pairs, v.broken), (1, 1), "{v:?}");
    let p = &out.report.differences[0];
    assert_eq!(p.verdict, Verdict::Broken);
    assert!(p.why.contains("loader workers"), "{p:?}");
    assert!(p.max_ulp.is_some_and(|u| u > 0), "{p:?}");
}

/// Threads and SIMD levels are process settings: an in-process factory cannot honour them,
/// and the cell fails with a message saying so; a factory error fails its cell only; a
/// factory that panics fails its cell only.
#[test]
fn cells_that_cannot_be_honoured_fail_with_the_reason() {
    let t = tempfile::tempdir().unwrap();
    let out = Sweep::new(base(), t.path().join("threads"))
        .axis(Axis::Threads(vec![1000]))
        .run(train)
        .unwrap();
    assert_eq!(out.results.failed.len(), 1);
    assert!(
        out.results.failed[0]
            .error
            .contains("threads are fixed when a process starts"),
        "{:?}",
        out.results.failed
    );
    let out = Sweep::new(base(), t.path().join("errors"))
        .axis(Axis::Seed(vec![0, 1, 2]))
        .run(|cell: &CellRun<'_>| match cell.config.seed {
            1 => Err("no data for seed 1".into()),
            2 => panic!("seed 2 panics"),
            _ => train(cell),
        })
        .unwrap();
    let errors: BTreeMap<&str, &str> = out
        .results
        .failed
        .iter()
        .map(|f| (f.id.as_str(), f.error.as_str()))
        .collect();
    assert_eq!(errors["s1"], "no data for seed 1");
    assert!(
        errors["s2"].contains("panicked: seed 2 panics"),
        "{errors:?}"
    );
    assert_eq!(out.results.cells.len(), 1);
    assert!(out.report.markdown().contains("**Failed cell** `s1`"));
    let e = Sweep::new(base(), t.path().join("j"))
        .jobs(0)
        .run(train)
        .unwrap_err();
    assert!(e.to_string().contains("jobs"), "{e}");
}
