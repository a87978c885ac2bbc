//! Fine-tuning with the same bits: pretrain a small network on one task, then fine-tune it
//! on another with `[init] keep` (the pretrained body starts from its trained weights),
//! `[init] frozen` (its first layer is never updated) and a new head drawn from the seed.
//!
//! Task A: the bundled digits 0-4 (5 classes). Task B: the digits 5-9 (relabelled 0-4), a
//! task the body has never seen. Both are split by the seed (stratified, 20% test).
//!
//! ```text
//! cargo run --release -p ditto-example-finetune -- OUT_DIR [--seed S] [--pretrained DIR]
//!     [--stop-at N] [--resume]
//! ```
//!
//! Writes `OUT_DIR/pretrain` (unless `--pretrained DIR` names a pretraining run to start from)
//! and `OUT_DIR/finetune`, and prints both fingerprints. `--stop-at N` stops the fine-tuning
//! after step N; `--resume` continues `OUT_DIR/finetune` from its newest checkpoint (the
//! pretrained body is loaded again; other starting weights are refused).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use burn::backend::NdArray;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::tensor::{Tensor, backend::Backend};
use ditto::data::{Dataset, InMemory};
use ditto::rng::PathPattern;
use ditto::train::{
    CustomModelConfig, InitConfig, Mode, ModelConfig, TrainConfig, TrainData, TrainModel, Trainer,
    load_params_matching,
};

/// The part of the network that is pretrained and kept.
#[derive(Module, Debug)]
struct Body<B: Backend> {
    fc1: Linear<B>,
    fc2: Linear<B>,
}

/// Class: canonical (as the trainer's mode). A body of two layers and a task's head.
#[derive(Module, Debug)]
struct Net<B: Backend> {
    body: Body<B>,
    head: Linear<B>,
    act: Relu,
}

impl<B: Backend> Net<B> {
    fn new(classes: usize, device: &B::Device) -> Self {
        Self {
            body: Body {
                fc1: LinearConfig::new(64, 64).init(device),
                fc2: LinearConfig::new(64, 32).init(device),
            },
            head: LinearConfig::new(32, classes).init(device),
            act: Relu::new(),
        }
    }
}

impl<B: Backend> TrainModel<B> for Net<B> {
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let h = self.act.forward(self.body.fc1.forward(x));
        let h = self.act.forward(self.body.fc2.forward(h));
        self.head.forward(h)
    }
}

/// Any error, as the command line prints it.
type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

/// The bundled digits whose labels are in `from..from + 5`, relabelled `0..5`.
fn digits(from: u32) -> Result<InMemory> {
    let all = ditto::data::bundled::embedded_digits()?;
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    for i in 0..all.len() {
        let Some(s) = all.get(i) else { break };
        if (from..from + 5).contains(&s.label) {
            features.extend(s.features);
            labels.push(s.label - from);
        }
    }
    Ok(InMemory::new(all.dims().to_vec(), features, labels, 5)?)
}

fn config(seed: u64, name: &str, epochs: usize, init: InitConfig) -> TrainConfig {
    TrainConfig {
        seed,
        mode: Mode::Canonical,
        epochs,
        batch_size: 32,
        model: ModelConfig::Custom(CustomModelConfig {
            name: Some(name.to_owned()),
        }),
        init,
        ..TrainConfig::default()
    }
}

fn task(from: u32, seed: u64) -> Result<TrainData> {
    let seeds = ditto::train::RunSeeds::new(seed);
    Ok(TrainData::split(
        digits(from)?,
        &seeds.data_root(),
        0.2,
        true,
        16.0,
    )?)
}

/// Task A from scratch: every parameter drawn from the seed.
fn pretrain(out: &Path, seed: u64) -> Result<String> {
    let device = Default::default();
    let trained = Trainer::new(config(
        seed,
        "Net (pretrain, digits 0-4)",
        10,
        InitConfig::default(),
    ))?
    .out(out)
    .fit::<NdArray, _>(Net::new(5, &device), &task(0, seed)?, &device)?;
    Ok(trained.summary.fingerprint)
}

/// Task B from the pretrained body: `body` kept, `body.fc1` frozen, `head` drawn.
fn finetune(
    out: &Path,
    pretrained: &Path,
    seed: u64,
    stop_at: Option<usize>,
    resume: bool,
) -> Result<(String, Option<f64>)> {
    let device = Default::default();
    let body = ditto::train::locate_checkpoint(pretrained)?.0;
    let ck = ditto::train::Checkpoint::read(&body)?;
    let model = load_params_matching(
        Net::<ditto::train::TrainBackend<NdArray>>::new(5, &device),
        &ck,
        &["body"],
    )?;
    let init = InitConfig {
        keep: vec![PathPattern::new("body")],
        frozen: vec![PathPattern::new("body.fc1")],
    };
    let mut trainer = match resume {
        true => Trainer::resume(out)?,
        false => Trainer::new(config(seed, "Net (fine-tune, digits 5-9)", 25, init))?.out(out),
    };
    if let Some(step) = stop_at {
        trainer = trainer.stop_at(step);
    }
    let trained = trainer.fit::<NdArray, _>(model, &task(5, seed)?, &device)?;
    let accuracy = trained.summary.accuracy();
    Ok((trained.summary.fingerprint, accuracy))
}

struct Args {
    out: PathBuf,
    seed: u64,
    pretrained: Option<PathBuf>,
    stop_at: Option<usize>,
    resume: bool,
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let out = it.next().map(PathBuf::from).ok_or("missing OUT_DIR")?;
    let mut a = Args {
        out,
        seed: 0,
        pretrained: None,
        stop_at: None,
        resume: false,
    };
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        match arg.as_str() {
            "--seed" => {
                a.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--stop-at" => {
                let v = value("--stop-at")?;
                a.stop_at = Some(v.parse().map_err(|e| format!("--stop-at: {e}"))?);
            }
            "--pretrained" => a.pretrained = Some(PathBuf::from(value("--pretrained")?)),
            "--resume" => a.resume = true,
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!(
                "usage: ditto-example-finetune OUT_DIR [--seed S] [--pretrained DIR] \
                 [--stop-at N] [--resume]"
            );
            return ExitCode::from(2);
        }
    };
    let run = || -> Result<()> {
        let pretrained = match &args.pretrained {
            Some(dir) => dir.clone(),
            None if args.resume => args.out.join("pretrain"),
            None => {
                let dir = args.out.join("pretrain");
                println!("pretrain fingerprint: {}", pretrain(&dir, args.seed)?);
                dir
            }
        };
        let (fp, acc) = finetune(
            &args.out.join("finetune"),
            &pretrained,
            args.seed,
            args.stop_at,
            args.resume,
        )?;
        println!("finetune fingerprint: {fp}");
        if let Some(acc) = acc {
            println!("finetune test accuracy: {acc:.4}");
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
