//! `[parallel]`'s cost: the bundled examples trained in canonical mode through `Trainer` with
//! one peer on 2 threads (`1 x 1`), two peers of one thread each (`2 x 1`), and one peer with
//! 4 micro-batches per step (`1 x 4`, the same global batch), on the rayon pool of the bench
//! (2 threads unless `RAYON_NUM_THREADS` says otherwise).
//!
//! `cargo bench --bench parallel [-- --model mlp|cnn|transformer] [--steps N] [--rounds R]`
//! trains each variant for `N` and for `2 N` steps and takes the difference over `N` as the
//! step time (so start-up, evaluation and file writes cancel out), in `R` rounds whose
//! variant order rotates, and prints one line per model with the median step times and their
//! ratios to `1 x 1`. Every variant's weights are also compared: they must be identical.

#![allow(missing_docs)]

use std::process::ExitCode;
use std::time::Instant;

use burn::backend::NdArray;
use ditto::train::{Mode, TrainConfig, TrainData, Trainer};

const VARIANTS: [(usize, usize); 3] = [(1, 1), (2, 1), (1, 4)];

fn config(model: &str) -> Result<TrainConfig, String> {
    let text = match model {
        "mlp" => include_str!("../examples/digits-mlp/config.toml"),
        "cnn" => include_str!("../examples/fashion-cnn/config.toml"),
        "transformer" => include_str!("../examples/digits-transformer/config.toml"),
        other => {
            return Err(format!(
                "--model must be mlp, cnn or transformer, not `{other}`"
            ));
        }
    };
    let mut cfg = TrainConfig::from_toml(text).map_err(|e| e.to_string())?;
    cfg.mode = Mode::Canonical;
    cfg.checkpoint_every = 0;
    cfg.trace.every = 0;
    cfg.log_every = 1_000_000;
    Ok(cfg)
}

/// Seconds to train `steps` steps with `peers x accumulate`, and the final fingerprint.
fn fit(cfg: &TrainConfig, data: &TrainData, steps: usize, (w, k): (usize, usize)) -> (f64, String) {
    let mut cfg = cfg.clone();
    cfg.max_steps = Some(steps);
    cfg.parallel.peers = w;
    cfg.parallel.accumulate = k;
    let dir = std::env::temp_dir().join(format!(
        "ditto-bench-parallel-{}-{steps}-{w}x{k}",
        std::process::id()
    ));
    let t = Instant::now();
    let summary = Trainer::new(cfg)
        .expect("a valid config")
        .out(&dir)
        .fit_bundled::<NdArray>(data, &Default::default())
        .expect("training runs");
    let seconds = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    (seconds, summary.fingerprint)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run(model: &str, steps: usize, rounds: usize) -> Result<(), String> {
    let cfg = config(model)?;
    let data = TrainData::bundled(&cfg).map_err(|e| e.to_string())?;
    let mut times = vec![Vec::new(); VARIANTS.len()];
    let mut prints = vec![String::new(); VARIANTS.len()];
    for r in 0..rounds {
        for i in 0..VARIANTS.len() {
            let v = (i + r) % VARIANTS.len();
            let (short, _) = fit(&cfg, &data, steps, VARIANTS[v]);
            let (long, fp) = fit(&cfg, &data, 2 * steps, VARIANTS[v]);
            times[v].push((long - short) / steps as f64 * 1e3);
            prints[v] = fp;
        }
    }
    if prints.iter().any(|p| p != &prints[0]) {
        return Err(format!("{model}: the variants' weights differ: {prints:?}"));
    }
    let ms: Vec<f64> = times.into_iter().map(median).collect();
    let cells: Vec<String> = VARIANTS
        .iter()
        .zip(&ms)
        .map(|((w, k), t)| format!("{w}x{k} {t:.3} ms ({:.2}x)", t / ms[0]))
        .collect();
    println!(
        "{model} (batch {}, {} threads): {}",
        cfg.batch_size,
        rayon::current_num_threads(),
        cells.join(", ")
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut models = vec!["mlp".to_owned(), "cnn".to_owned(), "transformer".to_owned()];
    let (mut steps, mut rounds) = (None, 3);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // `cargo bench` passes `--bench`.
        if flag == "--bench" {
            continue;
        }
        let parsed = match (flag.as_str(), it.next()) {
            ("--model", Some(m)) => {
                models = vec![m];
                Ok(())
            }
            ("--steps", Some(n)) => n
                .parse::<usize>()
                .map(|n| steps = Some(n))
                .map_err(|e| e.to_string()),
            ("--rounds", Some(n)) => n
                .parse::<usize>()
                .map(|n| rounds = n)
                .map_err(|e| e.to_string()),
            (f, _) => Err(format!("unknown or incomplete argument `{f}`")),
        };
        if let Err(e) = parsed {
            eprintln!("parallel: {e}");
            return ExitCode::FAILURE;
        }
    }
    for model in &models {
        let n = steps.unwrap_or(if model == "cnn" { 40 } else { 100 });
        let result = rayon::ThreadPoolBuilder::new()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|pool| pool.install(|| run(model, n, rounds.max(1))));
        if let Err(e) = result {
            eprintln!("parallel: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
