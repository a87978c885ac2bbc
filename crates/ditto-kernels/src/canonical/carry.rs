//! Canonical sums fed in pieces: micro-batches continue one another's sums.
//!
//! A canonical sum (`reduce`'s module docs) puts element `r` of the sequence in chunk
//! `r / CHUNK`, lane `r % LANES`. [`ColumnSums`] keeps the finished chunk sums and the open
//! chunk's lanes between pieces, so pushing `x[0 .. a)` and then `x[a .. L)` gives the same
//! bits as one `sum_dim` over `x[0 .. L)`, for every cut `a`. The matmul's chain needs no such
//! state: its accumulator is the output itself (`matmul::matmul_strided_from`).

use super::error::{Error, check_len};
use super::reduce::{CHUNK, LANES, tree_sum};

/// Class: portable (canonical). `width` canonical sums, one per column, of rows pushed in
/// order: after the rows of `x` (`[len, width]`, row-major) were pushed in any number of
/// pieces, [`ColumnSums::values`] equals `sum_dim` of `x` along its first axis, bit for bit.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSums {
    width: usize,
    rows: usize,
    /// The open chunk: lane `j` of column `i` at `j * width + i`.
    lanes: Vec<f32>,
    /// Finished chunks: chunk `c` of column `i` at `c * width + i`.
    chunks: Vec<f32>,
}

impl ColumnSums {
    /// Class: portable (canonical). `width` empty sums (each `+0.0`).
    pub fn new(width: usize) -> Self {
        Self {
            width,
            rows: 0,
            lanes: vec![0.0; LANES * width],
            chunks: Vec::new(),
        }
    }

    /// Class: portable (canonical). The number of values in each sum.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Class: portable (canonical). How many rows were pushed.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Class: portable (canonical). Adds the rows of `x` (`[rows, width]`, row-major) after
    /// those pushed before. Errors if `x` is not a whole number of rows.
    pub fn push_rows(&mut self, x: &[f32]) -> Result<(), Error> {
        let w = self.width;
        if w == 0 {
            return check_len("column_sums", "x", x.len(), 0);
        }
        if !x.len().is_multiple_of(w) {
            return Err(Error::shape(
                "column_sums",
                format!("{} values are not whole rows of {w}", x.len()),
            ));
        }
        for row in x.chunks_exact(w) {
            let lane = self.rows % LANES;
            for (a, &v) in self.lanes[lane * w..(lane + 1) * w].iter_mut().zip(row) {
                *a += v;
            }
            self.rows += 1;
            if self.rows.is_multiple_of(CHUNK) {
                self.close_chunk();
            }
        }
        Ok(())
    }

    fn close_chunk(&mut self) {
        let w = self.width;
        let mut col = [0.0f32; LANES];
        for i in 0..w {
            for (j, v) in col.iter_mut().enumerate() {
                *v = self.lanes[j * w + i];
            }
            self.chunks.push(tree_sum(&col));
        }
        self.lanes.fill(0.0);
    }

    /// Class: portable (canonical). The sums so far into `out` (`width` long). Errors on a
    /// length mismatch.
    pub fn values(&self, out: &mut [f32]) -> Result<(), Error> {
        let w = self.width;
        check_len("column_sums", "out", out.len(), w)?;
        let closed = self.chunks.len() / w.max(1);
        let open = !self.rows.is_multiple_of(CHUNK);
        let mut col = Vec::with_capacity(closed + 1);
        let mut lanes = [0.0f32; LANES];
        for (i, o) in out.iter_mut().enumerate() {
            col.clear();
            col.extend((0..closed).map(|c| self.chunks[c * w + i]));
            if open {
                for (j, v) in lanes.iter_mut().enumerate() {
                    *v = self.lanes[j * w + i];
                }
                col.push(tree_sum(&lanes));
            }
            *o = tree_sum(&col);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::reduce::{Axis, sum_all, sum_dim};

    /// A reproducible spread of magnitudes and signs, so that the order of additions shows.
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let m = (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                m * f32::powi(2.0, (s % 24) as i32 - 12)
            })
            .collect()
    }

    #[test]
    fn any_cut_gives_the_whole_sum() {
        for &(len, width) in &[
            (0, 3),
            (1, 1),
            (31, 2),
            (33, 5),
            (4096, 1),
            (4097, 2),
            (9000, 3),
        ] {
            let x = values(len * width, len as u32 + 7);
            let mut want = vec![0.0f32; width];
            sum_dim(
                &x,
                Axis {
                    outer: 1,
                    len,
                    inner: width,
                },
                &mut want,
            )
            .unwrap();
            for cuts in [vec![], vec![len / 2], vec![1, 33, 4095, 4096, 4100]] {
                let mut s = ColumnSums::new(width);
                let mut at = 0;
                for c in cuts.into_iter().filter(|&c| c <= len).chain([len]) {
                    s.push_rows(&x[at * width..c * width]).unwrap();
                    at = c;
                }
                let mut got = vec![0.0f32; width];
                s.values(&mut got).unwrap();
                let (g, w): (Vec<u32>, Vec<u32>) = got
                    .iter()
                    .zip(&want)
                    .map(|(a, b)| (a.to_bits(), b.to_bits()))
                    .unzip();
                assert_eq!(g, w, "len {len} width {width}");
                assert_eq!(s.rows(), len);
            }
        }
    }

    #[test]
    fn one_column_is_sum_all() {
        let x = values(10_000, 3);
        let mut s = ColumnSums::new(1);
        for piece in x.chunks(777) {
            s.push_rows(piece).unwrap();
        }
        let mut got = [0.0f32];
        s.values(&mut got).unwrap();
        assert_eq!(got[0].to_bits(), sum_all(&x).to_bits());
        // A chained sum over the same values gives other bits: the test can tell orders apart.
        let chained = x.iter().fold(0.0f32, |a, &v| a + v);
        assert_ne!(chained.to_bits(), got[0].to_bits());
    }

    #[test]
    fn refuses_partial_rows() {
        let mut s = ColumnSums::new(3);
        assert!(s.push_rows(&[1.0, 2.0]).is_err());
        assert!(s.values(&mut [0.0; 2]).is_err());
        assert!(ColumnSums::new(0).push_rows(&[1.0]).is_err());
    }
}
