//! Cross-process determinism of the seed tree, streams and module initialisation: the test
//! binary re-runs itself as a child with different thread counts and compares the bytes.

use std::process::Command;

use burn::backend::NdArray;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::backend::Backend;
use ditto::rng::{BurnDefaults, reinit};
use ditto::{Seed, Stream};

const CHILD_ENV: &str = "DITTO_TEST_RNG_CHILD";

#[derive(Module, Debug)]
struct Mlp<B: Backend> {
    fc1: Linear<B>,
    fc2: Linear<B>,
}

/// A digest of many draws: the stream samplers, a permutation and a re-initialised MLP.
fn digest() -> String {
    let root = Seed::from_u64(2026);
    let mut s: Stream = root.derive("mix").stream();
    let mut bytes = Vec::new();
    for _ in 0..1000 {
        bytes.extend(s.uniform_f32().to_le_bytes());
        bytes.extend(s.normal_f64().to_le_bytes());
        bytes.extend(s.below(1_000_003).unwrap().to_le_bytes());
    }
    for i in s.permutation(500) {
        bytes.extend((i as u64).to_le_bytes());
    }
    let device = Default::default();
    let mlp = Mlp::<NdArray> {
        fc1: LinearConfig::new(64, 128).init(&device),
        fc2: LinearConfig::new(128, 10).init(&device),
    };
    let mlp = reinit(mlp, &root.derive("init"), &BurnDefaults)
        .ok()
        .unwrap();
    for t in [mlp.fc1.weight.val(), mlp.fc2.weight.val()] {
        let v: Vec<f32> = t.into_data().to_vec().unwrap();
        for x in v {
            bytes.extend(x.to_le_bytes());
        }
    }
    blake3::hash(&bytes).to_hex().to_string()
}

#[test]
fn same_bits_across_processes_and_thread_counts() {
    if std::env::var_os(CHILD_ENV).is_some() {
        println!("DIGEST={}", digest());
        return;
    }
    let here = digest();
    let exe = std::env::current_exe().unwrap();
    for threads in ["1", "2", "4"] {
        let out = Command::new(&exe)
            .args([
                "--exact",
                "same_bits_across_processes_and_thread_counts",
                "--nocapture",
            ])
            .env(CHILD_ENV, "1")
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {stdout}");
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("DIGEST=").map(|(_, v)| v.trim()))
            .unwrap_or_else(|| panic!("no digest in child output: {stdout}"));
        assert_eq!(line, here, "RAYON_NUM_THREADS={threads}");
    }
}
