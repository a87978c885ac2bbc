//! The library's `predict` in canonical mode, on models of a user's own (a 4-D image model
//! with a convolution, max pooling, GELU and LayerNorm; an Int token model whose `Linear`
//! runs on `[batch, len, d]`): each input's output bits are the same at batch sizes 1, 7 and
//! 64, in reverse order, and at 1 and 2 threads (separate processes).

use burn::backend::NdArray;
use burn::module::{AutodiffModule, Module};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    Embedding, EmbeddingConfig, Gelu, LayerNorm, LayerNormConfig, Linear, LinearConfig,
};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use ditto_data::VecDataset;
use ditto_kernels::Ditto;
use ditto_rng::Seed;
use ditto_train::{Mode, Outputs, Task, TaskData, TrainConfig, Trainer, predict};

type Cpu = NdArray;

/// `n` values uniform in [0, 1) from `seed`.
fn uniform(seed: &Seed, n: usize) -> Vec<f32> {
    let mut v = vec![0.0; n];
    seed.stream().fill_uniform_f32(&mut v, 0.0, 1.0).unwrap();
    v
}

fn config() -> TrainConfig {
    TrainConfig {
        seed: 9,
        mode: Mode::Canonical,
        epochs: 2,
        batch_size: 16,
        ..TrainConfig::default()
    }
}

/// A hash of every output's bits, in order (FNV-1a over the little-endian bytes).
fn bits_hash(o: &Outputs) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in o.values.iter().flat_map(|v| v.to_bits().to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x} ({} x {})", o.rows(), o.width)
}

/// Predicts `items` at batch sizes 1, 7 and 64 and in reverse order; all must agree bit for
/// bit. Returns the outputs' hash.
fn invariant<M, T>(model: &M, task: &T, items: &[T::Item]) -> String
where
    T: Task<Ditto<Cpu>, M>,
{
    let d = Default::default();
    let base = predict::<Ditto<Cpu>, M, T>(model, task, items, 64, &d).unwrap();
    assert_eq!(base.rows(), items.len());
    for batch in [1, 7] {
        let other = predict::<Ditto<Cpu>, M, T>(model, task, items, batch, &d).unwrap();
        let differ: Vec<usize> = (0..items.len())
            .filter(|&r| {
                let bits = |o: &Outputs| {
                    o.row(r)
                        .unwrap()
                        .iter()
                        .map(|v| v.to_bits())
                        .collect::<Vec<_>>()
                };
                bits(&other) != bits(&base)
            })
            .collect();
        assert!(
            differ.is_empty(),
            "batch size {batch}: inputs {differ:?} differ"
        );
    }
    let mut reversed = items.to_vec();
    reversed.reverse();
    let back = predict::<Ditto<Cpu>, M, T>(model, task, &reversed, 7, &d).unwrap();
    for r in 0..items.len() {
        let a: Vec<u32> = base.row(r).unwrap().iter().map(|v| v.to_bits()).collect();
        let b: Vec<u32> = back
            .row(items.len() - 1 - r)
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(a, b, "input {r} at another position");
    }
    bits_hash(&base)
}

/// In a child process (`DITTO_TEST_CHILD`), prints `outputs=<hash>` of `run()`; in the
/// parent, runs the test at 1 and 2 threads and compares.
fn same_bits_at_1_and_2_threads(test: &str, run: impl FnOnce() -> String) {
    if std::env::var_os("DITTO_TEST_CHILD").is_some() {
        println!("outputs={}", run());
        return;
    }
    let child = |threads: &str| {
        // The tests are modules of one binary: `--exact` needs `predict::test`.
        let (_, module) = module_path!().split_once("::").unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &format!("{module}::{test}")])
            .args(["--nocapture", "--test-threads", "1"])
            .env("DITTO_TEST_CHILD", "1")
            .env("RAYON_NUM_THREADS", threads)
            .env("MATMUL_NUM_THREADS", threads)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
            .lines()
            .find_map(|l| l.split_once("outputs=").map(|(_, v)| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no outputs in {stdout}"))
    };
    let one = child("1");
    assert_eq!(child("2"), one, "{test}: 1 vs 2 threads");
}

// ---- A 4-D image model ------------------------------------------------------------------

#[derive(Module, Debug)]
struct ImageNet<B: Backend> {
    conv: Conv2d<B>,
    pool: MaxPool2d,
    norm: LayerNorm<B>,
    head: Linear<B>,
    act: Gelu,
}

impl<B: Backend> ImageNet<B> {
    fn new(device: &B::Device) -> Self {
        Self {
            conv: Conv2dConfig::new([2, 4], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            norm: LayerNormConfig::new(4 * 3 * 3).init(device),
            head: LinearConfig::new(4 * 3 * 3, 3).init(device),
            act: Gelu::new(),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let h = self.pool.forward(self.act.forward(self.conv.forward(x)));
        let [b, c, h2, w2] = h.dims();
        self.head
            .forward(self.norm.forward(h.reshape([b, c * h2 * w2])))
    }
}

/// A 2-channel 8x8 image and its class.
type Image = (Vec<f32>, i64);

struct Images<B: Backend> {
    x: Tensor<B, 4>,
    y: Tensor<B, 1, Int>,
}

struct ImageTask;

impl<B: Backend> Task<B, ImageNet<B>> for ImageTask {
    type Item = Image;
    type Batch = Images<B>;

    fn batch(&self, items: &[Image], device: &B::Device) -> Images<B> {
        let x: Vec<f32> = items.iter().flat_map(|i| i.0.clone()).collect();
        let y: Vec<i64> = items.iter().map(|i| i.1).collect();
        Images {
            x: Tensor::from_data(TensorData::new(x, [items.len(), 2, 8, 8]), device),
            y: Tensor::from_data(TensorData::new(y, [items.len()]), device),
        }
    }

    fn loss(&self, model: &ImageNet<B>, batch: &Images<B>) -> Tensor<B, 1> {
        let logits = model.forward(batch.x.clone());
        burn::nn::loss::CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(logits, batch.y.clone())
    }

    fn outputs(&self, model: &ImageNet<B>, batch: &Images<B>) -> Option<Tensor<B, 2>> {
        Some(model.forward(batch.x.clone()))
    }
}

fn images(n: usize, salt: u64) -> Vec<Image> {
    let root = Seed::from_u64(salt).derive("images");
    (0..n)
        .map(|i| {
            let class = (i % 3) as i64;
            let mut pixels = uniform(&root.derive_index(i as u64), 2 * 64);
            for (k, p) in pixels.iter_mut().enumerate() {
                if (k % 64) / 22 == class as usize {
                    *p += 0.5;
                }
            }
            (pixels, class)
        })
        .collect()
}

#[test]
fn an_image_models_outputs_are_batch_invariant_at_1_and_2_threads() {
    same_bits_at_1_and_2_threads(
        "an_image_models_outputs_are_batch_invariant_at_1_and_2_threads",
        || {
            let t = tempfile::tempdir().unwrap();
            let d = Default::default();
            let trained = Trainer::new(config())
                .unwrap()
                .out(t.path().join("r"))
                .fit_task::<Cpu, _, _, _>(
                    ImageNet::new(&d),
                    &TaskData::new(VecDataset(images(64, 1))),
                    &ImageTask,
                    &d,
                )
                .unwrap();
            invariant(&trained.model.valid(), &ImageTask, &images(100, 2))
        },
    );
}

// ---- Int token ids in -------------------------------------------------------------------

#[derive(Module, Debug)]
struct TokenNet<B: Backend> {
    embed: Embedding<B>,
    mix: Linear<B>,
    head: Linear<B>,
}

impl<B: Backend> TokenNet<B> {
    fn new(device: &B::Device) -> Self {
        Self {
            embed: EmbeddingConfig::new(12, 8).init(device),
            mix: LinearConfig::new(8, 8).init(device),
            head: LinearConfig::new(8, 2).init(device),
        }
    }

    /// `[batch, len]` ids -> `[batch, 2]` logits: the `Linear` runs on `[batch, len, 8]`.
    fn forward(&self, ids: Tensor<B, 2, Int>) -> Tensor<B, 2> {
        let h = self.mix.forward(self.embed.forward(ids)).tanh();
        let [b, _, d] = h.dims();
        self.head.forward(h.mean_dim(1).reshape([b, d]))
    }
}

/// 6 token ids and whether token 3 occurs among them.
type Tokens = (Vec<i64>, i64);

struct Seqs<B: Backend> {
    ids: Tensor<B, 2, Int>,
    y: Tensor<B, 1, Int>,
}

/// Gives outputs unless `silent` (then `predict` must refuse).
struct TokenTask {
    silent: bool,
}

impl<B: Backend> Task<B, TokenNet<B>> for TokenTask {
    type Item = Tokens;
    type Batch = Seqs<B>;

    fn batch(&self, items: &[Tokens], device: &B::Device) -> Seqs<B> {
        let ids: Vec<i64> = items.iter().flat_map(|(t, _)| t.clone()).collect();
        let y: Vec<i64> = items.iter().map(|(_, y)| *y).collect();
        Seqs {
            ids: Tensor::from_data(TensorData::new(ids, [items.len(), 6]), device),
            y: Tensor::from_data(TensorData::new(y, [items.len()]), device),
        }
    }

    fn loss(&self, model: &TokenNet<B>, batch: &Seqs<B>) -> Tensor<B, 1> {
        let logits = model.forward(batch.ids.clone());
        burn::nn::loss::CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(logits, batch.y.clone())
    }

    fn outputs(&self, model: &TokenNet<B>, batch: &Seqs<B>) -> Option<Tensor<B, 2>> {
        (!self.silent).then(|| model.forward(batch.ids.clone()))
    }
}

fn tokens(n: usize, salt: u64) -> Vec<Tokens> {
    let root = Seed::from_u64(salt).derive("tokens");
    (0..n)
        .map(|i| {
            let u = uniform(&root.derive_index(i as u64), 6);
            let ids: Vec<i64> = u.iter().map(|v| (v * 12.0) as i64 % 12).collect();
            let y = i64::from(ids.contains(&3));
            (ids, y)
        })
        .collect()
}

#[test]
fn a_token_models_outputs_are_batch_invariant_at_1_and_2_threads() {
    same_bits_at_1_and_2_threads(
        "a_token_models_outputs_are_batch_invariant_at_1_and_2_threads",
        || {
            let t = tempfile::tempdir().unwrap();
            let d = Default::default();
            let task = TokenTask { silent: false };
            let trained = Trainer::new(config())
                .unwrap()
                .out(t.path().join("r"))
                .fit_task::<Cpu, _, _, _>(
                    TokenNet::new(&d),
                    &TaskData::new(VecDataset(tokens(64, 1))),
                    &task,
                    &d,
                )
                .unwrap();
            let model = trained.model.valid();
            // Refusals: no outputs, batch size 0.
            let items = tokens(5, 3);
            let e = predict::<Ditto<Cpu>, _, _>(&model, &TokenTask { silent: true }, &items, 4, &d);
            assert!(e.unwrap_err().to_string().contains("Task::outputs"));
            let e = predict::<Ditto<Cpu>, _, _>(&model, &task, &items, 0, &d);
            assert!(e.unwrap_err().to_string().contains("at least 1"));
            invariant(&model, &task, &tokens(100, 2))
        },
    );
}
