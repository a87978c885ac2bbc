//! Models that look nothing like `forward(Tensor<B, 2>) -> Tensor<B, 2>` train through the
//! general trainer ([`Task`] + [`TaskData`]): a 4-D image input, an Int token input, and a
//! model with two inputs of different kinds. Each gives the same bits at 1 and 2 threads
//! (separate processes, canonical mode); a model that folds the batch into other rows before a
//! `Linear` is refused or carried by the micro-batch cut check, never silently wrong.

use burn::backend::NdArray;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    Embedding, EmbeddingConfig, Gelu, LayerNorm, LayerNormConfig, Linear, LinearConfig,
};
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Int, Tensor, TensorData};
use ditto_data::VecDataset;
use ditto_rng::Seed;
use ditto_train::{Evaluation, Mode, ParallelConfig, Task, TaskData, TrainConfig, Trainer};

type Cpu = NdArray;

fn is_child() -> bool {
    std::env::var_os("DITTO_TEST_CHILD").is_some()
}

/// Runs this test again in a child process with `threads` threads; its `fingerprint=` line.
fn child(test: &str, threads: &str) -> String {
    // The tests are modules of one binary: `--exact` needs `task_models::test`.
    let (_, module) = module_path!().split_once("::").unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &format!("{module}::{test}")])
        .args(["--nocapture", "--test-threads", "1"])
        .env("DITTO_TEST_CHILD", "1")
        .env("RAYON_NUM_THREADS", threads)
        .env("MATMUL_NUM_THREADS", threads)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child {test}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.split_once("fingerprint=").map(|(_, v)| v))
        .unwrap_or_else(|| panic!("no fingerprint in {stdout}"))
        .trim()
        .to_owned()
}

/// The same bits at 1 and 2 threads, in separate processes.
fn same_bits_at_1_and_2_threads(test: &str, train: impl FnOnce() -> String) {
    if is_child() {
        println!("fingerprint={}", train());
        return;
    }
    let one = child(test, "1");
    assert_eq!(child(test, "2"), one, "{test}: 1 vs 2 threads");
}

fn config(seed: u64) -> TrainConfig {
    TrainConfig {
        seed,
        mode: Mode::Canonical,
        epochs: 3,
        batch_size: 16,
        ..TrainConfig::default()
    }
}

/// `n` values uniform in [0, 1) from `seed`.
fn uniform(seed: &Seed, n: usize) -> Vec<f32> {
    let mut v = vec![0.0; n];
    seed.stream().fill_uniform_f32(&mut v, 0.0, 1.0).unwrap();
    v
}

fn cross_entropy<B: Backend>(logits: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    CrossEntropyLossConfig::new()
        .init(&logits.device())
        .forward(logits, labels)
}

// ---- A 4-D image input: [batch, channels, height, width] -------------------------------

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

/// Items: a 2-channel 8x8 image and its class.
#[derive(Clone)]
struct Image {
    pixels: Vec<f32>,
    class: i64,
}

struct Images<B: Backend> {
    x: Tensor<B, 4>,
    y: Tensor<B, 1, Int>,
}

struct ImageTask;

impl<B: Backend> Task<B, ImageNet<B>> for ImageTask {
    type Item = Image;
    type Batch = Images<B>;

    fn batch(&self, items: &[Image], device: &B::Device) -> Images<B> {
        let x: Vec<f32> = items.iter().flat_map(|i| i.pixels.clone()).collect();
        let y: Vec<i64> = items.iter().map(|i| i.class).collect();
        Images {
            x: Tensor::from_data(TensorData::new(x, [items.len(), 2, 8, 8]), device),
            y: Tensor::from_data(TensorData::new(y, [items.len()]), device),
        }
    }

    fn loss(&self, model: &ImageNet<B>, batch: &Images<B>) -> Tensor<B, 1> {
        cross_entropy(model.forward(batch.x.clone()), batch.y.clone())
    }
}

fn images(n: usize) -> Vec<Image> {
    let root = Seed::from_u64(1).derive("images");
    (0..n)
        .map(|i| {
            let s = root.derive_index(i as u64);
            let class = (i % 3) as i64;
            let mut pixels = uniform(&s, 2 * 64);
            // The class brightens one third of the image, so there is something to learn.
            for (k, p) in pixels.iter_mut().enumerate() {
                if (k % 64) / 22 == class as usize {
                    *p += 0.5;
                }
            }
            Image { pixels, class }
        })
        .collect()
}

#[test]
fn a_4d_image_model_trains_with_the_same_bits_at_1_and_2_threads() {
    same_bits_at_1_and_2_threads(
        "a_4d_image_model_trains_with_the_same_bits_at_1_and_2_threads",
        || {
            let t = tempfile::tempdir().unwrap();
            let d = Default::default();
            let trained = Trainer::new(config(5))
                .unwrap()
                .out(t.path().join("r"))
                .fit_task::<Cpu, _, _, _>(
                    ImageNet::new(&d),
                    &TaskData::new(VecDataset(images(96))).test(VecDataset(images(30))),
                    &ImageTask,
                    &d,
                )
                .unwrap();
            assert_eq!(trained.summary.steps, 18, "3 epochs of 6 full batches");
            assert!(trained.summary.test_loss.is_some_and(f32::is_finite));
            trained.summary.fingerprint
        },
    );
}

// ---- Int token ids in, a class out; and a model that folds the batch into rows -----------

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

    /// The same, with the batch folded into `[batch * len, 8]` rows before the `Linear`.
    fn forward_folded(&self, ids: Tensor<B, 2, Int>) -> Tensor<B, 2> {
        let e = self.embed.forward(ids);
        let [b, len, d] = e.dims();
        let h = self.mix.forward(e.reshape([b * len, d])).tanh();
        self.head
            .forward(h.reshape([b, len, d]).mean_dim(1).reshape([b, d]))
    }
}

/// Items: 6 token ids and whether token 3 occurs among them.
type Tokens = (Vec<i64>, i64);

struct Seqs<B: Backend> {
    ids: Tensor<B, 2, Int>,
    y: Tensor<B, 1, Int>,
}

struct TokenTask {
    folded: bool,
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
        self.item_loss(model, batch).unwrap().mean()
    }

    fn item_loss(&self, model: &TokenNet<B>, batch: &Seqs<B>) -> Option<Tensor<B, 2>> {
        let logits = match self.folded {
            true => model.forward_folded(batch.ids.clone()),
            false => model.forward(batch.ids.clone()),
        };
        let [b, _] = logits.dims();
        let logp = burn::tensor::activation::log_softmax(logits, 1);
        Some(logp.gather(1, batch.y.clone().reshape([b, 1])).neg())
    }

    fn evaluate(&self, model: &TokenNet<B>, batch: &Seqs<B>) -> Evaluation {
        let logits = model.forward(batch.ids.clone());
        let hits = logits
            .argmax(1)
            .flatten::<1>(0, 1)
            .equal(batch.y.clone())
            .int()
            .sum()
            .into_scalar();
        Evaluation {
            loss: self.loss(model, batch).into_scalar().elem::<f32>(),
            sums: vec![("accuracy", hits.elem::<f64>())],
            ..Evaluation::default()
        }
    }
}

fn token_items(n: usize) -> Vec<Tokens> {
    let root = Seed::from_u64(2).derive("tokens");
    (0..n)
        .map(|i| {
            let u = uniform(&root.derive_index(i as u64), 6);
            let ids: Vec<i64> = u.iter().map(|v| (v * 12.0) as i64 % 12).collect();
            let y = i64::from(ids.contains(&3));
            (ids, y)
        })
        .collect()
}

fn train_tokens(out: &std::path::Path, folded: bool, peers: usize) -> Result<String, String> {
    let d = Default::default();
    let mut c = config(9);
    c.parallel = ParallelConfig {
        peers,
        accumulate: 1,
    };
    Trainer::new(c)
        .unwrap()
        .out(out)
        .fit_task::<Cpu, _, _, _>(
            TokenNet::new(&d),
            &TaskData::new(VecDataset(token_items(128))).valid(VecDataset(token_items(32))),
            &TokenTask { folded },
            &d,
        )
        .map(|t| t.summary.fingerprint)
        .map_err(|e| e.to_string())
}

#[test]
fn an_int_token_model_trains_with_the_same_bits_at_1_and_2_threads() {
    same_bits_at_1_and_2_threads(
        "an_int_token_model_trains_with_the_same_bits_at_1_and_2_threads",
        || {
            let t = tempfile::tempdir().unwrap();
            let a = train_tokens(&t.path().join("a"), false, 1).unwrap();
            // Two peers cut every batch in two: in canonical mode, the same bits.
            let b = train_tokens(&t.path().join("b"), false, 2).unwrap();
            assert_eq!(a, b, "peers 2 vs 1");
            a
        },
    );
}

#[test]
fn folding_the_batch_into_rows_is_refused_or_carried_never_silently_wrong() {
    if is_child() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let whole = train_tokens(&t.path().join("whole"), true, 1).unwrap();
    match train_tokens(&t.path().join("cut"), true, 2) {
        Ok(cut) => assert_eq!(cut, whole, "a cut run that is not refused must be exact"),
        Err(e) => assert!(e.contains("mix.weight") || e.contains("gradient"), "{e}"),
    }
}

// ---- Two inputs of two kinds: float features and an Int category ------------------------

#[derive(Module, Debug)]
struct TwoInputs<B: Backend> {
    features: Linear<B>,
    category: Embedding<B>,
    head: Linear<B>,
}

impl<B: Backend> TwoInputs<B> {
    fn new(device: &B::Device) -> Self {
        Self {
            features: LinearConfig::new(5, 6).init(device),
            category: EmbeddingConfig::new(4, 6).init(device),
            head: LinearConfig::new(6, 1).init(device),
        }
    }

    fn forward(&self, x: Tensor<B, 2>, cat: Tensor<B, 1, Int>) -> Tensor<B, 2> {
        let [b] = cat.dims();
        let e = self.category.forward(cat.reshape([b, 1])).reshape([b, 6]);
        self.head.forward((self.features.forward(x) + e).tanh())
    }
}

/// Items: 5 features, a category and a real target.
type Row = (Vec<f32>, i64, f32);

struct Rows<B: Backend> {
    x: Tensor<B, 2>,
    cat: Tensor<B, 1, Int>,
    y: Tensor<B, 2>,
}

struct RegressionTask;

impl<B: Backend> Task<B, TwoInputs<B>> for RegressionTask {
    type Item = Row;
    type Batch = Rows<B>;

    fn batch(&self, items: &[Row], device: &B::Device) -> Rows<B> {
        let n = items.len();
        let x: Vec<f32> = items.iter().flat_map(|r| r.0.clone()).collect();
        let cat: Vec<i64> = items.iter().map(|r| r.1).collect();
        let y: Vec<f32> = items.iter().map(|r| r.2).collect();
        Rows {
            x: Tensor::from_data(TensorData::new(x, [n, 5]), device),
            cat: Tensor::from_data(TensorData::new(cat, [n]), device),
            y: Tensor::from_data(TensorData::new(y, [n, 1]), device),
        }
    }

    fn loss(&self, model: &TwoInputs<B>, batch: &Rows<B>) -> Tensor<B, 1> {
        self.item_loss(model, batch).unwrap().mean()
    }

    fn item_loss(&self, model: &TwoInputs<B>, batch: &Rows<B>) -> Option<Tensor<B, 2>> {
        let err = model.forward(batch.x.clone(), batch.cat.clone()) - batch.y.clone();
        Some(err.clone() * err)
    }
}

fn rows(n: usize) -> Vec<Row> {
    let root = Seed::from_u64(3).derive("rows");
    (0..n)
        .map(|i| {
            let x = uniform(&root.derive_index(i as u64), 5);
            let cat = (i % 4) as i64;
            let y = x.iter().sum::<f32>() * 0.3 - cat as f32 * 0.2;
            (x, cat, y)
        })
        .collect()
}

#[test]
fn a_two_input_model_trains_with_the_same_bits_at_1_and_2_threads() {
    same_bits_at_1_and_2_threads(
        "a_two_input_model_trains_with_the_same_bits_at_1_and_2_threads",
        || {
            let t = tempfile::tempdir().unwrap();
            let d = Default::default();
            let run = |seed: u64, dir: &str| {
                Trainer::new(config(seed))
                    .unwrap()
                    .out(t.path().join(dir))
                    .fit_task::<Cpu, _, _, _>(
                        TwoInputs::new(&d),
                        &TaskData::new(VecDataset(rows(64))).test(VecDataset(rows(16))),
                        &RegressionTask,
                        &d,
                    )
                    .unwrap()
            };
            let a = run(4, "a");
            assert_eq!(a.summary.steps, 12, "3 epochs of 4 full batches");
            // The seed matters (the fingerprint is not a constant).
            assert_ne!(run(5, "b").summary.fingerprint, a.summary.fingerprint);
            // The model comes back trained: its test loss is the run's.
            assert!(
                a.summary
                    .test_loss
                    .is_some_and(|l| l.is_finite() && l < 1.0)
            );
            a.summary.fingerprint
        },
    );
}
