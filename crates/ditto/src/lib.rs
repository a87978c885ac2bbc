//! # ditto: the same bits every time
//!
//! Class: portable (this front crate only re-exports; each item's own doc gives its class).
//!
//! ditto makes deep-learning training on [Burn](https://burn.dev) bit-reproducible: the same
//! seed and config give the same trained weights on any run, any thread count, after any
//! resume. This crate re-exports the workspace's crates:
//!
//! * [`rng`] (`ditto-rng`): the seed tree, portable random streams and initialisers.
//! * [`kernels`] (`ditto-kernels`): the [`Ditto`] backend decorator, seeded backend
//!   randomness, ordered reductions, strict mode and the determinism audit.
//! * [`train`] (`ditto-train`): the [`Trainer`], typed configs, self-describing
//!   checkpoints, run comparison and provenance.
//! * [`data`] (`ditto-data`): datasets and a loader whose batches are a pure function of
//!   (seed, epoch, position) for any worker count, shard and resume point.
//!
//! The reproducibility classes used in every item's doc (`portable`, `run-to-run`,
//! `non-deterministic`) are defined in the repository's `REPRODUCIBILITY.md`.
//!
//! ## Bring your own model
//!
//! Write the model as any Burn `Module`, give it a forward pass from `[batch, features]` to
//! outputs ([`train::TrainModel`]), and hand it to [`Trainer`] with the inner backend
//! (`NdArray` here; training runs on `Autodiff<Ditto<NdArray>>`). The loss is an
//! [`train::Objective`] (classification by default, [`train::Regression`], or your own).
//!
//! ```
//! use burn::backend::NdArray;
//! use burn::module::Module;
//! use burn::nn::{Linear, LinearConfig, Relu};
//! use burn::tensor::{Tensor, backend::Backend};
//! use ditto::train::{TrainConfig, TrainData, TrainModel, load_params_from};
//! use ditto::Trainer;
//!
//! #[derive(Module, Debug)]
//! struct Net<B: Backend> {
//!     hidden: Linear<B>,
//!     out: Linear<B>,
//!     act: Relu,
//! }
//!
//! impl<B: Backend> Net<B> {
//!     fn new(inputs: usize, classes: usize, device: &B::Device) -> Self {
//!         Self {
//!             hidden: LinearConfig::new(inputs, 32).init(device),
//!             out: LinearConfig::new(32, classes).init(device),
//!             act: Relu::new(),
//!         }
//!     }
//! }
//!
//! impl<B: Backend> TrainModel<B> for Net<B> {
//!     fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
//!         self.out.forward(self.act.forward(self.hidden.forward(x)))
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = TrainConfig { max_steps: Some(60), ..TrainConfig::default() };
//! let data = TrainData::bundled(&config)?; // the bundled digits; or your own TrainData
//! let device = Default::default();
//! let dir = std::env::temp_dir().join("ditto-doc-byom");
//! # let _ = std::fs::remove_dir_all(&dir);
//!
//! let trained = Trainer::new(config)?
//!     .out(&dir)
//!     .fit::<NdArray, _>(Net::new(data.features(), data.classes(), &device), &data, &device)?;
//! println!("fingerprint {}", trained.summary.fingerprint);
//!
//! // The trained model, for inference here and now ...
//! let model = trained.valid();
//! let x = Tensor::zeros([1, data.features()], &device);
//! let here: Vec<f32> = model.forward(x.clone()).into_data().to_vec()?;
//!
//! // ... or in another program: a new model, the final checkpoint's weights, the same bits.
//! let fresh = Net::<NdArray>::new(data.features(), data.classes(), &device);
//! let loaded = load_params_from(fresh, &dir.join("final.safetensors"))?;
//! let x = Tensor::<NdArray, 2>::from_data(x.into_data(), &device);
//! let there: Vec<f32> = loaded.forward(x).into_data().to_vec()?;
//! assert_eq!(here, there);
//! # Ok(()) }
//! ```
//!
//! ## Seeds and streams
//!
//! ```
//! use ditto::{Seed, Stream};
//! let mut s: Stream = Seed::from_u64(42).derive("example").stream();
//! let x = s.uniform_f32();
//! assert!((0.0..1.0).contains(&x));
//! ```

pub use ditto_data as data;
pub use ditto_kernels as kernels;
pub use ditto_kernels::{Ditto, DittoConfig, KernelMode, Strict};
pub use ditto_rng as rng;
pub use ditto_rng::{Seed, Stream, StreamState};
pub use ditto_train as train;
pub use ditto_train::{
    Dtype, ExportReport, Trainer, Weights, build_info, export_weights, load_params,
};

/// The README's Rust snippets, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
