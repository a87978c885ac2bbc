//! The init policy of a run: which parameters are drawn from the seed (and by which rule),
//! which keep the caller's values, and which are frozen (their gradients dropped before
//! clipping and the update).

use burn::module::{AutodiffModule, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use ditto_rng::{BurnDefaults, Error as RngError, Fans, Init, InitRule, ParamInfo};

use crate::config::InitConfig;

/// A user's rule for the parameters ditto draws (`Trainer::init_rule`), shared by threads.
#[derive(Clone)]
pub(crate) struct UserRule(pub(crate) std::sync::Arc<dyn InitRule + Send + Sync>);

impl std::fmt::Debug for UserRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserRule(..)")
    }
}

/// `[init]`'s kept patterns over the user's rule (or Burn's defaults).
pub(crate) struct Policy<'a> {
    pub(crate) config: &'a InitConfig,
    pub(crate) rule: Option<&'a UserRule>,
}

impl InitRule for Policy<'_> {
    fn choose(&self, p: &ParamInfo, siblings: &[ParamInfo]) -> Result<(Init, Fans), RngError> {
        match self.rule {
            Some(rule) => rule.0.choose(p, siblings),
            None => BurnDefaults.choose(p, siblings),
        }
    }

    fn keeps(&self, p: &ParamInfo) -> bool {
        self.config.keeps(&p.path) || self.rule.is_some_and(|r| r.0.keeps(p))
    }
}

/// `grads` without the gradients of the parameters `[init] frozen` names, so that the
/// optimiser leaves them as they are (Burn's optimisers skip a parameter without gradient).
pub(crate) fn drop_frozen<B: AutodiffBackend, M: AutodiffModule<B>>(
    model: &M,
    grads: GradientsParams,
    config: &InitConfig,
) -> GradientsParams {
    if config.frozen.is_empty() {
        return grads;
    }
    let mut v = Freeze::<B> {
        path: Vec::new(),
        config,
        grads,
        _b: std::marker::PhantomData,
    };
    model.visit(&mut v);
    v.grads
}

struct Freeze<'a, B> {
    path: Vec<String>,
    config: &'a InitConfig,
    grads: GradientsParams,
    _b: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Freeze<'_, B> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if self.config.freezes(&self.path.join(".")) {
            let _ = self.grads.remove::<B::InnerBackend, D>(param.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::{Autodiff, NdArray};
    use burn::module::Module;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::backend::Backend;
    use ditto_rng::PathPattern;

    use super::*;

    type Ad = Autodiff<NdArray>;

    #[derive(Module, Debug)]
    struct Net<B: Backend> {
        body: Linear<B>,
        head: Linear<B>,
    }

    #[test]
    fn frozen_parameters_lose_their_gradients_and_only_they() {
        let d = Default::default();
        let net = Net::<Ad> {
            body: LinearConfig::new(3, 2).init(&d),
            head: LinearConfig::new(2, 1).init(&d),
        };
        let x = Tensor::<Ad, 2>::ones([4, 3], &d);
        let loss = net.head.forward(net.body.forward(x)).sum();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        let config = InitConfig {
            keep: vec![],
            frozen: vec![PathPattern::new("body.weight")],
        };
        let grads = drop_frozen::<Ad, _>(&net, grads, &config);
        let has = |id| grads.get::<NdArray, 2>(id).is_some();
        assert!(!has(net.body.weight.id));
        assert!(has(net.head.weight.id));
        assert!(
            grads
                .get::<NdArray, 1>(net.body.bias.as_ref().unwrap().id)
                .is_some()
        );
    }
}
