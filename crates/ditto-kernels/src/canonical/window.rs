//! The geometry of a window op (conv2d and the pooling ops): its options, its output size,
//! and the shapes conv2d's backward ops share. Pure arithmetic on sizes, no float.

use super::error::{Error, ErrorKind, numel};

/// Below this many multiply-adds a convolution runs on the calling thread.
pub(crate) const PARALLEL_WORK: usize = 1 << 16;

/// Class: portable (canonical). Options of [`conv2d`](super::conv::conv2d) and the pooling ops (height first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv2dOptions {
    /// Step between windows.
    pub stride: [usize; 2],
    /// Zero padding on each side.
    pub padding: [usize; 2],
    /// Spacing between kernel taps.
    pub dilation: [usize; 2],
    /// Channel groups (conv2d only; 1 for a plain convolution).
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Self {
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
        }
    }
}

/// Class: portable (canonical). The output size `[oh, ow]` of a window op over an
/// `[h, w]` input with `kernel`, or an error if a parameter is zero or the window does not fit.
pub fn output_size(
    input: [usize; 2],
    kernel: [usize; 2],
    opts: &Conv2dOptions,
) -> Result<[usize; 2], Error> {
    let mut out = [0; 2];
    for d in 0..2 {
        if kernel[d] == 0 || opts.stride[d] == 0 || opts.dilation[d] == 0 {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "conv2d",
                format!("kernel {kernel:?}, options {opts:?}: sizes and strides must be positive"),
            ));
        }
        let span = opts.dilation[d] * (kernel[d] - 1) + 1;
        let padded = input[d] + 2 * opts.padding[d];
        if padded < span {
            return Err(Error::shape(
                "conv2d",
                format!("window {span} is larger than the padded input {padded}"),
            ));
        }
        out[d] = (padded - span) / opts.stride[d] + 1;
    }
    Ok(out)
}

/// Shapes shared by the backward ops.
pub(crate) struct Geometry {
    pub(crate) n: usize,
    pub(crate) c_out: usize,
    pub(crate) cig: usize,
    pub(crate) cog: usize,
    pub(crate) k: usize,
    pub(crate) p: usize,
    pub(crate) kernel: [usize; 2],
    pub(crate) out: [usize; 2],
}

impl Geometry {
    pub(crate) fn new(
        op: &'static str,
        x_shape: [usize; 4],
        w_shape: [usize; 4],
        opts: &Conv2dOptions,
    ) -> Result<Self, Error> {
        let [n, c_in, h, w] = x_shape;
        let [c_out, cig, kh, kw] = w_shape;
        let g = opts.groups;
        if g == 0 || c_in != cig * g || c_out % g != 0 {
            return Err(Error::shape(
                op,
                format!("input {x_shape:?}, weight {w_shape:?}, {g} groups do not fit"),
            ));
        }
        let out = output_size([h, w], [kh, kw], opts)?;
        Ok(Self {
            n,
            c_out,
            cig,
            cog: c_out / g,
            k: cig * kh * kw,
            p: out[0] * out[1],
            kernel: [kh, kw],
            out,
        })
    }

    pub(crate) fn out_len(&self, op: &'static str) -> Result<usize, Error> {
        numel(op, &[self.n, self.c_out, self.p])
    }
}
