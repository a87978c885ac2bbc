//! Bounded integers: Lemire's nearly-divisionless method, on fixed-width words.

use crate::error::Error;
use crate::stream::Stream;

impl Stream {
    /// Class: portable. A uniform integer in `0..n` (Lemire's multiply-and-reject on 64-bit
    /// words; one or more `next_u64` draws). Never samples `usize`, so 32- and 64-bit targets
    /// agree. Errors when `n == 0`.
    pub fn below(&mut self, n: u64) -> Result<u64, Error> {
        if n == 0 {
            return Err(Error::invalid("below(0): the range 0..0 is empty"));
        }
        Ok(self.below_nonzero(n))
    }

    /// Class: portable. A uniform integer in `0..n` from 32-bit words (Lemire, one or more
    /// `next_u32` draws). Errors when `n == 0`.
    pub fn below_u32(&mut self, n: u32) -> Result<u32, Error> {
        if n == 0 {
            return Err(Error::invalid("below_u32(0): the range 0..0 is empty"));
        }
        let mut m = u64::from(self.next_u32()) * u64::from(n);
        if (m as u32) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u32) < threshold {
                m = u64::from(self.next_u32()) * u64::from(n);
            }
        }
        Ok((m >> 32) as u32)
    }

    /// Class: portable. A uniform integer in `low..high` (as [`Stream::below`] of the width).
    /// Errors when the range is empty.
    pub fn range_i64(&mut self, low: i64, high: i64) -> Result<i64, Error> {
        if low >= high {
            return Err(Error::invalid(format!(
                "range_i64({low}, {high}): the range is empty"
            )));
        }
        let width = high.wrapping_sub(low) as u64;
        Ok(low.wrapping_add(self.below_nonzero(width) as i64))
    }

    /// `below` for a known non-zero `n`.
    pub(crate) fn below_nonzero(&mut self, n: u64) -> u64 {
        debug_assert!(n != 0);
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use crate::{ErrorKind, Seed};

    #[test]
    fn value_stability() {
        let mut s = Seed::from_u64(0).derive("int").stream();
        let a: Vec<u64> = (0..6).map(|_| s.below(10).unwrap()).collect();
        assert_eq!(a, [5, 0, 9, 7, 6, 1]);
        let b: Vec<u32> = (0..6).map(|_| s.below_u32(1000).unwrap()).collect();
        assert_eq!(b, [513, 343, 735, 934, 237, 127]);
        let c: Vec<i64> = (0..4).map(|_| s.range_i64(-5, 5).unwrap()).collect();
        assert_eq!(c, [1, 3, 0, -1]);
        assert_eq!(s.below(u64::MAX).unwrap(), 7_553_890_918_094_529_771);
    }

    #[test]
    fn bounds_and_errors() {
        let mut s = Seed::from_u64(1).stream();
        for n in [1u64, 2, 3, 7, 1 << 40, u64::MAX] {
            for _ in 0..50 {
                assert!(s.below(n).unwrap() < n);
            }
        }
        for _ in 0..100 {
            let v = s.range_i64(i64::MIN, i64::MAX).unwrap();
            assert!(v < i64::MAX);
        }
        assert_eq!(s.below(0).unwrap_err().kind(), ErrorKind::InvalidParameter);
        assert_eq!(
            s.below_u32(0).unwrap_err().kind(),
            ErrorKind::InvalidParameter
        );
        assert_eq!(
            s.range_i64(3, 3).unwrap_err().kind(),
            ErrorKind::InvalidParameter
        );
    }

    #[test]
    fn roughly_uniform() {
        let mut s = Seed::from_u64(2).stream();
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[s.below(6).unwrap() as usize] += 1;
        }
        for c in counts {
            assert!((9_400..10_600).contains(&c), "{counts:?}");
        }
    }
}
