//! The ditto half of the peer benchmark (`benches/peers/run.py`): one bundled model's
//! training step (forward, cross-entropy, backward, Adam) as plain `Autodiff<NdArray>`, and
//! as `Autodiff<Ditto<NdArray>>` in run-to-run and in canonical mode, same weights and batch.
//!
//! `cargo bench --bench peer_steps -- --model mlp|cnn|transformer [--steps N] [--warmup W]`
//! runs the three variants in turn, `W` untimed steps then `N` timed ones each, the order
//! rotating over three passes, and prints one JSON line:
//! `{"model": "cnn", "plain": ms, "run_to_run": ms, "canonical": ms}` (median ms per step).
//! Threads follow `RAYON_NUM_THREADS`, as for the `ditto` binary. `--only plain|run-to-run|
//! canonical` times one variant (the others print 0), for a profiler.

#![allow(missing_docs)]

#[path = "common/models.rs"]
mod models;
#[path = "common/step.rs"]
mod step;

use std::process::ExitCode;
use std::time::Instant;

use burn::backend::{Autodiff, NdArray};
use ditto::kernels::KernelMode;
use step::{median, mode};

type Plain = Autodiff<NdArray>;
type Wrapped = Autodiff<Ditto>;
type Ditto = ditto::kernels::Ditto<NdArray>;

/// What the command line asks for.
struct Args {
    model: String,
    steps: usize,
    warmup: usize,
    /// The one variant to time (0 plain, 1 run-to-run, 2 canonical), or every one.
    only: Option<usize>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        model: String::new(),
        steps: 20,
        warmup: 3,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => a.model = value()?,
            "--steps" => a.steps = number(&value()?)?,
            "--warmup" => a.warmup = number(&value()?)?,
            "--only" => {
                let v = value()?;
                let i = ["plain", "run-to-run", "canonical"]
                    .iter()
                    .position(|n| *n == v);
                a.only = Some(i.ok_or_else(|| format!("--only: unknown variant `{v}`"))?);
            }
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => {}
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if a.steps == 0 {
        return Err("--steps must be at least 1".into());
    }
    Ok(a)
}

fn number(s: &str) -> Result<usize, String> {
    s.parse().map_err(|_| format!("`{s}` is not a count"))
}

/// Median ms per step of `n` timed steps after `warmup` untimed ones.
fn time(warmup: usize, n: usize, step: &mut dyn FnMut()) -> f64 {
    for _ in 0..warmup {
        step();
    }
    let times = (0..n)
        .map(|_| {
            let t = Instant::now();
            step();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(times)
}

/// Three passes over (plain, run-to-run, canonical), the order rotating; each variant's
/// figure is the median of its three pass medians.
fn measure(a: &Args, mut plain: impl FnMut(), mut wrapped: impl FnMut()) -> [f64; 3] {
    let mut t: [Vec<f64>; 3] = Default::default();
    for pass in 0..3 {
        for slot in 0..3 {
            let v = (pass + slot) % 3;
            if a.only.is_some_and(|o| o != v) {
                t[v].push(0.0);
                continue;
            }
            let ms = match v {
                0 => time(a.warmup, a.steps, &mut plain),
                1 => {
                    mode(KernelMode::RunToRun);
                    time(a.warmup, a.steps, &mut wrapped)
                }
                _ => {
                    mode(KernelMode::Canonical);
                    let ms = time(a.warmup, a.steps, &mut wrapped);
                    mode(KernelMode::RunToRun);
                    ms
                }
            };
            t[v].push(ms);
        }
    }
    t.map(median)
}

fn main() -> ExitCode {
    // On a rayon pool thread, as `Trainer::fit` runs its loop: Burn's parallel ops then start
    // from inside the pool instead of handing each job to it.
    rayon::scope(|_| run())
}

fn run() -> ExitCode {
    let a = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("peer_steps: {e}");
            return ExitCode::from(2);
        }
    };
    let d = Default::default();
    let [p, r, c] = match a.model.as_str() {
        "mlp" => {
            let (mut x, mut y) = (models::mlp::<Plain>(&d), models::mlp::<Wrapped>(&d));
            measure(&a, || x.run(), || y.run())
        }
        "cnn" => {
            let (mut x, mut y) = (models::cnn::<Plain>(&d), models::cnn::<Wrapped>(&d));
            measure(&a, || x.run(), || y.run())
        }
        "transformer" => {
            let (mut x, mut y) = (
                models::transformer::<Plain>(&d),
                models::transformer::<Wrapped>(&d),
            );
            measure(&a, || x.run(), || y.run())
        }
        other => {
            eprintln!("peer_steps: --model must be mlp, cnn or transformer, not `{other}`");
            return ExitCode::from(2);
        }
    };
    println!(
        "{{\"model\": \"{}\", \"plain\": {p:.4}, \"run_to_run\": {r:.4}, \"canonical\": {c:.4}}}",
        a.model
    );
    ExitCode::SUCCESS
}
