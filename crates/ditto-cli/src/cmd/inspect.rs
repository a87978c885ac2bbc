//! `ditto inspect`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cmd::Res;
use ditto_train::{Checkpoint, DataSource};

/// The arguments of `ditto inspect`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A checkpoint file (or a run directory: its final or newest checkpoint).
    pub(crate) path: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Load format-version-1 checkpoints (written before header hashes) too: only their
    /// tensor bytes are verified, not their config, state or provenance (a warning says so).
    /// Without it they are refused.
    #[arg(long)]
    pub(crate) allow_unverified_header: bool,
}

/// Prints the checkpoint.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    let path = a.path;
    let options = crate::cmd::read_options(a.allow_unverified_header);
    let file = if path.is_dir() {
        let fin = path.join("final.safetensors");
        if fin.is_file() {
            fin
        } else {
            ditto_train::locate_checkpoint_with(&path, options)?.0
        }
    } else {
        path
    };
    let (ck, integrity) = Checkpoint::read_with(&file, options)?;
    if let Some(warning) = integrity.unverified_warning(&file) {
        eprintln!("{warning}");
    }
    if a.json {
        let tensors: serde_json::Map<String, serde_json::Value> = ck
            .tensors
            .iter()
            .map(|(name, t)| {
                (
                    name.clone(),
                    serde_json::json!({
                        "dtype": format!("{:?}", t.dtype),
                        "shape": t.shape,
                        "blake3": t.blake3(),
                    }),
                )
            })
            .collect();
        let data = match ck.run_state() {
            Ok(st) => data_json(&st.config.data.source),
            Err(_) => serde_json::Value::Null,
        };
        let doc = serde_json::json!({
            "checkpoint": file.display().to_string(),
            "integrity": integrity.describe(),
            "data": data,
            "state": ck.state,
            "provenance": ck.provenance,
            "tensors": tensors,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("checkpoint: {}", file.display());
    println!("integrity: {}", integrity.describe());
    match ck.run_state() {
        Ok(st) => {
            println!(
                "step {}  next batch: epoch {} batch {}",
                st.step, st.epoch, st.batch
            );
            let c = &st.config;
            println!("seed {}  mode {}  backend {}", c.seed, c.mode, c.backend);
            println!("fingerprint: {}", st.fingerprint);
            print_data(&c.data.source);
            println!(
                "decorator random state: {}",
                serde_json::to_string(&st.backend_rng)?
            );
            println!("config:");
            for line in c.to_toml()?.lines() {
                println!("  {line}");
            }
        }
        Err(e) => println!("(no trainer state: {e})"),
    }
    println!(
        "provenance: {}",
        serde_json::to_string_pretty(&ck.provenance)?
    );
    println!("tensors:");
    for (name, t) in &ck.tensors {
        println!(
            "  {name:<32} {:?} {:?} blake3 {}",
            t.dtype,
            t.shape,
            &t.blake3()[..16]
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The run's data: its source and each file's path, SHA-256 and length.
fn data_json(source: &DataSource) -> serde_json::Value {
    let files: Vec<serde_json::Value> = source
        .files()
        .into_iter()
        .map(|(role, f)| {
            serde_json::json!({
                "role": role,
                "path": f.path.display().to_string(),
                "sha256": f.pin.map(|p| p.sha256.to_string()),
                "bytes": f.pin.map(|p| p.bytes),
            })
        })
        .collect();
    let content = match source {
        DataSource::InMemory { content, .. } => content.map(|c| c.to_string()),
        _ => None,
    };
    serde_json::json!({
        "source": source.describe(),
        "files": files,
        "content_sha256": content,
        "class_names": class_names(source),
    })
}

fn print_data(source: &DataSource) {
    println!("data: {}", source.describe());
    if let DataSource::InMemory {
        content: Some(c), ..
    } = source
    {
        println!("  content sha256 {c}");
    }
    for (role, f) in source.files() {
        match f.pin {
            Some(p) => println!("  {role:<13} {}  {p}", f.path.display()),
            None => println!("  {role:<13} {}  (not pinned)", f.path.display()),
        }
    }
    if let Some(names) = class_names(source) {
        println!("  {:<13} {names:?}", "class_names");
    }
}

/// The class names of a CSV source with text labels, in class order.
fn class_names(source: &DataSource) -> Option<&[String]> {
    match source {
        DataSource::Csv(s) => s.class_names.as_deref(),
        _ => None,
    }
}
