//! The command line: flags as `examples/finetune` and `ditto train` name them.

use std::path::PathBuf;

/// Class: not applicable. The usage line printed with a flag error.
pub const USAGE: &str = "usage: ditto-example-char-lm [--out DIR] [--seed S] [--max-steps N] \
     [--stop-at N] [--resume] [--threads N] [--workers N] [--backend ndarray|wgpu] [--sample N]";

/// Class: not applicable (a choice). The backend to train and sample on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Burn's NdArray (the CPU).
    Ndarray,
    /// Burn's Wgpu (builds with the `wgpu` feature).
    #[cfg(feature = "wgpu")]
    Wgpu,
}

impl Backend {
    /// Class: not applicable. The backend the run records.
    pub fn kind(self) -> ditto::train::BackendKind {
        match self {
            Self::Ndarray => ditto::train::BackendKind::Ndarray,
            #[cfg(feature = "wgpu")]
            Self::Wgpu => ditto::train::BackendKind::Wgpu,
        }
    }
}

/// Class: not applicable. The parsed flags.
#[derive(Clone, Debug)]
pub struct Args {
    /// The run directory (default `runs/char-lm-seed<S>`).
    pub out: PathBuf,
    /// The run's root seed (default 0).
    pub seed: u64,
    /// Stop after this many steps (a prefix of the full run: the schedule does not depend on
    /// it).
    pub max_steps: Option<usize>,
    /// Stop at this step (writing `last.safetensors`); `--resume` continues.
    pub stop_at: Option<usize>,
    /// Continue the run in `out` from its newest checkpoint.
    pub resume: bool,
    /// CPU threads (rayon and matrixmultiply); never changes the result.
    pub threads: Option<usize>,
    /// Data-loader worker threads; never changes the result.
    pub workers: Option<usize>,
    /// The backend.
    pub backend: Backend,
    /// Characters to sample from the best checkpoint after training (0: none).
    pub sample: usize,
}

/// Class: not applicable. Parses the flags; an error names the flag and what is wrong.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut it = args.into_iter();
    let (mut out, mut seed) = (None, 0u64);
    let mut a = Args {
        out: PathBuf::new(),
        seed: 0,
        max_steps: None,
        stop_at: None,
        resume: false,
        threads: None,
        workers: None,
        backend: Backend::Ndarray,
        sample: 200,
    };
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        fn number<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String>
        where
            T::Err: std::fmt::Display,
        {
            v.parse().map_err(|e| format!("{flag} {v:?}: {e}"))
        }
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--seed" => seed = number("--seed", value("--seed")?)?,
            "--max-steps" => a.max_steps = Some(number("--max-steps", value("--max-steps")?)?),
            "--stop-at" => a.stop_at = Some(number("--stop-at", value("--stop-at")?)?),
            "--threads" => a.threads = Some(number("--threads", value("--threads")?)?),
            "--workers" => a.workers = Some(number("--workers", value("--workers")?)?),
            "--sample" => a.sample = number("--sample", value("--sample")?)?,
            "--resume" => a.resume = true,
            "--backend" => {
                a.backend = match value("--backend")?.as_str() {
                    "ndarray" => Backend::Ndarray,
                    #[cfg(feature = "wgpu")]
                    "wgpu" => Backend::Wgpu,
                    #[cfg(not(feature = "wgpu"))]
                    "wgpu" => {
                        return Err("--backend wgpu: this build has no `wgpu` feature".into());
                    }
                    other => return Err(format!("--backend {other:?}: ndarray or wgpu")),
                }
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    if a.max_steps == Some(0) {
        return Err("--max-steps must be at least 1".into());
    }
    a.seed = seed;
    a.out = out.unwrap_or_else(|| PathBuf::from(format!("runs/char-lm-seed{seed}")));
    Ok(a)
}

/// Class: not applicable. Sets rayon's and matrixmultiply's thread counts; call before any
/// thread starts.
#[allow(unsafe_code)]
pub fn set_threads(threads: Option<usize>) -> Result<(), String> {
    let Some(n) = threads else { return Ok(()) };
    if n == 0 {
        return Err("--threads must be at least 1".into());
    }
    // SAFETY: called at start-up, before this process has spawned any thread, so nothing can
    // read the environment concurrently.
    unsafe {
        std::env::set_var("MATMUL_NUM_THREADS", n.to_string());
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|e| format!("--threads: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Args, String> {
        parse(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn flags_parse_and_bad_ones_are_named() {
        let a = p("--seed 3 --max-steps 100 --workers 3 --threads 2 --resume").unwrap();
        assert_eq!((a.seed, a.max_steps, a.workers), (3, Some(100), Some(3)));
        assert_eq!(a.out, PathBuf::from("runs/char-lm-seed3"));
        assert!(a.resume && a.threads == Some(2));
        assert!(p("--seed x").unwrap_err().contains("--seed"));
        assert!(p("--stop-at").unwrap_err().contains("needs a value"));
        assert!(p("--max-steps 0").is_err());
        assert!(p("--backend cuda").unwrap_err().contains("cuda"));
        assert!(p("--frobnicate").is_err());
    }
}
