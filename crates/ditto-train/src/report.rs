//! `report.md` and `curves.svg`: a run's results, written from its run directory's files.

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use crate::config::{DataSource, TrainConfig};
use crate::error::{Error, ErrorKind};
use crate::manifest::Program;
use crate::model_record::{ModelOrigin, ModelRecord};
use crate::records::{MetricsLine, RunSummary, Split, TraceLine, parse_lines};

/// Class: portable (a function of the run directory's files). Writes `out/report.md` (config,
/// final metrics, confusion matrix, provenance) and `out/curves.svg` (training loss per step
/// and the test metric per epoch) from `config.toml`, `summary.json`, `trace.jsonl`,
/// `metrics.jsonl` and `manifest.json`. The trainer calls it at the end of every run; it can
/// be re-run on any finished run directory.
pub fn write_report(out: &Path) -> Result<(), Error> {
    let read = |name: &str| {
        std::fs::read_to_string(out.join(name))
            .map_err(|e| Error::io(&out.join(name), "reading", e))
    };
    let config = TrainConfig::from_recorded_toml(&read("config.toml")?)?;
    let summary: RunSummary = serde_json::from_str(&read("summary.json")?).map_err(|e| {
        Error::with_source(
            ErrorKind::Invalid,
            Some(&out.join("summary.json")),
            "parsing",
            e,
        )
    })?;
    let manifest: serde_json::Value =
        serde_json::from_str(&read("manifest.json")?).map_err(|e| {
            Error::with_source(
                ErrorKind::Invalid,
                Some(&out.join("manifest.json")),
                "parsing",
                e,
            )
        })?;
    let losses: Vec<(f64, f64)> = parse_lines::<TraceLine>(&read("trace.jsonl")?, "trace.jsonl")?
        .iter()
        .map(|t| (t.step as f64, f64::from(f32::from_bits(t.loss_bits))))
        .collect();
    let metrics: Vec<MetricsLine> = parse_lines(&read("metrics.jsonl")?, "metrics.jsonl")?;
    let metric_name = if summary.accuracy().is_some() {
        "accuracy"
    } else {
        "loss"
    };
    // The validation split's evaluations when the run has them, else the test split's (one
    // at the end; older runs evaluated it every epoch).
    let has_valid = metrics
        .iter()
        .any(|m| matches!(m, MetricsLine::Eval(e) if e.split == Split::Valid));
    let split = if has_valid { Split::Valid } else { Split::Test };
    let split_name = if has_valid { "validation" } else { "test" };
    let curve: Vec<(f64, f64)> = metrics
        .iter()
        .filter_map(|m| match m {
            MetricsLine::Eval(e) if e.split == split => {
                let v = match metric_name {
                    "accuracy" => e.metrics.get("accuracy").copied().or(e.test_accuracy)?,
                    _ => f64::from(e.loss),
                };
                Some((e.step as f64, v))
            }
            MetricsLine::Eval(_) | MetricsLine::Train(_) => None,
        })
        .collect();
    let last_train = metrics
        .iter()
        .filter_map(|m| match m {
            MetricsLine::Train(t) => Some(t),
            MetricsLine::Eval(_) => None,
        })
        .next_back();
    let elapsed = last_train.map(|t| t.elapsed_s);
    let times = last_train.and_then(|t| t.times);

    let svg = out.join("curves.svg");
    plot(&svg, &losses, &curve, metric_name, split_name).map_err(|e| {
        Error::new(
            ErrorKind::Invalid,
            Some(&svg),
            format!("drawing the curves: {e}"),
        )
    })?;

    let mut md = String::new();
    let c = &config;
    let _ = writeln!(md, "# ditto run report\n");
    let _ = writeln!(
        md,
        "Data `{}`, model `{}`, optimiser `{}` (lr {}), seed {}, mode `{}`, backend `{}`.\n",
        c.data.source.describe(),
        match &c.model {
            crate::config::ModelConfig::Custom(m) => m.name.as_deref().unwrap_or("custom"),
            other => other.kind(),
        },
        c.optimizer.kind(),
        c.optimizer.lr(),
        c.seed,
        c.mode,
        c.backend
    );
    let _ = writeln!(md, "| metric | value |\n|---|---|");
    let _ = writeln!(md, "| steps | {} |", summary.steps);
    for (name, v) in &summary.test_metrics {
        let _ = writeln!(md, "| test {name} | {v:.4} |");
    }
    match summary.test_loss {
        Some(l) => {
            let _ = writeln!(md, "| test loss | {l:.5} |");
        }
        None => {
            let _ = writeln!(
                md,
                "| test split | not evaluated: it is evaluated once, when training ends |"
            );
        }
    }
    if let Some(b) = summary.best {
        let _ = writeln!(
            md,
            "| best validation {} | {:.5} at step {} |",
            c.validation.metric, b.value, b.step
        );
    }
    if let Some(s) = summary.stopped_early_at {
        let _ = writeln!(md, "| early stopping | ended the run at step {s} |");
    }
    if let Some(s) = elapsed {
        let _ = writeln!(md, "| training time (last session) | {s:.2} s |");
    }
    if let Some(t) = times {
        let _ = writeln!(md, "| where it went | {} |", t.describe());
    }
    let _ = writeln!(md, "| fingerprint | `{}` |\n", summary.fingerprint);
    let _ = writeln!(
        md,
        "![training loss and {split_name} {metric_name}](curves.svg)\n"
    );
    if let Some(confusion) = &summary.confusion {
        let _ = writeln!(
            md,
            "## Confusion matrix (rows: true class, columns: predicted)\n"
        );
        let k = confusion.len();
        let _ = writeln!(
            md,
            "| |{}|\n|---|{}",
            (0..k)
                .map(|j| format!(" {j} "))
                .collect::<Vec<_>>()
                .join("|"),
            "---|".repeat(k)
        );
        for (i, row) in confusion.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(|n| format!(" {n} ")).collect();
            let _ = writeln!(md, "| **{i}** |{}|", cells.join("|"));
        }
    }
    let _ = writeln!(md, "\n## Provenance\n");
    for key in [
        "ditto_version",
        "burn_version",
        "rustc_version",
        "target",
        "os",
        "backend",
        "device",
        "threads",
        "cargo_lock_blake3",
        "cargo_lock_path",
        "git_commit",
        "run_id",
    ] {
        if let Some(v) = manifest.get(key).filter(|v| !v.is_null()) {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            let _ = writeln!(md, "- {key}: `{v}`");
        }
    }
    let model = read_model(out)?;
    model_section(&mut md, model.as_ref());
    data_section(&mut md, &config);
    reproduce_section(&mut md, &config, model.as_ref(), &manifest);
    crate::atomic::write_atomic(&out.join("report.md"), md.as_bytes())
}

/// `model.json`, absent in runs written before it existed.
fn read_model(out: &Path) -> Result<Option<ModelRecord>, Error> {
    let path = out.join("model.json");
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| Error::with_source(ErrorKind::Invalid, Some(&path), "parsing", e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, "reading", e)),
    }
}

/// Rows of the parameter table shown in the report (all are in `model.json`).
const TABLE_ROWS: usize = 40;

fn model_section(md: &mut String, model: Option<&ModelRecord>) {
    let Some(m) = model else { return };
    let _ = writeln!(md, "\n## Model\n");
    let origin = match m.origin {
        ModelOrigin::Config => "built by ditto from the config's `[model]`",
        ModelOrigin::Program => "built by the program that trained it (see Reproduce)",
    };
    let _ = writeln!(
        md,
        "`{}`, {origin}: {} parameter tensors, {} values (from the module itself; its \
         description and every parameter are in `model.json`).\n",
        m.type_name, m.tensors, m.values
    );
    let _ = writeln!(
        md,
        "| parameter | module | shape | dtype | values | BLAKE3 at init |\n|---|---|---|---|---|---|"
    );
    for p in m.parameters.iter().take(TABLE_ROWS) {
        let _ = writeln!(
            md,
            "| `{}` | {} | {:?} | {} | {} | `{}` |",
            p.path,
            p.module,
            p.shape,
            p.dtype,
            p.count,
            p.init_blake3.get(..16).unwrap_or(&p.init_blake3)
        );
    }
    if m.parameters.len() > TABLE_ROWS {
        let _ = writeln!(
            md,
            "| ... {} more in `model.json` | | | | | |",
            m.parameters.len() - TABLE_ROWS
        );
    }
}

fn data_section(md: &mut String, c: &TrainConfig) {
    let _ = writeln!(md, "\n## Data\n");
    match &c.data.source {
        DataSource::Bundled(b) => {
            let _ = writeln!(
                md,
                "Bundled `{}` (compiled in; loading checks each file's SHA-256):\n",
                b.name()
            );
            for (file, sha) in ditto_data::bundled::file_hashes(b.name()) {
                let _ = writeln!(md, "- `{file}`: sha256 `{sha}` (decompressed)");
            }
        }
        DataSource::InMemory { name, content } => {
            let hash = content.map_or("not recorded".to_owned(), |c| format!("`{c}`"));
            let _ = writeln!(
                md,
                "In-memory data `{name}` handed to the trainer by its program: content sha256 \
                 {hash}."
            );
        }
        source => {
            let _ = writeln!(
                md,
                "`{}`: resume and replay refuse a file whose bytes differ.\n",
                source.describe()
            );
            for (role, f) in source.files() {
                let pin = f.pin.map_or("not pinned".to_owned(), |p| p.to_string());
                let _ = writeln!(md, "- {role}: `{}`: {pin}", f.path.display());
            }
        }
    }
}

fn reproduce_section(
    md: &mut String,
    c: &TrainConfig,
    model: Option<&ModelRecord>,
    manifest: &serde_json::Value,
) {
    let _ = writeln!(md, "\n## Reproduce\n");
    let from_program = match model {
        Some(m) => m.origin == ModelOrigin::Program,
        None => c.model.kind() == "custom",
    };
    if !from_program {
        let _ = writeln!(
            md,
            "`ditto replay <this directory>` re-trains it from `config.toml` and checks every \
             step; or `ditto train --config config.toml --out OTHER`, then `ditto verify` this \
             directory against `OTHER`."
        );
        return;
    }
    let program: Option<Program> = manifest
        .get("program")
        .and_then(|p| serde_json::from_value(p.clone()).ok());
    let lock = manifest
        .get("cargo_lock_blake3")
        .and_then(|v| v.as_str())
        .unwrap_or("unavailable");
    let lock_path = manifest
        .get("cargo_lock_path")
        .and_then(|v| v.as_str())
        .map_or(String::new(), |p| format!(" (`{p}`)"));
    match program {
        Some(p) => {
            let hash = p
                .exe_blake3
                .as_deref()
                .map_or("not read".to_owned(), |h| format!("`{h}`"));
            let _ = writeln!(
                md,
                "This model was built and trained by a program: `config.toml` alone does not \
                 build it (its `[model]` is `custom`). Run that program again:\n\n\
                 ```sh\n{}\n```\n\n- executable: `{}`, BLAKE3 {hash}\n- working directory: \
                 `{}`\n- built with the Cargo.lock whose BLAKE3 is `{lock}`{lock_path}\n\n\
                 Then `ditto verify` this directory against the new run's directory.",
                p.command_line(),
                p.exe,
                p.cwd.as_deref().unwrap_or("unknown"),
            );
        }
        None => {
            let _ = writeln!(
                md,
                "This model was built and trained by a program (not recorded: a run from \
                 before ditto recorded programs); run it again, then `ditto verify` this \
                 directory against the new run's directory."
            );
        }
    }
}

fn plot(
    path: &Path,
    losses: &[(f64, f64)],
    metric: &[(f64, f64)],
    metric_name: &str,
    split_name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (960, 360)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(480);
    let max_step = losses.iter().map(|p| p.0).fold(1.0, f64::max);
    let max_loss = losses
        .iter()
        .map(|p| p.1)
        .filter(|l| l.is_finite())
        .fold(0.0, f64::max)
        .max(1e-3);
    let mut chart = ChartBuilder::on(&left)
        .caption("training loss", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(45)
        .build_cartesian_2d(0.0..max_step, 0.0..max_loss * 1.05)?;
    chart.configure_mesh().x_desc("step").draw()?;
    chart.draw_series(LineSeries::new(
        losses.iter().copied().filter(|p| p.1.is_finite()),
        &BLUE,
    ))?;
    let top = metric
        .iter()
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .fold(if metric_name == "accuracy" { 1.0 } else { 1e-3 }, f64::max);
    let caption = format!("{split_name} {metric_name}");
    let mut chart = ChartBuilder::on(&right)
        .caption(caption, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(45)
        .build_cartesian_2d(0.0..max_step, 0.0..top * 1.05)?;
    chart.configure_mesh().x_desc("step").draw()?;
    let finite = || metric.iter().copied().filter(|p| p.1.is_finite());
    chart.draw_series(LineSeries::new(finite(), &RED))?;
    chart.draw_series(finite().map(|p| Circle::new(p, 3, RED.filled())))?;
    root.present()?;
    Ok(())
}
