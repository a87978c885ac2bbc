//! Train, resume and predict with a regression model of your own through ditto's `Trainer`.
//!
//! ```text
//! ditto-example-regression train OUT [--stop-at STEP]   # prints the fingerprint
//! ditto-example-regression resume OUT                   # continues, same fingerprint
//! ditto-example-regression predict CHECKPOINT           # loads the weights into a new model
//! ditto-example-regression sweep OUT                    # init x data-order seeds x 2 lrs
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use burn::backend::NdArray;
use burn::tensor::{Tensor, TensorData};
use ditto::Ditto;
use ditto::train::sweep::{Axis, CellRun, Sweep};
use ditto::train::{TrainModel, Trainer, load_params_from};
use ditto_example_regression::{Huber, INPUTS, Net, config, data, prediction_hash};

const LOSS: Huber = Huber { delta: 0.5 };

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let device = Default::default();
    let data = data(0)?;
    match args {
        [cmd, out, rest @ ..] if cmd == "train" => {
            let mut trainer = Trainer::new(config(0))?
                .objective(LOSS)
                .out(PathBuf::from(out));
            if let [flag, step] = rest
                && flag == "--stop-at"
            {
                trainer = trainer.stop_at(step.parse()?);
            }
            let trained = trainer.fit::<NdArray, _>(Net::new(32, &device), &data, &device)?;
            // The trained model back, without autodiff, for inference right away.
            let model: Net<Ditto<NdArray>> = trained.valid();
            let x = Tensor::from_data(
                TensorData::new(vec![0.5f32, -0.5, 0.25, 1.0], [1, INPUTS]),
                &device,
            );
            let y: Vec<f32> = model.forward(x).into_data().to_vec()?;
            println!(
                "prediction at [0.5, -0.5, 0.25, 1.0]: {} (true 1.375)",
                y[0]
            );
            // The test split is evaluated once, when training ends: not for `--stop-at`.
            match trained.summary.test_metrics.get("mae") {
                Some(mae) => println!("test mae: {mae:.4}"),
                None => println!("test mae: not evaluated (the run stopped before its end)"),
            }
            println!("predictions: {}", prediction_hash(&model, &data, &device));
            println!("fingerprint: {}", trained.summary.fingerprint);
        }
        [cmd, out] if cmd == "resume" => {
            let trained = Trainer::resume(out)?.objective(LOSS).fit::<NdArray, _>(
                Net::new(32, &device),
                &data,
                &device,
            )?;
            println!("fingerprint: {}", trained.summary.fingerprint);
        }
        [cmd, checkpoint] if cmd == "predict" => {
            // A fresh model on the plain backend (no decorator, no autodiff): the weights are
            // loaded by parameter path and the predictions come out bit for bit as trained.
            let model = load_params_from(Net::<NdArray>::new(32, &device), checkpoint.as_ref())?;
            println!("predictions: {}", prediction_hash(&model, &data, &device));
        }
        [cmd, out] if cmd == "sweep" => sweep(out, &data)?,
        _ => {
            return Err(
                "usage: train OUT [--stop-at STEP] | resume OUT | predict CHECKPOINT | sweep OUT"
                    .into(),
            );
        }
    }
    Ok(())
}

/// A sensitivity analysis of this model: 3 init seeds x 3 data-order seeds x 2 learning
/// rates (18 runs, each in this process; a rerun reuses the finished ones), reported with
/// each metric's mean, spread and 95% interval per learning rate and how much of the spread
/// each axis explains.
fn sweep(out: &str, data: &ditto::train::TrainData) -> Result<(), Box<dyn std::error::Error>> {
    let mut base = config(0);
    base.checkpoint_every = 0;
    let outcome = Sweep::new(base, out)
        .title("regression example (Net 4-32-1, Huber loss)")
        .axis(Axis::field("optimizer.lr", [0.001, 0.01]))
        .axis(Axis::InitSeed(vec![0, 1, 2]))
        .axis(Axis::DataOrderSeed(vec![0, 1, 2]))
        .run(|cell: &CellRun<'_>| {
            let device = Default::default();
            let trained = Trainer::new(cell.config.clone())?
                .objective(LOSS)
                .out(cell.dir)
                .fit::<NdArray, _>(Net::new(32, &device), data, &device)?;
            Ok(trained.summary)
        })?;
    let report = &outcome.report;
    println!(
        "sweep: {} cells ({} reused), {} failed",
        report.cells,
        outcome.reused,
        report.failed.len()
    );
    for s in &report.stats {
        if let Some(m) = s.metrics.get("mae") {
            let [lo, hi] = m.ci95.unwrap_or([f64::NAN; 2]);
            println!(
                "lr {}: test mae {:.4} ± {:.4} over {} runs, 95% CI [{lo:.4}, {hi:.4}]",
                s.setting["optimizer.lr"], m.mean, m.std, m.n
            );
        }
    }
    for d in report.decompositions.iter().filter(|d| d.metric == "mae") {
        if let Some(r) = &d.result {
            let shares: Vec<String> = r
                .effects
                .iter()
                .chain([&r.residual])
                .map(|e| format!("{} {:.1}%", e.factor, 100.0 * e.share))
                .collect();
            let within = d
                .within
                .get("optimizer.lr")
                .map_or(String::new(), |lr| format!(" at lr {lr}"));
            println!("mae spread{within}: {}", shares.join(", "));
        }
    }
    println!("report: {out}/report.md");
    if !report.failed.is_empty() {
        return Err(format!("{} runs failed (see the report)", report.failed.len()).into());
    }
    Ok(())
}
