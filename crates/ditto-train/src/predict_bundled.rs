//! A bundled model (`model.kind = mlp | cnn | transformer`) rebuilt from a checkpoint and run
//! over new inputs: what `ditto predict` runs.

use ditto_kernels::{Ditto, Inner};

use crate::checkpoint::Checkpoint;
use crate::config::{BundledData, DataSource, Mode, ModelConfig, TrainConfig};
use crate::error::{Error, ErrorKind};
use crate::load::load_params;
use crate::model::{Cnn, Mlp, Transformer};
use crate::predict::{Outputs, predict_rows};

/// Class: portable (data). A bundled model's view of a checkpoint: its config, class count,
/// and what it reads per sample.
#[derive(Clone, Debug)]
pub struct BundledModel {
    config: TrainConfig,
    classes: usize,
    /// `Some(features)` for an MLP (its first layer's inputs).
    features: Option<usize>,
}

impl BundledModel {
    /// Class: portable. The bundled model of `ck`'s recorded config, its class count read
    /// from the output layer's bias.
    ///
    /// Errors ([`ErrorKind::Invalid`]): the run's model is `custom` (a program's own model:
    /// predict with [`crate::predict`] or [`crate::predict_rows`] in that program), or the
    /// checkpoint lacks the model's layers; those of reading the checkpoint's state.
    pub fn of(ck: &Checkpoint) -> Result<Self, Error> {
        let config = ck.run_state()?.config;
        let shape = |name: &str| ck.tensors.get(name).map(|t| t.shape.clone());
        let missing = |what: &str| {
            Error::new(
                ErrorKind::Invalid,
                None,
                format!("the checkpoint holds no `{what}` of its bundled model"),
            )
        };
        let (classes, features) = match &config.model {
            ModelConfig::Custom(c) => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    None,
                    format!(
                        "this run's model ({}) was built by a program: predict with \
                         `ditto_train::predict` (your `Task`) or `predict_rows` in that program, \
                         after `load_params`",
                        c.name.as_deref().unwrap_or("custom")
                    ),
                ));
            }
            ModelConfig::Mlp(c) => {
                let last = c.hidden.len();
                let bias = shape(&format!("model.layers.{last}.bias"))
                    .ok_or_else(|| missing(&format!("model.layers.{last}.bias")))?;
                let first = shape("model.layers.0.weight")
                    .ok_or_else(|| missing("model.layers.0.weight"))?;
                (bias.first().copied(), first.first().copied())
            }
            ModelConfig::Cnn(_) | ModelConfig::Transformer(_) => {
                let bias = shape("model.head.bias").ok_or_else(|| missing("model.head.bias"))?;
                (bias.first().copied(), None)
            }
        };
        Ok(Self {
            classes: classes.ok_or_else(|| missing("output layer"))?,
            features,
            config,
        })
    }

    /// Class: portable. The run's recorded config.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Class: portable. The number of classes (outputs per sample).
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Class: portable. The class names a CSV run recorded (text labels), in class order.
    pub fn class_names(&self) -> Option<&[String]> {
        match &self.config.data.source {
            DataSource::Csv(s) => s.class_names.as_deref(),
            _ => None,
        }
    }

    /// Class: portable. What the model reads per sample when the checkpoint and the run's
    /// data source say it: an MLP's feature count, the bundled sets' image size. `None`: the
    /// inputs say (an IDX file's image size for a CNN or transformer trained on IDX files).
    pub fn sample_dims(&self) -> Option<Vec<usize>> {
        if let Some(f) = self.features {
            return Some(vec![f]);
        }
        match &self.config.data.source {
            DataSource::Bundled(BundledData::Digits) => Some(vec![8, 8]),
            DataSource::Bundled(BundledData::Fashion) => Some(vec![28, 28]),
            _ => None,
        }
    }

    /// Class: portable. What the run divided every input value by (its data source's
    /// `pixel_max`).
    ///
    /// Errors ([`ErrorKind::Invalid`]): the run trained on in-memory data, whose scaling only
    /// its program knows.
    pub fn pixel_max(&self) -> Result<f32, Error> {
        match &self.config.data.source {
            DataSource::Bundled(BundledData::Digits) => Ok(16.0),
            DataSource::Bundled(BundledData::Fashion) => Ok(255.0),
            DataSource::Idx(s) => Ok(s.pixel_max),
            DataSource::Csv(s) => Ok(s.pixel_max),
            DataSource::InMemory { name, .. } => Err(Error::new(
                ErrorKind::Invalid,
                None,
                format!(
                    "this run trained on in-memory data `{name}`: its program scaled the \
                     inputs; predict with `ditto_train::predict_rows` there"
                ),
            )),
        }
    }

    /// Class: as the run's mode: canonical is batch-invariant (a sample's output bits are the
    /// same at any batch size, position and thread count; see [`crate::predict`]'s module
    /// docs), run-to-run the same for the same batch size on the same machine, `off` Burn's.
    /// The model's logits for `values` (raw, as the run's data source holds them: divided by
    /// [`BundledModel::pixel_max`] here), `dims` per sample, on backend `I` (under ditto's
    /// decorator in the run's mode), with `ck`'s weights, in batches of `batch_size`.
    ///
    /// Errors ([`ErrorKind::Invalid`]): `dims` do not fit the model (an MLP's feature count,
    /// a CNN or transformer needs 2-D images of the size it was trained on), `values` are
    /// not whole samples, `batch_size` is 0; [`ErrorKind::Features`] and
    /// [`ErrorKind::Environment`] as [`crate::Trainer::fit`]; the weights do not fit.
    pub fn predict<I: Inner>(
        &self,
        ck: &Checkpoint,
        dims: &[usize],
        values: &[f32],
        batch_size: usize,
        device: &I::Device,
    ) -> Result<Outputs, Error> {
        let invalid = |m: String| Error::new(ErrorKind::Invalid, None, m);
        let features: usize = dims.iter().product();
        if let Some(want) = &self.sample_dims()
            && want.iter().product::<usize>() != features
        {
            return Err(invalid(format!(
                "inputs of {dims:?} values per sample; the model reads {want:?}"
            )));
        }
        let pixel_max = self.pixel_max()?;
        let scaled: Vec<f32> = values.iter().map(|v| v / pixel_max).collect();
        let image = || match *dims {
            [h, w] => Ok((h, w)),
            _ => Err(invalid(format!(
                "a {} reads 2-D images; the inputs are {dims:?} per sample (give an IDX \
                 image file)",
                self.config.model.kind()
            ))),
        };
        ditto_kernels::build_check::<I>()
            .map_err(|e| Error::with_source(ErrorKind::Features, None, "build check", e))?;
        ditto_kernels::canonical::Isa::try_active()
            .map_err(|e| Error::with_source(ErrorKind::Environment, None, "DITTO_SIMD", e))?;
        let classes = self.classes;
        macro_rules! run {
            ($b:ty) => {
                match &self.config.model {
                    ModelConfig::Mlp(c) => {
                        let m = Mlp::<$b>::new(features, &c.hidden, classes, c.dropout, device);
                        let m = load_params(m, ck)?;
                        predict_rows::<$b, _>(&m, &scaled, features, batch_size, device)
                    }
                    ModelConfig::Cnn(c) => {
                        let (h, w) = image()?;
                        if Cnn::<$b>::flat_features(h, w, &c.channels).is_none() {
                            return Err(invalid(format!(
                                "{h}x{w} images are too small for the CNN's poolings"
                            )));
                        }
                        let m =
                            Cnn::<$b>::new(h, w, &c.channels, c.dense, classes, c.dropout, device);
                        let m = load_params(m, ck)?;
                        predict_rows::<$b, _>(&m, &scaled, features, batch_size, device)
                    }
                    ModelConfig::Transformer(c) => {
                        let (h, w) = image()?;
                        let m = load_params(Transformer::<$b>::new(h, w, c, classes, device), ck)?;
                        predict_rows::<$b, _>(&m, &scaled, features, batch_size, device)
                    }
                    ModelConfig::Custom(_) => Err(invalid("a custom model".into())),
                }
            };
        }
        match self.config.mode {
            Mode::Off => run!(I),
            Mode::RunToRun | Mode::Canonical => {
                Ditto::<I>::configure(device, crate::trainer::ditto_config(&self.config));
                // Building the model draws Burn's initial weights (which the checkpoint's then
                // replace): from the run's seed tree, as strict mode requires.
                let seeds = crate::seeds::RunSeeds::new(self.config.seed);
                Ditto::<I>::set_rng_state(device, ditto_kernels::RngState::new(seeds.backend()));
                run!(Ditto<I>)
            }
        }
    }
}
