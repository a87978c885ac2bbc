//! The run factory of `ditto sweep`: each cell is a child `ditto train` process with the
//! cell's config, thread count and `DITTO_SIMD`, its stderr kept in `cells/<id>.log`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ditto_train::RunSummary;
use ditto_train::sweep::{CellRun, FactoryResult};

/// A factory running each cell as `exe train --config cells/<id>.toml --out cells/<id>`.
pub(crate) fn child_train(
    exe: PathBuf,
    cells: PathBuf,
) -> impl Fn(&CellRun<'_>) -> FactoryResult + Sync {
    move |cell: &CellRun<'_>| run(&exe, &cells, cell)
}

fn run(exe: &Path, cells: &Path, cell: &CellRun<'_>) -> FactoryResult {
    let config = cells.join(format!("{}.toml", cell.id));
    std::fs::write(&config, cell.config.to_toml()?)
        .map_err(|e| format!("{}: {e}", config.display()))?;
    let log_path = cells.join(format!("{}.log", cell.id));
    let log =
        std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("train")
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(cell.dir)
        .stdout(Stdio::null())
        .stderr(log);
    if let Some(t) = cell.threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    match cell.simd {
        None | Some("auto") => {
            cmd.env_remove("DITTO_SIMD");
        }
        Some(level) => {
            cmd.env("DITTO_SIMD", level);
        }
    }
    let status = cmd
        .status()
        .map_err(|e| format!("starting {}: {e}", exe.display()))?;
    if !status.success() {
        return Err(format!("`ditto train` {status}; see cells/{}.log", cell.id).into());
    }
    let path = cell.dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let summary: RunSummary =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(summary)
}
