//! Gradient clipping by the global norm over all parameters (`grad_clip_norm` with
//! `grad_clip_scope = "global"`), in a fixed order. Per-tensor clipping is Burn's own
//! (`GradientClipping::Norm` inside the optimiser).
//!
//! The definition (CANONICAL.md, "Gradient clipping"): for each float parameter in path
//! order, `s_i` is the backend's full sum of the gradient's elementwise squares (ditto's
//! ordered sum; canonical in canonical mode); `total` is the sum of the `s_i` in f64, in path
//! order; `norm = sqrt(total)` rounded to f32; `coef = max_norm / (norm + 1e-6)` in f32 (as
//! PyTorch's `clip_grad_norm_`). When `coef < 1` every gradient is multiplied by `coef`;
//! otherwise the gradients are left as they are.

use burn::module::{AutodiffModule, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};

/// What the clipping saw: the global norm, and the factor applied (1 when none was).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Clipped {
    pub(crate) norm: f32,
    pub(crate) coef: f32,
}

/// Clips `grads` (of `model`'s parameters) to a global L2 norm of at most `max_norm`.
pub(crate) fn clip_global_norm<B, M>(
    model: &M,
    mut grads: GradientsParams,
    max_norm: f32,
) -> (GradientsParams, Clipped)
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
{
    let mut sum = SumOfSquares::<B> {
        grads: &grads,
        path: Vec::new(),
        parts: Vec::new(),
        _b: std::marker::PhantomData,
    };
    model.visit(&mut sum);
    let mut parts = sum.parts;
    parts.sort_by(|a, b| a.0.cmp(&b.0));
    let total: f64 = parts.iter().map(|(_, s)| f64::from(*s)).sum();
    let norm = total.sqrt() as f32;
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        let mut scale = Scale::<B> {
            grads: &mut grads,
            coef,
            _b: std::marker::PhantomData,
        };
        model.visit(&mut scale);
        (grads, Clipped { norm, coef })
    } else {
        (grads, Clipped { norm, coef: 1.0 })
    }
}

struct SumOfSquares<'a, B: AutodiffBackend> {
    grads: &'a GradientsParams,
    path: Vec<String>,
    parts: Vec<(String, f32)>,
    _b: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for SumOfSquares<'_, B> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.get::<B::InnerBackend, D>(param.id) {
            let s = (g.clone() * g).sum().into_scalar().elem::<f32>();
            self.parts.push((self.path.join("."), s));
        }
    }
}

struct Scale<'a, B: AutodiffBackend> {
    grads: &'a mut GradientsParams,
    coef: f32,
    _b: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Scale<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.remove::<B::InnerBackend, D>(param.id) {
            self.grads.register(param.id, g.mul_scalar(self.coef));
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::{Autodiff, NdArray};
    use burn::module::Module;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::TensorData;

    use super::*;

    type Ad = Autodiff<NdArray>;

    #[derive(Module, Debug)]
    struct Two<B: burn::tensor::backend::Backend> {
        a: Linear<B>,
    }

    fn grads_of(model: &Two<Ad>, w: [f32; 2], b: f32) -> GradientsParams {
        let d = Default::default();
        let mut g = GradientsParams::new();
        g.register(
            model.a.weight.id,
            Tensor::<NdArray, 2>::from_data(TensorData::new(w.to_vec(), [2, 1]), &d),
        );
        let bias = model.a.bias.as_ref().unwrap();
        g.register(
            bias.id,
            Tensor::<NdArray, 1>::from_data(TensorData::new(vec![b], [1]), &d),
        );
        g
    }

    fn values<const D: usize>(g: &GradientsParams, id: burn::module::ParamId) -> Vec<f32> {
        g.get::<NdArray, D>(id)
            .unwrap()
            .into_data()
            .to_vec::<f32>()
            .unwrap()
    }

    #[test]
    fn the_global_norm_is_the_hand_computed_one() {
        let model = Two::<Ad> {
            a: LinearConfig::new(2, 1).init(&Default::default()),
        };
        // Gradients (3, 0) and (4): global norm sqrt(9 + 0 + 16) = 5.
        let (g, c) = clip_global_norm::<Ad, _>(&model, grads_of(&model, [3.0, 0.0], 4.0), 1.0);
        assert_eq!(c.norm, 5.0);
        // coef = 1 / (5 + 1e-6) in f32, computed in Python with each step rounded to f32
        // (`struct.pack('<f', x)`): 5 + 1e-6 -> 5.0000010, 1 / that -> 0.19999996 (bits
        // 0x3e4cccca); each gradient times coef.
        assert_eq!(c.coef.to_bits(), 0x3e4c_ccca);
        let w = values::<2>(&g, model.a.weight.id);
        let b = values::<1>(&g, model.a.bias.as_ref().unwrap().id);
        // 3 * coef = 0.5999999 (0x3f199998); 4 * coef = 0.79999983 (0x3f4cccca).
        assert_eq!(w[0].to_bits(), 0x3f19_9998);
        assert_eq!(w[1], 0.0);
        assert_eq!(b[0].to_bits(), 0x3f4c_ccca);
        // Per-tensor clipping would have given (1, 0) and (1): not what global means.
        assert_ne!(w[0], 1.0);
    }

    #[test]
    fn gradients_within_the_norm_are_untouched() {
        let model = Two::<Ad> {
            a: LinearConfig::new(2, 1).init(&Default::default()),
        };
        let (g, c) = clip_global_norm::<Ad, _>(&model, grads_of(&model, [0.3, -0.4], 0.0), 1.0);
        assert_eq!(c.coef, 1.0);
        assert!((c.norm - 0.5).abs() < 1e-7);
        assert_eq!(values::<2>(&g, model.a.weight.id), vec![0.3, -0.4]);
    }
}
