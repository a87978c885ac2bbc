//! Re-initialising every parameter of a Burn module from the seed tree, keyed by its path.

use std::collections::BTreeMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Tensor, TensorData, backend::Backend};

use crate::error::{Error, ErrorKind};
use crate::init::{Fans, Init};
use crate::seed::Seed;

/// Class: portable. What an [`InitRule`] knows about one float parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// The dotted path of field names from the root module, e.g. `"fc1.weight"` or
    /// `"blocks.0.norm.gamma"` (Burn's own naming, as in its stores).
    pub path: String,
    /// The parameter's own field name: the last segment of `path`.
    pub name: String,
    /// Burn's container type of the module holding it, e.g. `"Struct:Linear"`.
    pub container: String,
    /// The parameter's shape.
    pub shape: Vec<usize>,
    /// Whether the parameter holds a value (`false`: lazy, never read, so its value would
    /// come from Burn's own random initialisation when first read).
    pub initialized: bool,
}

/// Class: portable (a pure function of its inputs). Chooses each parameter's initialiser.
///
/// `siblings` are the other float parameters of the same module (so a bias can read its
/// weight's fan-in). Closures `Fn(&ParamInfo, &[ParamInfo]) -> Result<(Init, Fans), Error>`
/// are rules too.
pub trait InitRule {
    /// The initialiser and fans for `param`.
    fn choose(&self, param: &ParamInfo, siblings: &[ParamInfo]) -> Result<(Init, Fans), Error>;

    /// Whether `param` keeps the value it holds (for example pretrained weights) instead of
    /// being drawn: [`reinit`] then draws nothing for it and only gives it its deterministic
    /// `ParamId`. Default: no parameter is kept. See [`crate::KeepPaths`].
    fn keeps(&self, param: &ParamInfo) -> bool {
        let _ = param;
        false
    }
}

impl<F> InitRule for F
where
    F: Fn(&ParamInfo, &[ParamInfo]) -> Result<(Init, Fans), Error>,
{
    fn choose(&self, param: &ParamInfo, siblings: &[ParamInfo]) -> Result<(Init, Fans), Error> {
        self(param, siblings)
    }
}

/// Class: portable. The rule that reproduces the defaults of Burn 0.21's `nn` modules:
///
/// | container | parameter | initialiser |
/// |---|---|---|
/// | `Linear` (row layout `[d_in, d_out]`) | `weight`, `bias` | Kaiming uniform, gain 1/sqrt(3), fan_in = `d_in` |
/// | `Conv1d`, `Conv2d`, `Conv3d` (`[out, in/groups, k..]`) | `weight`, `bias` | Kaiming uniform, gain 1/sqrt(3), fan_in = `in/groups * prod(k)` |
/// | `LayerNorm`, `BatchNorm`, `GroupNorm`, `InstanceNorm`, `RmsNorm` | `gamma` / `beta` | ones / zeros |
/// | `Embedding` | `weight` | normal(0, 1) |
///
/// Any other parameter is an error of kind `NoRule`: wrap this rule in a closure to add yours.
#[derive(Clone, Copy, Debug, Default)]
pub struct BurnDefaults;

impl InitRule for BurnDefaults {
    fn choose(&self, p: &ParamInfo, siblings: &[ParamInfo]) -> Result<(Init, Fans), Error> {
        let kaiming = Init::KaimingUniform {
            gain: 1.0 / 3.0f64.sqrt(),
            fan_out_only: false,
        };
        let kind = p.container.rsplit(':').next().unwrap_or("");
        let weight_shape = || -> Result<&[usize], Error> {
            if p.name == "weight" {
                return Ok(&p.shape);
            }
            siblings
                .iter()
                .find(|s| s.name == "weight")
                .map(|s| s.shape.as_slice())
                .ok_or_else(|| no_rule(p, "no sibling `weight` to take the fans from"))
        };
        match (kind, p.name.as_str()) {
            ("Linear", "weight" | "bias") => match *weight_shape()? {
                [d_in, d_out] => Ok((kaiming, Fans::new(d_in, d_out))),
                _ => Err(no_rule(p, "a Linear weight must be 2-D")),
            },
            ("Conv1d" | "Conv2d" | "Conv3d", "weight" | "bias") => match weight_shape()? {
                [out, inp, kernel @ ..] if !kernel.is_empty() => {
                    let k: usize = kernel.iter().product();
                    Ok((kaiming, Fans::new(inp * k, out * k)))
                }
                _ => Err(no_rule(p, "a Conv weight must be [out, in, k..]")),
            },
            (
                "LayerNorm" | "BatchNorm" | "GroupNorm" | "InstanceNorm" | "RmsNorm",
                "gamma" | "beta",
            ) => Ok((
                if p.name == "gamma" {
                    Init::Ones
                } else {
                    Init::Zeros
                },
                Fans::default(),
            )),
            ("Embedding", "weight") => Ok((
                Init::Normal {
                    mean: 0.0,
                    std: 1.0,
                },
                Fans::default(),
            )),
            _ => Err(no_rule(p, "BurnDefaults has no rule for it")),
        }
    }
}

/// Class: portable. Every float parameter's [`ParamInfo`], in the module's field order,
/// without initialising lazy parameters.
pub fn param_infos<B: Backend, M: Module<B>>(module: &M) -> Vec<ParamInfo> {
    let mut v = Collector {
        path: Vec::new(),
        out: Vec::new(),
    };
    module.visit(&mut v);
    v.out
}

/// Class: portable. `module` with every float parameter replaced by values drawn from
/// `seed.derive(path)` (path as in [`ParamInfo::path`]) with the initialiser `rule` chooses.
///
/// The values depend only on the seed, the path and the shape: not on creation order, not on
/// Burn's random `ParamId`s, not on the backend or thread count. Each parameter also gets a
/// deterministic `ParamId` (the first 8 bytes of `seed.derive(path).derive("param-id")`), so
/// optimiser records key the same way in every run. Pass a dedicated subtree, e.g.
/// `root.derive("init")`.
///
/// Every rule is evaluated and checked before anything is drawn: on error the module is
/// returned untouched inside the error's pair, so nothing is lost.
///
/// A parameter the rule [keeps](InitRule::keeps) keeps its value and its `require_grad`,
/// and gets the same deterministic `ParamId`; keeping a lazy parameter (never initialised, so
/// its value would come from Burn's own unseeded draw) is an error of kind `NoRule`.
///
/// Parameters that were still lazy (never read) become trainable (`require_grad`), as Burn's
/// `nn` modules create them; apply `no_grad()` after re-initialising to freeze a module.
pub fn reinit<B: Backend, M: Module<B>>(
    module: M,
    seed: &Seed,
    rule: &impl InitRule,
) -> Result<M, (M, Error)> {
    let infos = param_infos::<B, M>(&module);
    let mut plan = BTreeMap::new();
    for (i, info) in infos.iter().enumerate() {
        let chosen = if rule.keeps(info) {
            match info.initialized {
                true => Ok(None),
                false => Err(Error::new(
                    ErrorKind::NoRule,
                    "kept, but it was never initialised (a lazy parameter, whose value would \
                     come from Burn's unseeded draw): load its value first or let ditto draw it",
                )),
            }
        } else {
            let parent = parent_of(&info.path);
            let siblings: Vec<ParamInfo> = infos
                .iter()
                .enumerate()
                .filter(|(j, s)| *j != i && parent_of(&s.path) == parent)
                .map(|(_, s)| s.clone())
                .collect();
            rule.choose(info, &siblings)
                .and_then(|(init, fans)| init.validate(fans).map(|()| Some((init, fans))))
        };
        match chosen {
            Ok(c) => {
                if plan.insert(info.path.clone(), c).is_some() {
                    let e = Error::new(
                        ErrorKind::NoRule,
                        format!("two parameters share the path {:?}", info.path),
                    );
                    return Err((module, e));
                }
            }
            Err(e) => {
                let e = Error::new(e.kind(), format!("parameter {:?}: {e}", info.path));
                return Err((module, e));
            }
        }
    }
    let mut mapper = Reinit {
        path: Vec::new(),
        plan,
        seed: *seed,
        _b: core::marker::PhantomData,
    };
    Ok(module.map(&mut mapper))
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('.').map(|(p, _)| p).unwrap_or("")
}

fn no_rule(p: &ParamInfo, why: &str) -> Error {
    Error::new(
        ErrorKind::NoRule,
        format!("{} ({}, shape {:?}): {why}", p.path, p.container, p.shape),
    )
}

struct Collector {
    path: Vec<(String, String)>,
    out: Vec<ParamInfo>,
}

impl<B: Backend> ModuleVisitor<B> for Collector {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push((name.to_owned(), container_type.to_owned()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.out.push(ParamInfo {
            path: join(&self.path),
            name: self.path.last().map(|p| p.0.clone()).unwrap_or_default(),
            container: self.path.last().map(|p| p.1.clone()).unwrap_or_default(),
            shape: param.lazy_shape().to_vec(),
            initialized: param.is_initialized(),
        });
    }
}

struct Reinit<B> {
    path: Vec<(String, String)>,
    /// `None`: kept as it is.
    plan: BTreeMap<String, Option<(Init, Fans)>>,
    seed: Seed,
    _b: core::marker::PhantomData<B>,
}

impl<B: Backend> ModuleMapper<B> for Reinit<B> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push((name.to_owned(), container_type.to_owned()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let path = join(&self.path);
        let Some(chosen) = self.plan.get(&path) else {
            return param;
        };
        let node = self.seed.derive(&path);
        let Some((init, fans)) = chosen else {
            // Kept (checked initialised above): the value as it is, under its stable id.
            return Param::initialized(param_id(&node), param.val());
        };
        let shape = param.lazy_shape();
        let device = param.lazy_device();
        let require_grad = if param.is_initialized() {
            param.val().is_require_grad()
        } else {
            true
        };
        let n = shape.num_elements();
        let mut stream = node.stream();
        // The plan was validated above, so filling cannot fail; keep the old value if it did.
        let Ok(values) = init.values(n, *fans, &mut stream) else {
            return param;
        };
        let mut tensor = Tensor::<B, D>::from_data(TensorData::new(values, shape), &device);
        if require_grad {
            tensor = tensor.require_grad();
        }
        Param::initialized(param_id(&node), tensor)
    }
}

fn param_id(node: &Seed) -> ParamId {
    let b = node.derive("param-id").to_bytes();
    let mut id = [0u8; 8];
    id.copy_from_slice(&b[..8]);
    ParamId::from(u64::from_le_bytes(id))
}

fn join(path: &[(String, String)]) -> String {
    let names: Vec<&str> = path.iter().map(|(n, _)| n.as_str()).collect();
    names.join(".")
}
