//! A character-level transformer language model on the King James text, trained through
//! ditto's general trainer (`Trainer::fit_task` with a `Task` and a `TaskData`) in canonical
//! mode, then sampled from its best checkpoint with seeded draws.
//!
//! ```text
//! cargo run --release -p ditto-example-char-lm -- [--out DIR] [--seed S] [--max-steps N]
//!     [--stop-at N] [--resume] [--threads N] [--workers N] [--backend ndarray|wgpu]
//!     [--sample N]
//! ```
//!
//! The text (`data/`, embedded in the binary and checked against its SHA-256) is split by
//! lines: the last 5% test, the 5% before validation, the rest training; items are windows of
//! 65 characters (64 inputs, 64 targets). Prints the steps, the best validation loss and its
//! step, the test loss (nats per character), the fingerprint of the final weights, the
//! timing, and 200 characters sampled from the best checkpoint after "In the beginning".

mod args;
mod data;
mod model;
mod sample;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use ditto::kernels::Inner;
use ditto::train::{
    AdamConfig, Checkpoint, ConstantSchedule, CustomModelConfig, Mode, ModelConfig,
    OptimizerConfig, RunSummary, ScheduleConfig, TaskData, TrainConfig, Trainer, ValidationConfig,
    load_params, locate_checkpoint,
};
use ditto::{Ditto, DittoConfig, KernelMode};

use crate::args::{Args, Backend};
use crate::data::{Corpus, Windows};
use crate::model::{CharLm, NextChar, Sizes};
use crate::sample::SampleSpec;

/// The model's sizes (the vocabulary is the text's).
const SIZES: Sizes = Sizes {
    vocab: 72,
    context: 64,
    d_model: 64,
    d_ff: 256,
    heads: 4,
    layers: 2,
};

/// Any error, as the command line prints it.
type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

/// The run's config: canonical mode, Adam at a constant rate after a warm-up (so a run cut
/// short by `--max-steps` is a prefix of the full run), validation every 100 steps with
/// early stopping and the best checkpoint kept.
fn config(args: &Args) -> TrainConfig {
    TrainConfig {
        seed: args.seed,
        mode: Mode::Canonical,
        backend: args.backend.kind(),
        epochs: 2,
        max_steps: args.max_steps,
        batch_size: 32,
        optimizer: OptimizerConfig::Adam(AdamConfig {
            lr: 3e-3,
            weight_decay: 0.0,
        }),
        schedule: ScheduleConfig::Constant(ConstantSchedule { warmup_steps: 50 }),
        grad_clip_norm: Some(1.0),
        checkpoint_every: 100,
        keep_checkpoints: 2,
        workers: args.workers.unwrap_or(0),
        log_every: 50,
        validation: ValidationConfig {
            every: 100,
            patience: 4,
            keep_best: 1,
            ..ValidationConfig::default()
        },
        model: ModelConfig::Custom(CustomModelConfig {
            name: Some("CharLm (examples/char-lm)".to_owned()),
        }),
        ..TrainConfig::default()
    }
}

/// What a run prints.
struct Outcome {
    summary: RunSummary,
    train_s: f64,
    sample: Option<(String, f64)>,
}

/// Trains (or resumes) on the inner backend `I`, then samples from the best checkpoint.
fn run<I: Inner>(args: &Args, corpus: &Corpus, device: &I::Device) -> Result<Outcome> {
    let data = TaskData::new(Windows::new(corpus.train.clone(), SIZES.context))
        .valid(Windows::new(corpus.valid.clone(), SIZES.context))
        .test(Windows::new(corpus.test.clone(), SIZES.context))
        .named("kjv-text-1mib")
        .content_sha256(corpus.content);
    let mut trainer = if args.resume {
        let (file, out) = locate_checkpoint(&args.out)?;
        let ck = Checkpoint::read(&file)?;
        let mut cfg = ck
            .run_state()
            .map_err(|e| format!("{}: {e}", file.display()))?
            .config;
        cfg.backend = args.backend.kind();
        if let Some(w) = args.workers {
            cfg.workers = w;
        }
        if let Some(m) = args.max_steps {
            cfg.max_steps = Some(m);
        }
        Trainer::new(cfg)?.out(out).from_checkpoint(ck)
    } else {
        Trainer::new(config(args))?.out(&args.out)
    };
    trainer = trainer.program_info(ditto::build_info!());
    if let Some(step) = args.stop_at {
        trainer = trainer.stop_at(step);
    }
    let start = Instant::now();
    let trained =
        trainer.fit_task::<I, _, _, _>(CharLm::new(&SIZES, device), &data, &NextChar, device)?;
    let train_s = start.elapsed().as_secs_f64();
    let summary = trained.summary;
    let sample = match (&summary.best, summary.test_loss, args.sample) {
        // A finished run (its test split evaluated) with a best checkpoint.
        (Some(best), Some(_), chars) if chars > 0 => {
            let start = Instant::now();
            let text = sample_best::<I>(&trained.run_dir, best.step, args, corpus, device)?;
            Some((text, start.elapsed().as_secs_f64()))
        }
        _ => None,
    };
    Ok(Outcome {
        summary,
        train_s,
        sample,
    })
}

/// `args.sample` characters after the prompt, from the best checkpoint (at `step`) of the run
/// in `run_dir`, its logits from canonical kernels.
fn sample_best<I: Inner>(
    run_dir: &Path,
    step: usize,
    args: &Args,
    corpus: &Corpus,
    device: &I::Device,
) -> Result<String> {
    let file = run_dir
        .join("checkpoints")
        .join(format!("best-{step:08}.safetensors"));
    let ck = Checkpoint::read(&file)?;
    Ditto::<I>::configure(
        device,
        DittoConfig {
            kernels: KernelMode::Canonical,
            ..DittoConfig::default()
        },
    );
    // Building the model draws placeholder weights (Burn's lazy initialisers), which strict
    // mode allows only from a seeded random state; `load_params` replaces every one of them.
    <Ditto<I> as burn::tensor::backend::Backend>::seed(device, 0);
    let model = load_params(CharLm::<Ditto<I>>::new(&SIZES, device), &ck)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let spec = SampleSpec {
        prompt: "In the beginning".to_owned(),
        chars: args.sample,
        temperature: 0.8,
        seed: args.seed,
    };
    Ok(sample::sample(
        &model,
        corpus,
        SIZES.context,
        &spec,
        device,
    )?)
}

/// Prints what the tests and the README read.
fn report(o: &Outcome, corpus: &Corpus, total_s: f64) {
    let s = &o.summary;
    let [a, b, c] = corpus.lines;
    println!(
        "text: {} train / {} validation / {} test characters ({a} / {b} / {c} lines), \
         vocabulary {}",
        corpus.train.len(),
        corpus.valid.len(),
        corpus.test.len(),
        corpus.vocab.len()
    );
    println!("steps: {}", s.steps);
    if let Some(b) = s.best {
        // The value is an f32 evaluation: printed with the digits that give its bits back.
        println!(
            "best validation loss: {} nats/char at step {}",
            b.value as f32, b.step
        );
    }
    if let Some(at) = s.stopped_early_at {
        println!("early stopping ended the run at step {at}");
    }
    match s.test_loss {
        Some(l) => println!("test loss: {l} nats/char"),
        None => println!("test split: not evaluated (it is, once, when training ends)"),
    }
    println!("fingerprint: {}", s.fingerprint);
    let sample_s = o.sample.as_ref().map_or(0.0, |(_, t)| *t);
    println!(
        "time: {:.1} s training, {sample_s:.1} s sampling, {total_s:.1} s in all",
        o.train_s
    );
    if let Some((text, _)) = &o.sample {
        println!("sample: {text:?}");
        println!("---\n{text}\n---");
    }
}

fn main() -> ExitCode {
    let start = Instant::now();
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let go = || -> Result<()> {
        args::set_threads(args.threads)?;
        let corpus = data::load()?;
        if corpus.vocab.len() != SIZES.vocab {
            return Err(format!("the text has {} characters, not 72", corpus.vocab.len()).into());
        }
        let outcome = match args.backend {
            Backend::Ndarray => run::<burn::backend::NdArray>(&args, &corpus, &Default::default())?,
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => run::<burn::backend::Wgpu>(&args, &corpus, &Default::default())?,
        };
        report(&outcome, &corpus, start.elapsed().as_secs_f64());
        Ok(())
    };
    match go() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
