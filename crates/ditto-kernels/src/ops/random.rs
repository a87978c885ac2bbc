//! Backend random ops drawn from the device's ditto-rng stream.

use burn_backend::{Distribution, TensorData};
use burn_std::{DType, FloatDType, IntDType, Shape};
use ditto_rng::Stream;

use crate::config::Strict;
use crate::context;
use crate::inner::Inner;
use crate::microbatch;
use crate::rng_state::RngState;

/// `float_random`: one op call, one stream (see [`RngState`]); values in row-major order:
/// * `Default`: `uniform_f32` in `[0, 1)`;
/// * `Uniform(lo, hi)`: `uniform_range_f32(lo as f32, hi as f32)`;
/// * `Bernoulli(p)`: `1.0` if `bernoulli(p)` else `0.0`;
/// * `Normal(mean, std)`: `normal_f32(mean as f32, std as f32)`.
pub(crate) fn float_random<B: Inner>(
    shape: Shape,
    distribution: Distribution,
    device: &B::Device,
    dtype: FloatDType,
) -> B::FloatTensorPrimitive {
    let mut stream = next_stream::<B>(device, "float_random");
    // A micro-batch draws its samples' part of the whole batch's values (`crate::microbatch`).
    let slice = microbatch::random_slice(&shape);
    let n = slice.map_or(shape.num_elements(), |(skip, take)| skip + take);
    let mut values = vec![0f32; n];
    let ok = match distribution {
        Distribution::Default => {
            values.iter_mut().for_each(|v| *v = stream.uniform_f32());
            Ok(())
        }
        Distribution::Uniform(lo, hi) => stream.fill_uniform_f32(&mut values, lo as f32, hi as f32),
        Distribution::Bernoulli(p) => fill_bernoulli(&mut stream, p, &mut values, 1.0, 0.0),
        Distribution::Normal(mean, std) => {
            stream.fill_normal_f32(&mut values, mean as f32, std as f32)
        }
    };
    if let Err(e) = ok {
        // Burn's random ops have no error path; a bad distribution is a programming error.
        panic!("ditto float_random({distribution:?}): {e}");
    }
    if let Some((skip, _)) = slice {
        values.drain(..skip);
    }
    let data = TensorData::new(values, shape).convert_dtype(DType::from(dtype));
    B::float_from_data(data, device)
}

/// `int_random`: as [`float_random`], with integers:
/// * `Default`: uniform in `0..255` (burn-ndarray's choice);
/// * `Uniform(lo, hi)`: uniform in `lo as i64 .. hi as i64` (`lo` when that range is empty);
/// * `Bernoulli(p)`: 1 or 0;
/// * `Normal(mean, std)`: `normal_f64`, scaled, rounded half away from zero.
pub(crate) fn int_random<B: Inner>(
    shape: Shape,
    distribution: Distribution,
    device: &B::Device,
    dtype: IntDType,
) -> B::IntTensorPrimitive {
    let mut stream = next_stream::<B>(device, "int_random");
    let slice = microbatch::random_slice(&shape);
    let n = slice.map_or(shape.num_elements(), |(skip, take)| skip + take);
    let mut values = vec![0i64; n];
    let (lo, hi) = match distribution {
        Distribution::Default => (0, 255),
        Distribution::Uniform(lo, hi) => (lo as i64, hi as i64),
        _ => (0, 0),
    };
    match distribution {
        Distribution::Default | Distribution::Uniform(..) => {
            for v in &mut values {
                *v = stream.range_i64(lo, hi).unwrap_or(lo);
            }
        }
        Distribution::Bernoulli(p) => {
            if let Err(e) = fill_bernoulli(&mut stream, p, &mut values, 1, 0) {
                panic!("ditto int_random({distribution:?}): {e}");
            }
        }
        Distribution::Normal(mean, std) => {
            for v in &mut values {
                *v = (mean + std * stream.normal_f64()).round() as i64;
            }
        }
    }
    if let Some((skip, _)) = slice {
        values.drain(..skip);
    }
    let data = TensorData::new(values, shape).convert_dtype(DType::from(dtype));
    B::int_from_data(data, device)
}

fn fill_bernoulli<T: Copy>(
    stream: &mut Stream,
    p: f64,
    out: &mut [T],
    one: T,
    zero: T,
) -> Result<(), ditto_rng::Error> {
    for v in out {
        *v = if stream.bernoulli(p)? { one } else { zero };
    }
    Ok(())
}

/// The stream for this random op. Without an installed state, strict `Error` refuses (a run
/// whose randomness is not seeded from its config is not reproducible on purpose); `Warn`
/// and `Off` fall back to `RngState::from_u64(0)`.
fn next_stream<B: Inner>(device: &B::Device, op: &'static str) -> Stream {
    let (stream, strict, fresh) = context::with::<B, _>(device, |c| {
        let fresh = c.rng.is_none();
        let rng = c.rng.get_or_insert_with(|| RngState::from_u64(0));
        (rng.next_stream(), c.config.strict, fresh)
    });
    if fresh {
        match strict {
            Strict::Error => {
                // A refused op installs no state (recorded, it draws from seed 0 once).
                context::with::<B, _>(device, |c| c.rng = None);
                crate::strict::refuse::<B>(
                    device,
                    crate::refusal::Refusal {
                        op,
                        backend: B::name(device),
                        why: "it has no seeded random state on this thread: call \
                              `B::seed(&device, seed)` (or `Ditto::set_rng_state`) on the thread \
                              that runs the model before any random op"
                            .to_owned(),
                    },
                );
            }
            Strict::Warn => tracing::warn!(
                op,
                "ditto: no random state installed for this device on this thread; using seed 0"
            ),
            Strict::Off => {}
        }
    }
    stream
}
