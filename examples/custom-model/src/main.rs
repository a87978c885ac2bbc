//! Train your own Burn model with ditto's trainer.
//!
//! Three steps: write the model as any Burn `Module`, implement [`TrainModel`] for it (the
//! forward pass from `[batch, features]` to logits), and call [`Trainer::fit`] with the inner
//! backend (`NdArray` here; the model runs on `Autodiff<Ditto<NdArray>>`). ditto
//! re-initialises the parameters from the seed tree, feeds batches through its loader,
//! checkpoints, can resume at any step with the same bits, and gives the trained model back.
//!
//! ```text
//! cargo run --release -p ditto-example-custom-model -- OUT_DIR [SEED] [--canonical] [--peers W] [--accumulate K]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use burn::backend::NdArray;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig, Relu};
use burn::tensor::{Tensor, backend::Backend};
use ditto::train::{
    CustomModelConfig, Mode, ModelConfig, ParallelConfig, TrainConfig, TrainData, TrainModel,
    Trainer,
};

/// A pre-norm residual block: `x + dropout(relu(linear(norm(x))))`.
#[derive(Module, Debug)]
struct Block<B: Backend> {
    norm: LayerNorm<B>,
    fc: Linear<B>,
}

/// Class: run-to-run (as the trainer). A residual MLP: input projection, `depth` residual
/// blocks, a final LayerNorm and the classifier.
#[derive(Module, Debug)]
struct ResidualMlp<B: Backend> {
    input: Linear<B>,
    blocks: Vec<Block<B>>,
    norm: LayerNorm<B>,
    head: Linear<B>,
    dropout: Dropout,
    act: Relu,
}

impl<B: Backend> ResidualMlp<B> {
    fn new(
        features: usize,
        width: usize,
        depth: usize,
        classes: usize,
        device: &B::Device,
    ) -> Self {
        Self {
            input: LinearConfig::new(features, width).init(device),
            blocks: (0..depth)
                .map(|_| Block {
                    norm: LayerNormConfig::new(width).init(device),
                    fc: LinearConfig::new(width, width).init(device),
                })
                .collect(),
            norm: LayerNormConfig::new(width).init(device),
            head: LinearConfig::new(width, classes).init(device),
            dropout: DropoutConfig::new(0.1).init(),
            act: Relu::new(),
        }
    }
}

impl<B: Backend> TrainModel<B> for ResidualMlp<B> {
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let mut h = self.act.forward(self.input.forward(x));
        for block in &self.blocks {
            let update = self
                .act
                .forward(block.fc.forward(block.norm.forward(h.clone())));
            h = h + self.dropout.forward(update);
        }
        self.head.forward(self.norm.forward(h))
    }
}

/// What the command line asks for.
struct Args {
    out: PathBuf,
    seed: u64,
    /// `canonical` instead of the default `run-to-run`.
    canonical: bool,
    peers: usize,
    accumulate: usize,
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let out = it.next().map(PathBuf::from).ok_or("missing OUT_DIR")?;
    let mut a = Args {
        out,
        seed: 0,
        canonical: false,
        peers: 1,
        accumulate: 1,
    };
    let mut positional = 0;
    while let Some(arg) = it.next() {
        let mut count = |flag: &str| -> Result<usize, String> {
            let v = it.next().ok_or(format!("{flag} needs a value"))?;
            v.parse().map_err(|e| format!("{flag}: {e}"))
        };
        match arg.as_str() {
            "--canonical" => a.canonical = true,
            "--peers" => a.peers = count("--peers")?,
            "--accumulate" => a.accumulate = count("--accumulate")?,
            s if positional == 0 => {
                a.seed = s.parse().map_err(|e| format!("SEED: {e}"))?;
                positional += 1;
            }
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
                "usage: ditto-example-custom-model OUT_DIR [SEED] [--canonical] [--peers W] \
                 [--accumulate K]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(fingerprint) => {
            println!("fingerprint: {fingerprint}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<String, ditto::train::Error> {
    // The bundled digits, split by the seed; any `TrainData::new(train, test, pixel_max)` of
    // your own `ditto::data::InMemory` sets works the same way.
    let config = TrainConfig {
        seed: args.seed,
        epochs: 5,
        mode: if args.canonical {
            Mode::Canonical
        } else {
            Mode::RunToRun
        },
        // Data-parallel peers and micro-batches: in canonical mode, the bits of 1 x 1.
        parallel: ParallelConfig {
            peers: args.peers,
            accumulate: args.accumulate,
        },
        // Recorded in the run's config and report.
        model: ModelConfig::Custom(CustomModelConfig {
            name: Some("ResidualMlp(96, depth 2)".into()),
        }),
        ..Default::default()
    };
    let data = TrainData::bundled(&config)?;
    let device = Default::default();
    let model = ResidualMlp::new(data.features(), 96, 2, data.classes(), &device);
    // `build_info!` expands here, in this crate: the run records this project, its
    // Cargo.lock's hash and its git commit (with whether it had uncommitted changes).
    let trained = Trainer::new(config)?
        .program_info(ditto::build_info!())
        .out(&args.out)
        .fit::<NdArray, _>(model, &data, &device)?;
    eprintln!(
        "{} steps, test accuracy {:.4}",
        trained.summary.steps,
        trained.summary.accuracy().unwrap_or(f64::NAN)
    );
    Ok(trained.summary.fingerprint)
}
