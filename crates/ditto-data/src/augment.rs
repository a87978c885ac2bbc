//! Per-sample augmentation whose randomness is keyed by (epoch, sample index).

use ditto_rng::Seed;

use crate::dataset::Sample;

/// Class: portable. A transform applied by the [`Loader`](crate::Loader) to each item, given
/// the epoch and the item's dataset index. It runs on whichever worker built the batch, so it
/// must depend only on its arguments.
pub trait Transform<T>: Send + Sync {
    /// Class: portable. Transforms `item`, dataset index `index`, in epoch `epoch`.
    fn apply(&self, epoch: u64, index: usize, item: T) -> T;
}

/// Class: portable. One image augmentation (images are `height x width`, row-major, one
/// channel).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Augmentation {
    /// Pad by `padding` zero pixels on every side, then crop a `height x width` window at a
    /// uniformly drawn offset in `0..=2*padding` on each axis.
    RandomCrop {
        /// Padding in pixels.
        padding: usize,
    },
    /// Mirror left-right with probability 1/2.
    HorizontalFlip,
    /// Add independent Gaussian noise of standard deviation `std` to every value.
    GaussianNoise {
        /// Standard deviation (finite, >= 0).
        std: f32,
    },
}

/// Class: portable. A chain of [`Augmentation`]s for images of `height x width`. Sample `i` in
/// epoch `e` draws from `seed.derive("augment").derive_index(e).derive_index(i)`, in chain
/// order, so its output never depends on the worker or the time it ran.
#[derive(Clone, Debug, PartialEq)]
pub struct Augmenter {
    seed: Seed,
    height: usize,
    width: usize,
    chain: Vec<Augmentation>,
}

impl Augmenter {
    /// Class: portable. An augmenter with root seed `seed` (the run's seed).
    pub fn new(seed: Seed, height: usize, width: usize, chain: Vec<Augmentation>) -> Self {
        Self {
            seed,
            height,
            width,
            chain,
        }
    }

    /// Class: portable. Applies the chain to `features` (`height * width` values; any other
    /// length is left unchanged).
    pub fn augment(&self, epoch: u64, index: usize, features: &mut [f32]) {
        let (h, w) = (self.height, self.width);
        if features.len() != h * w {
            return;
        }
        let mut s = self
            .seed
            .derive("augment")
            .derive_index(epoch)
            .derive_index(index as u64)
            .stream();
        for a in &self.chain {
            match *a {
                Augmentation::RandomCrop { padding } => {
                    let span = 2 * padding as u64 + 1;
                    let dy = s.below(span).unwrap_or(0) as isize - padding as isize;
                    let dx = s.below(span).unwrap_or(0) as isize - padding as isize;
                    let src = features.to_vec();
                    for y in 0..h {
                        for x in 0..w {
                            let (sy, sx) = (y as isize + dy, x as isize + dx);
                            features[y * w + x] =
                                if sy >= 0 && sx >= 0 && (sy as usize) < h && (sx as usize) < w {
                                    src[sy as usize * w + sx as usize]
                                } else {
                                    0.0
                                };
                        }
                    }
                }
                Augmentation::HorizontalFlip => {
                    if s.bernoulli(0.5).unwrap_or(false) {
                        for row in features.chunks_exact_mut(w) {
                            row.reverse();
                        }
                    }
                }
                Augmentation::GaussianNoise { std } => {
                    for v in features.iter_mut() {
                        *v += s.normal_f32(0.0, std).unwrap_or(0.0);
                    }
                }
            }
        }
    }
}

impl Transform<Sample> for Augmenter {
    fn apply(&self, epoch: u64, index: usize, mut item: Sample) -> Sample {
        self.augment(epoch, index, &mut item.features);
        item
    }
}
