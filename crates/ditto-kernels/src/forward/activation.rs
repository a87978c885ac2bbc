//! `ActivationOps` of `Ditto<B>`: in canonical mode every activation runs a canonical kernel
//! (`sigmoid`, `gelu`) or Burn's default composition on `Ditto<B>` (`crate::ops::composite`);
//! in run-to-run mode they are forwarded to `B`, except `relu` and its backward op where ditto's
//! host pass is the faster (`Inner::CANONICAL_IN_RUN_TO_RUN`), and `hard_sigmoid` and
//! `log_sigmoid_backward`, whose Burn default bodies call `clamp` and `recip`, composed on
//! `Ditto<B>` where a Cargo feature of `B` could change those (`Inner::FEATURE_PROOF`).

use burn_backend::Scalar;
use burn_backend::ops::ActivationOps;
use burn_backend::tensor::FloatTensor;

use super::ops::*;
use super::{forward, traced};
use crate::backend::Ditto;
use crate::canonical::math;
use crate::inner::Inner;
use crate::ops::canonical::{self, active};
use crate::ops::composite as comp;

impl<B: Inner> ActivationOps<Self> for Ditto<B> {
    fn sigmoid(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("sigmoid", [tensor F] F, if canonical::fast_active::<B>(&tensor) {
            canonical::map::<B>(tensor, math::sigmoid_slice)
        } else {
            B::sigmoid(tensor)
        })
    }

    fn gelu(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("gelu", [tensor F] F, if canonical::fast_active::<B>(&tensor) {
            canonical::map::<B>(tensor, math::gelu_slice)
        } else {
            B::gelu(tensor)
        })
    }

    fn relu(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("relu", [tensor F] F, if canonical::fast_active::<B>(&tensor) {
            comp::relu::<B>(tensor)
        } else {
            B::relu(tensor)
        })
    }

    fn relu_backward(output: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("relu_backward", [output F, grad F] F, if canonical::fast_active::<B>(&output) {
            comp::relu_backward::<B>(output, grad)
        } else {
            B::relu_backward(output, grad)
        })
    }

    fn leaky_relu(tensor: FloatTensor<Self>, negative_slope: Scalar) -> FloatTensor<Self> {
        traced!("leaky_relu", [tensor F] F, if active::<B>(&tensor) {
            comp::leaky_relu::<B>(tensor, negative_slope)
        } else {
            B::leaky_relu(tensor, negative_slope)
        })
    }

    fn prelu(tensor: FloatTensor<Self>, alpha: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("prelu", [tensor F, alpha F] F, if active::<B>(&tensor) {
            comp::prelu::<B>(tensor, alpha)
        } else {
            B::prelu(tensor, alpha)
        })
    }

    fn hard_sigmoid(tensor: FloatTensor<Self>, alpha: Scalar, beta: Scalar) -> FloatTensor<Self> {
        traced!("hard_sigmoid", [tensor F] F, if canonical::feature_proof::<B>(&tensor) {
            comp::hard_sigmoid::<B>(tensor, alpha, beta)
        } else {
            B::hard_sigmoid(tensor, alpha, beta)
        })
    }

    fn sigmoid_backward(output: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("sigmoid_backward", [output F, grad F] F, if active::<B>(&output) {
            comp::sigmoid_backward::<B>(output, grad)
        } else {
            B::sigmoid_backward(output, grad)
        })
    }

    fn gelu_backward(x: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("gelu_backward", [x F, grad F] F, if canonical::fast_active::<B>(&x) {
            canonical::gelu_backward::<B>(x, grad)
        } else {
            B::gelu_backward(x, grad)
        })
    }

    fn log_sigmoid(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("log_sigmoid", [tensor F] F, if active::<B>(&tensor) {
            comp::log_sigmoid::<B>(tensor)
        } else {
            B::log_sigmoid(tensor)
        })
    }

    fn log_sigmoid_backward(x: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self> {
        traced!("log_sigmoid_backward", [x F, grad F] F, if canonical::feature_proof::<B>(&x) {
            comp::log_sigmoid_backward::<B>(x, grad)
        } else {
            B::log_sigmoid_backward(x, grad)
        })
    }

    fn softmax(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        traced!("softmax", [tensor F] F, if active::<B>(&tensor) {
            comp::softmax::<B>(tensor, dim)
        } else {
            B::softmax(tensor, dim)
        })
    }

    fn log_softmax(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        traced!("log_softmax", [tensor F] F, if active::<B>(&tensor) {
            comp::log_softmax::<B>(tensor, dim)
        } else {
            B::log_softmax(tensor, dim)
        })
    }

    fn softmin(tensor: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
        traced!("softmin", [tensor F] F, if active::<B>(&tensor) {
            comp::softmin::<B>(tensor, dim)
        } else {
            B::softmin(tensor, dim)
        })
    }

    forward_activation_ops!();
}
