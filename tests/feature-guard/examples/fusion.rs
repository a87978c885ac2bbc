//! Must not compile. With Burn's `fusion` feature (on with `burn`'s default features and
//! `wgpu`), `burn::backend::Wgpu` is `Fusion<CubeBackend<..>>`, which `Ditto<B>` refuses to
//! wrap; `scripts/feature-guard.sh` checks that the compiler's message names the feature and
//! how to turn it off.

use burn::backend::Wgpu;
use ditto::train::{TrainConfig, TrainData, Trainer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = TrainConfig::default();
    let data = TrainData::bundled(&config)?;
    let summary = Trainer::new(config)?.fit_bundled::<Wgpu>(&data, &Default::default())?;
    println!("{}", summary.fingerprint);
    Ok(())
}
