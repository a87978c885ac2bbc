//! Train, resume and predict with a regression model of your own through ditto's `Trainer`.
//!
//! ```text
//! ditto-example-regression train OUT [--stop-at STEP]   # prints the fingerprint
//! ditto-example-regression resume OUT                   # continues, same fingerprint
//! ditto-example-regression predict CHECKPOINT           # loads the weights into a new model
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use burn::backend::NdArray;
use burn::tensor::{Tensor, TensorData};
use ditto::Ditto;
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
        _ => {
            return Err(
                "usage: train OUT [--stop-at STEP] | resume OUT | predict CHECKPOINT".into(),
            );
        }
    }
    Ok(())
}
