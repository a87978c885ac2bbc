//! The element-wise functions of [`super`] over slices: each runs its function inside the
//! `#[target_feature]` loop of [`simd::map`] (the same bits on every instruction set).

use super::super::simd::{self, Isa, Unary};
use super::{erf, exp, gelu, ln, powf, sigmoid, softplus, tanh};

/// Class: portable (canonical). `out[i] = exp(x[i])` (SIMD across elements, same bits).
pub fn exp_slice(x: &[f32], out: &mut [f32]) {
    map_with(Isa::active(), MathFn::Exp, x, out);
}

/// Class: portable (canonical). `out[i] = ln(x[i])`.
pub fn ln_slice(x: &[f32], out: &mut [f32]) {
    map_with(Isa::active(), MathFn::Ln, x, out);
}

/// Class: portable (canonical). `out[i] = tanh(x[i])`.
pub fn tanh_slice(x: &[f32], out: &mut [f32]) {
    map_with(Isa::active(), MathFn::Tanh, x, out);
}

/// Class: portable (canonical). `out[i] = sigmoid(x[i])`.
pub fn sigmoid_slice(x: &[f32], out: &mut [f32]) {
    map_with(Isa::active(), MathFn::Sigmoid, x, out);
}

/// Class: portable (canonical). `out[i] = erf(x[i])`.
pub fn erf_slice(x: &[f32], out: &mut [f32]) {
    map_with(Isa::active(), MathFn::Erf, x, out);
}

/// Class: portable (canonical). `out[i] = gelu(x[i])`.
pub fn gelu_slice(x: &[f32], out: &mut [f32]) {
    map_with(Isa::active(), MathFn::Gelu, x, out);
}

/// Class: portable (canonical). `out[i] = softplus(x[i])`.
pub fn softplus_slice(x: &[f32], out: &mut [f32]) {
    map_with(Isa::active(), MathFn::Softplus, x, out);
}

/// Class: portable (canonical). `out[i] = powf(x[i], y)`.
pub fn powf_slice(x: &[f32], y: f32, out: &mut [f32]) {
    map_with(Isa::active(), MathFn::Powf(y), x, out);
}

/// Class: portable (canonical). One of this module's element-wise functions, for
/// [`map_with`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum MathFn {
    /// [`exp`].
    Exp,
    /// [`ln`].
    Ln,
    /// [`tanh`].
    Tanh,
    /// [`sigmoid`].
    Sigmoid,
    /// [`erf`].
    Erf,
    /// [`gelu`].
    Gelu,
    /// [`softplus`].
    Softplus,
    /// [`powf`] with this exponent.
    Powf(f32),
}

/// Class: portable (canonical). `out[i] = f(x[i])` for `i < min(x.len(), out.len())`, on an
/// explicit instruction set (every [`Isa`] gives the same bits; for tests and benches). The
/// `*_slice` functions are this on [`Isa::active`].
pub fn map_with(isa: Isa, f: MathFn, x: &[f32], out: &mut [f32]) {
    match f {
        MathFn::Exp => simd::map(isa, x, out, ExpOp),
        MathFn::Ln => simd::map(isa, x, out, LnOp),
        MathFn::Tanh => simd::map(isa, x, out, TanhOp),
        MathFn::Sigmoid => simd::map(isa, x, out, SigmoidOp),
        MathFn::Erf => simd::map(isa, x, out, ErfOp),
        MathFn::Gelu => simd::map(isa, x, out, GeluOp),
        MathFn::Softplus => simd::map(isa, x, out, SoftplusOp),
        MathFn::Powf(y) => simd::map(isa, x, out, PowfOp(y)),
    }
}

/// [`Unary`] ops calling the functions above by path (a generic over the fn item would call
/// it through a shim that need not be inlined into the `#[target_feature]` loop).
macro_rules! unary_ops {
    ($($name:ident = $f:ident;)*) => {$(
        #[derive(Clone, Copy)]
        struct $name;

        impl Unary for $name {
            #[inline(always)]
            fn apply(self, v: f32) -> f32 {
                $f(v)
            }
        }
    )*};
}

unary_ops! {
    ExpOp = exp;
    LnOp = ln;
    TanhOp = tanh;
    SigmoidOp = sigmoid;
    ErfOp = erf;
    GeluOp = gelu;
    SoftplusOp = softplus;
}

#[derive(Clone, Copy)]
struct PowfOp(f32);

impl Unary for PowfOp {
    #[inline(always)]
    fn apply(self, v: f32) -> f32 {
        powf(v, self.0)
    }
}
