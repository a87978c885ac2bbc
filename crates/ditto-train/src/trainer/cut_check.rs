//! The cut check: the first cut step of every process is computed twice, over its
//! micro-batches and over all its items at once (the same canonical kernels, one
//! micro-batch), and the two gradients must be the same bits.
//!
//! A model's reductions over the batch are carried from one micro-batch to the next only
//! where ditto recognises them (CANONICAL.md, "Micro-batches and peers"). A reduction it does
//! not recognise, e.g. a `Linear` on hidden states flattened from `[batch, len, d]` to
//! `[batch * len, d]`, would leave each micro-batch with its own part and the step with the
//! last one's: other gradients, silently. The check refuses such a run on its first step, naming
//! the parameters, instead of training it wrongly.

use burn::module::{AutodiffModule, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;

use crate::error::{Error, ErrorKind};

/// Refuses the run when `cut` and `whole` (gradients of `model`'s parameters) differ in any
/// bit, naming the parameters that differ.
pub(crate) fn compare<B, M>(
    model: &M,
    cut: &GradientsParams,
    whole: &GradientsParams,
    micro_batches: usize,
) -> Result<(), Error>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
{
    let mut v = Compare::<B> {
        cut,
        whole,
        path: Vec::new(),
        differ: Vec::new(),
        _b: std::marker::PhantomData,
    };
    model.visit(&mut v);
    if v.differ.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = v.differ.iter().take(6).map(String::as_str).collect();
    Err(Error::new(
        ErrorKind::Invalid,
        None,
        format!(
            "config `parallel`: cut into {micro_batches} micro-batches, the first step's \
             gradients of {} differ from the same items' in one piece ({}{}). The model reduces \
             over the batch in a way ditto does not carry from one micro-batch to the next \
             (e.g. a layer on hidden states flattened from [batch, len, d] to [batch * len, \
             d]: keep the batch axis, a Linear accepts [batch, len, d]; or a batch statistic \
             such as BatchNorm's); see CANONICAL.md, \"Micro-batches and peers\". Train it with \
             peers = accumulate = 1",
            v.differ.len(),
            shown.join(", "),
            if v.differ.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        ),
    ))
}

struct Compare<'a, B: AutodiffBackend> {
    cut: &'a GradientsParams,
    whole: &'a GradientsParams,
    path: Vec<String>,
    differ: Vec<String>,
    _b: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Compare<'_, B> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let bits = |g: &GradientsParams| {
            g.get::<B::InnerBackend, D>(param.id).map(|t| {
                t.into_data()
                    .convert::<f32>()
                    .into_vec::<f32>()
                    .unwrap_or_default()
                    .into_iter()
                    .map(f32::to_bits)
                    .collect::<Vec<u32>>()
            })
        };
        if bits(self.cut) != bits(self.whole) {
            self.differ.push(self.path.join("."));
        }
    }
}
