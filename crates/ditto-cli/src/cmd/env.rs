//! `ditto env`.

use std::process::ExitCode;

use crate::backend_arg::BackendArg;
use crate::cmd::Res;

/// The arguments of `ditto env`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Backend to describe.
    #[arg(long, value_enum, default_value_t = BackendArg::Ndarray)]
    pub(crate) backend: BackendArg,
    /// CPU threads to describe.
    #[arg(long)]
    pub(crate) threads: Option<usize>,
}

/// Prints the provenance.
pub(crate) fn exec(a: Args) -> Res<ExitCode> {
    crate::cmd::set_threads(a.threads)?;
    let (name, device) = match a.backend {
        BackendArg::Ndarray => (
            "ditto<ndarray>".to_string(),
            format!("{:?}", burn::backend::ndarray::NdArrayDevice::default()),
        ),
        #[cfg(feature = "wgpu")]
        BackendArg::Wgpu => (
            "ditto<wgpu>".to_string(),
            format!("{:?}", burn::backend::wgpu::WgpuDevice::default()),
        ),
    };
    let p = ditto_train::Provenance::collect(&name, &device);
    println!("{}", serde_json::to_string_pretty(&p)?);
    Ok(ExitCode::SUCCESS)
}
