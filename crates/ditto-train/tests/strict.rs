//! Strict mode's refusal reaches the caller of `Trainer::fit` as a typed error, not a panic:
//! the refused op records itself on its thread, and the loop turns the record into
//! `ErrorKind::Strict` at the step's boundary, before the step's optimiser update is kept or
//! anything of the step is written (issue 27).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use burn::backend::NdArray;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Tensor, backend::Backend};
use ditto_kernels::{Ditto, OnRefusal, Strict};
use ditto_train::{
    Error, ErrorKind, Mode, ParallelConfig, TrainConfig, TrainData, TrainModel, Trainer,
};

/// An MLP with a sine activation: `float_sin` (and `float_cos` in its backward pass) are
/// forwarded to the backend, which canonical mode does not promise (DETERMINISM.md: class
/// `forwarded`), so strict mode refuses them there.
#[derive(Module, Debug)]
struct SineMlp<B: Backend> {
    a: Linear<B>,
    b: Linear<B>,
}

impl<B: Backend> SineMlp<B> {
    fn new(inputs: usize, classes: usize, device: &B::Device) -> Self {
        Self {
            a: LinearConfig::new(inputs, 16).init(device),
            b: LinearConfig::new(16, classes).init(device),
        }
    }
}

impl<B: Backend> TrainModel<B> for SineMlp<B> {
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.b.forward(self.a.forward(x).sin())
    }
}

fn config(strict: Strict, parallel: ParallelConfig) -> TrainConfig {
    TrainConfig {
        mode: Mode::Canonical,
        strict,
        max_steps: Some(3),
        checkpoint_every: 1,
        parallel,
        ..TrainConfig::default()
    }
}

/// Trains the sine model; a panic fails the test (it must be an error value).
fn fit(config: TrainConfig, out: &Path) -> Result<String, Error> {
    let data = TrainData::bundled(&config).unwrap();
    let device = Default::default();
    let model = SineMlp::<ditto_train::TrainBackend<NdArray>>::new(
        data.features(),
        data.classes(),
        &device,
    );
    catch_unwind(AssertUnwindSafe(|| {
        Trainer::new(config)
            .unwrap()
            .out(out)
            .fit::<NdArray, _>(model, &data, &device)
            .map(|t| t.summary.fingerprint)
    }))
    .unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
        panic!("fit panicked instead of returning an error: {msg:?}")
    })
}

/// What a refused run left in its directory: no checkpoint, no trace line, no metrics line.
fn assert_nothing_of_the_step(out: &Path) {
    let checkpoints: Vec<_> = std::fs::read_dir(out.join("checkpoints"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(checkpoints.is_empty(), "{checkpoints:?}");
    for f in ["final.safetensors", "last.safetensors", "summary.json"] {
        assert!(!out.join(f).exists(), "{f} written");
    }
    for f in ["trace.jsonl", "metrics.jsonl"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap_or_default();
        assert!(text.trim().is_empty(), "{f}: {text}");
    }
}

#[test]
fn a_refused_op_is_an_error_of_fit_and_nothing_of_the_step_is_written() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let err = fit(config(Strict::Error, ParallelConfig::default()), &out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Strict, "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("`float_sin`")
            && msg.contains("step 1: ")
            && msg.contains("canonical mode")
            && msg.contains("forwarded"),
        "{msg}"
    );
    assert_nothing_of_the_step(&out);
    // The caller's thread is left as it was: a refused op run directly panics again.
    assert_eq!(
        Ditto::<NdArray>::config(&Default::default()).on_refusal,
        OnRefusal::Panic
    );

    // With `strict = "warn"` the same model trains.
    let warned = t.path().join("warn");
    let fp = fit(config(Strict::Warn, ParallelConfig::default()), &warned).unwrap();
    assert_eq!(fp.len(), 64);
    assert!(warned.join("final.safetensors").is_file());
}

/// On peer threads (micro-batches cut over two peers) the refusal is recorded there and
/// returned the same way.
#[test]
fn a_refusal_on_a_peer_thread_is_an_error_too() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("peers");
    let parallel = ParallelConfig {
        peers: 2,
        accumulate: 1,
    };
    let err = fit(config(Strict::Error, parallel), &out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Strict, "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("`float_sin`") && msg.contains("micro-batch"),
        "{msg}"
    );
    assert_nothing_of_the_step(&out);
}
