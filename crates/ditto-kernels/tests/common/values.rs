//! Test inputs shared by the canonical-kernel tests: normal values from a labelled stream of
//! seed 11, and f32 bits for exact comparisons. Included with `#[path]`.

use ditto_rng::Seed;

/// `n` standard normal values from the stream `Seed(11)/label`.
pub fn normal(label: &str, n: usize) -> Vec<f32> {
    let mut s = Seed::from_u64(11).derive(label).stream();
    let mut v = vec![0.0f32; n];
    s.fill_normal_f32(&mut v, 0.0, 1.0).unwrap();
    v
}

/// The bits of each value.
pub fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}
