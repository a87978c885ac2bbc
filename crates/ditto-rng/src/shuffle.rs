//! Permutations and in-place shuffles (Fisher-Yates).

use crate::stream::Stream;

impl Stream {
    /// Class: portable. A uniform random permutation of `0..n`: the identity shuffled by
    /// [`Stream::shuffle`].
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        self.shuffle(&mut v);
        v
    }

    /// Class: portable. Shuffles `items` in place by Fisher-Yates, from the back: for `i` from
    /// `len - 1` down to 1, swap `i` with `j = below(i + 1)` ([`Stream::below`], 64-bit
    /// words, so the result does not depend on the width of `usize`).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below_nonzero(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Seed;

    #[test]
    fn value_stability() {
        let mut s = Seed::from_u64(0).derive("shuffle").stream();
        assert_eq!(s.permutation(10), [2, 6, 7, 4, 0, 8, 9, 3, 1, 5]);
        let mut letters = ['a', 'b', 'c', 'd', 'e'];
        s.shuffle(&mut letters);
        assert_eq!(letters, ['e', 'b', 'd', 'c', 'a']);
    }

    #[test]
    fn is_a_permutation() {
        let mut s = Seed::from_u64(1).stream();
        for n in [0, 1, 2, 17, 1000] {
            let mut p = s.permutation(n);
            p.sort_unstable();
            assert_eq!(p, (0..n).collect::<Vec<_>>());
        }
    }
}
