//! `ditto predict`: a trained bundled model's outputs for new inputs, as CSV.

use std::io::Write;
use std::path::PathBuf;

use crate::backend_arg::BackendArg;
use crate::cmd::Res;
use ditto_train::{BackendKind, BundledModel, DataSource, Outputs};

/// The arguments of `ditto predict`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The run directory (its `final.safetensors`, else `last.safetensors`; see `--best`), or
    /// one checkpoint file.
    pub(crate) run: PathBuf,
    /// The inputs: an IDX image file (`*-ubyte`, raw or `.gz`) or a CSV file laid out as the
    /// run's training CSV (with or without its label column, whose cells are skipped), by
    /// the file's name (`.csv`) unless `--format` says.
    #[arg(long, value_name = "FILE")]
    pub(crate) input: PathBuf,
    /// How to read `--input`.
    #[arg(long, value_enum)]
    pub(crate) format: Option<InputFormat>,
    /// Whether a CSV input's first row names the columns (default: as the run's training
    /// CSV; no header for runs that did not read CSV).
    #[arg(long)]
    pub(crate) header: Option<bool>,
    /// Use the run's best checkpoint by its validation metric (`summary.json`'s `best`).
    #[arg(long)]
    pub(crate) best: bool,
    /// Write the CSV here (replaced atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Inputs per forward pass. In canonical mode the outputs are the same bits for every
    /// batch size; in run-to-run mode only for the same one.
    #[arg(long, default_value_t = 64)]
    pub(crate) batch_size: usize,
    /// Run on this backend instead of the run's.
    #[arg(long, value_enum)]
    pub(crate) backend: Option<BackendArg>,
    /// CPU threads; never changes the outputs.
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Load a format-version-1 checkpoint (no header hash): only its tensor bytes are
    /// verified (a warning says so).
    #[arg(long)]
    pub(crate) allow_unverified_header: bool,
}

/// The input file formats.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InputFormat {
    Csv,
    Idx,
}

/// Writes the outputs CSV.
pub(crate) fn exec(a: Args) -> Res<()> {
    crate::cmd::set_threads(a.threads)?;
    let path = crate::cmd::checkpoint_path(&a.run, a.best)?;
    let ck =
        crate::cmd::read_checkpoint(&path, crate::cmd::read_options(a.allow_unverified_header))?;
    let model = BundledModel::of(&ck).map_err(|e| format!("{}: {e}", path.display()))?;
    let state = ck.run_state()?;
    eprintln!(
        "predicting with {} (step {}, mode {}, model {})",
        path.display(),
        state.step,
        model.config().mode,
        model.config().model.kind()
    );
    let (dims, values) = read_inputs(&a, &model)?;
    let backend = a.backend.map_or(model.config().backend, BackendArg::kind);
    let outputs = match backend {
        BackendKind::Ndarray => model.predict::<burn::backend::NdArray>(
            &ck,
            &dims,
            &values,
            a.batch_size,
            &Default::default(),
        )?,
        #[cfg(feature = "wgpu")]
        BackendKind::Wgpu => model.predict::<burn::backend::Wgpu>(
            &ck,
            &dims,
            &values,
            a.batch_size,
            &Default::default(),
        )?,
        #[cfg(not(feature = "wgpu"))]
        BackendKind::Wgpu => return Err("backend wgpu is not available in this build".into()),
    };
    let text = to_csv(&outputs, model.class_names());
    match &a.out {
        Some(out) => ditto_train::write_atomic(out, text.as_bytes())
            .map_err(|e| format!("{}: {e}", out.display()))?,
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("writing the outputs: {e}"))?,
    }
    eprintln!("{} inputs predicted", outputs.rows());
    Ok(())
}

/// The inputs' per-sample dimensions and raw values.
fn read_inputs(a: &Args, model: &BundledModel) -> Res<(Vec<usize>, Vec<f32>)> {
    let csv = match a.format {
        Some(f) => f == InputFormat::Csv,
        None => a
            .input
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv")),
    };
    if !csv {
        let arr = ditto_data::idx::read(&a.input)?;
        let Some((_, dims)) = arr.dims.split_first() else {
            return Err(format!("{}: an IDX file without dimensions", a.input.display()).into());
        };
        let dims = if dims.is_empty() {
            vec![1]
        } else {
            dims.to_vec()
        };
        return Ok((dims, arr.values));
    }
    let dims = model.sample_dims().ok_or(
        "this model reads images whose size only an IDX file gives: pass the inputs as IDX",
    )?;
    let features = dims.iter().product();
    let (header, label) = match &model.config().data.source {
        DataSource::Csv(s) => (a.header.unwrap_or(s.header), Some(s.label.clone())),
        _ => (a.header.unwrap_or(false), None),
    };
    let bytes = std::fs::read(&a.input).map_err(|e| format!("{}: {e}", a.input.display()))?;
    let values =
        ditto_data::csv::read_features(&bytes, &a.input, header, label.as_ref(), features)?;
    Ok((dims, values))
}

/// The outputs as CSV: `row,prediction,<one column per class>`, the class columns named
/// `logit_<class name or index>`, values printed as Rust's shortest round-trip decimal (the
/// same text is the same bits).
fn to_csv(o: &Outputs, names: Option<&[String]>) -> String {
    let name = |c: usize| {
        names
            .and_then(|n| n.get(c))
            .cloned()
            .unwrap_or(c.to_string())
    };
    let quote = |s: String| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut text = String::from("row,prediction");
    for c in 0..o.width {
        text.push(',');
        text.push_str(&quote(format!("logit_{}", name(c))));
    }
    text.push('\n');
    for r in 0..o.rows() {
        let pred = o.argmax(r).map_or(String::new(), |c| quote(name(c)));
        text.push_str(&format!("{r},{pred}"));
        for v in o.row(r).unwrap_or_default() {
            text.push_str(&format!(",{v}"));
        }
        text.push('\n');
    }
    text
}
