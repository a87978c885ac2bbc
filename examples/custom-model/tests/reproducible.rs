//! The custom model trains to the same bits in two processes with different thread counts,
//! and in canonical mode with any data-parallel peers and micro-batches; a model with
//! BatchNorm is refused with peers or micro-batches.

use std::process::Command;

fn fingerprint(dir: &std::path::Path, threads: &str) -> String {
    fingerprint_with(dir, threads, &[])
}

fn fingerprint_with(dir: &std::path::Path, threads: &str, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ditto-example-custom-model"))
        .arg(dir)
        .args(extra)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap()
        .to_owned()
}

#[test]
fn custom_model_is_reproducible_across_processes_and_threads() {
    let t = tempfile::tempdir().unwrap();
    let a = fingerprint(&t.path().join("a"), "1");
    let b = fingerprint(&t.path().join("b"), "2");
    assert_eq!(a, b);
    assert_eq!(a.len(), 64);
    // The run directory is complete: checkpoint, trace and report.
    for f in [
        "final.safetensors",
        "trace.jsonl",
        "report.md",
        "curves.svg",
    ] {
        assert!(t.path().join("a").join(f).is_file(), "{f}");
    }
}

/// A user model (residual blocks, LayerNorm, dropout) in canonical mode: 3 peers with 2
/// micro-batches each give the weights of one peer with the whole batch.
#[test]
fn custom_model_peers_and_micro_batches_change_nothing_in_canonical_mode() {
    let t = tempfile::tempdir().unwrap();
    let one = fingerprint_with(&t.path().join("1x1"), "2", &["--canonical"]);
    let cut = fingerprint_with(
        &t.path().join("3x2"),
        "2",
        &["--canonical", "--peers", "3", "--accumulate", "2"],
    );
    assert_eq!(one, cut);
}

mod batch_norm {
    use burn::backend::NdArray;
    use burn::module::Module;
    use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
    use burn::tensor::{Tensor, backend::Backend};
    use ditto::train::{Mode, ParallelConfig, TrainConfig, TrainData, TrainModel, Trainer};

    #[derive(Module, Debug)]
    struct Normed<B: Backend> {
        fc: Linear<B>,
        norm: BatchNorm<B>,
        head: Linear<B>,
    }

    impl<B: Backend> TrainModel<B> for Normed<B> {
        fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
            let h: Tensor<B, 3> = self.fc.forward(x).unsqueeze_dim(2);
            let h: Tensor<B, 2> = self.norm.forward(h).squeeze_dim(2);
            self.head.forward(h)
        }
    }

    /// Batch statistics would be each micro-batch's: refused before the first step, with a
    /// message that names the layer.
    #[test]
    fn batch_norm_with_micro_batches_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let config = TrainConfig {
            max_steps: Some(2),
            mode: Mode::Canonical,
            parallel: ParallelConfig {
                peers: 1,
                accumulate: 2,
            },
            ..Default::default()
        };
        let data = TrainData::bundled(&config).unwrap();
        let device = Default::default();
        let model = Normed::<burn::backend::Autodiff<ditto::Ditto<NdArray>>> {
            fc: LinearConfig::new(data.features(), 16).init(&device),
            norm: BatchNormConfig::new(16).init(&device),
            head: LinearConfig::new(16, data.classes()).init(&device),
        };
        let Err(err) = Trainer::new(config)
            .unwrap()
            .out(t.path())
            .fit::<NdArray, _>(model, &data, &device)
        else {
            panic!("BatchNorm with accumulate 2 was accepted");
        };
        assert!(err.to_string().contains("BatchNorm"), "{err}");
    }
}
