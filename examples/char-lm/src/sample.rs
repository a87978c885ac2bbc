//! Seeded sampling: characters drawn one at a time from a trained model, the same text on
//! every run, thread count and machine.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use ditto::Seed;

use crate::data::Corpus;
use crate::model::CharLm;

/// Class: not applicable (a choice). What to sample.
#[derive(Clone, Debug)]
pub struct SampleSpec {
    /// The text the sample starts from (its characters must be in the vocabulary).
    pub prompt: String,
    /// Characters to draw after the prompt.
    pub chars: usize,
    /// Softmax temperature (> 0): below 1 sharpens the distribution.
    pub temperature: f64,
    /// The run's seed: the draws are `Seed::from_u64(seed).derive("sample")`'s stream.
    pub seed: u64,
}

/// Class: portable when `model` runs canonical kernels (its logits are then the same bits on
/// every machine): the draws come from the seed tree (one uniform f32 per character, drawn up
/// front), and the softmax, its cumulative sum and the choice are computed on the host in f64
/// with `libm`'s `exp` (no platform math library). The prompt and the sample, as text.
///
/// Every forward pass has the same shape, `[1, context]`: the last `context` tokens, padded
/// on the right with token 0 while the text is shorter. The causal mask keeps the padding out
/// of the logits read (those of the last real token).
pub fn sample<B: Backend>(
    model: &CharLm<B>,
    corpus: &Corpus,
    context: usize,
    spec: &SampleSpec,
    device: &B::Device,
) -> Result<String, String> {
    if !(spec.temperature > 0.0 && spec.temperature.is_finite()) {
        return Err(format!("temperature {} must be above 0", spec.temperature));
    }
    let mut ids = corpus.encode(&spec.prompt)?;
    if ids.is_empty() {
        return Err("the prompt is empty".to_owned());
    }
    let mut draws = vec![0f32; spec.chars];
    Seed::from_u64(spec.seed)
        .derive("sample")
        .stream()
        .fill_uniform_f32(&mut draws, 0.0, 1.0)
        .map_err(|e| format!("sampling draws: {e}"))?;
    for u in draws {
        let window = &ids[ids.len().saturating_sub(context)..];
        let mut input: Vec<i64> = window.iter().map(|&t| i64::from(t)).collect();
        input.resize(context, 0);
        let input = Tensor::<B, 2, Int>::from_data(TensorData::new(input, [1, context]), device);
        let logits: Vec<f32> = model
            .logits_at(input, window.len() - 1)
            .into_data()
            .to_vec()
            .map_err(|e| format!("logits: {e:?}"))?;
        let next = choose(&logits, spec.temperature, f64::from(u))?;
        ids.push(u8::try_from(next).map_err(|_| "token id above 255".to_owned())?);
    }
    Ok(corpus.decode(&ids))
}

/// The token whose cumulative probability first exceeds `u` (in [0, 1)) under
/// `softmax(logits / temperature)`, computed in f64 in index order.
fn choose(logits: &[f32], temperature: f64, u: f64) -> Result<usize, String> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() || logits.iter().any(|l| l.is_nan()) {
        return Err(format!("the model's logits are not finite (max {max})"));
    }
    let weights: Vec<f64> = logits
        .iter()
        .map(|&l| libm::exp((f64::from(l) - f64::from(max)) / temperature))
        .collect();
    let target = u * weights.iter().sum::<f64>();
    let mut cumulative = 0.0;
    for (i, w) in weights.iter().enumerate() {
        cumulative += w;
        if cumulative > target {
            return Ok(i);
        }
    }
    Ok(weights.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::choose;

    #[test]
    fn choose_follows_the_cumulative_distribution() {
        let logits = [0.0f32, 0.0, (3f32).ln()];
        // Probabilities 0.2, 0.2, 0.6.
        assert_eq!(choose(&logits, 1.0, 0.0).unwrap(), 0);
        assert_eq!(choose(&logits, 1.0, 0.3).unwrap(), 1);
        assert_eq!(choose(&logits, 1.0, 0.41).unwrap(), 2);
        assert_eq!(choose(&logits, 1.0, 0.999_999).unwrap(), 2);
        assert!(choose(&[f32::NAN, 0.0], 1.0, 0.5).is_err());
    }
}
