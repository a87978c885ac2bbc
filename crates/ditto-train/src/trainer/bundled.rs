//! The bundled models (`model.kind = mlp | cnn | transformer`), trained through the same [`Trainer`] API.

use burn::backend::Autodiff;
use ditto_kernels::Inner;

use crate::config::{CnnConfig, MlpConfig, Mode, ModelConfig, TransformerConfig};
use crate::data::TrainData;
use crate::error::{Error, ErrorKind};
use crate::model::{Cnn, Mlp, Transformer};
use crate::model_record::ModelOrigin;
use crate::objective::Classification;
use crate::records::RunSummary;
use crate::trainer::{TrainBackend, Trainer};

impl Trainer<Classification> {
    /// Class: as [`Trainer`]. Builds the bundled model of `config.model` for `data` and trains
    /// it on backend `I`: through ditto's decorator in modes `run-to-run` and `canonical`, on
    /// the plain `Autodiff<I>` in mode `off`. This is what `ditto train` runs.
    ///
    /// Errors: `model.kind = custom` (train your model with [`Trainer::fit`]), a CNN on data
    /// that is not 2-D images or whose poolings shrink it to nothing, and those of
    /// [`Trainer::fit`].
    pub fn fit_bundled<I: Inner>(
        mut self,
        data: &TrainData,
        device: &I::Device,
    ) -> Result<RunSummary, Error> {
        // The config built this model: the run records it as the config says.
        self.origin = ModelOrigin::Config;
        let model = match &self.config.model {
            ModelConfig::Custom(_) => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    None,
                    "config `model.kind`: `custom`: this run's model was built by a program \
                     (see its report.md) and is trained with `Trainer::fit`, which that \
                     program calls; run the program again to reproduce it",
                ));
            }
            ModelConfig::Mlp(c) => Bundled::Mlp(c.clone()),
            ModelConfig::Cnn(c) => Bundled::Cnn(c.clone(), cnn_dims(c, data)?),
            ModelConfig::Transformer(c) => {
                Bundled::Transformer(c.clone(), image_dims(data, "a transformer")?)
            }
        };
        let classes = data.classes();
        // One arm per (backend, model): each instantiates the run loop once.
        macro_rules! fit {
            ($b:ty, $method:ident :: <$($g:ty),*>) => {
                match model {
                    Bundled::Mlp(c) => {
                        let m = Mlp::<$b>::new(data.features(), &c.hidden, classes, c.dropout, device);
                        self.$method::<$($g),*>(m, data, device).map(|t| t.summary)
                    }
                    Bundled::Cnn(c, (h, w)) => {
                        let m = Cnn::<$b>::new(h, w, &c.channels, c.dense, classes, c.dropout, device);
                        self.$method::<$($g),*>(m, data, device).map(|t| t.summary)
                    }
                    Bundled::Transformer(c, (h, w)) => {
                        let m = Transformer::<$b>::new(h, w, &c, classes, device);
                        self.$method::<$($g),*>(m, data, device).map(|t| t.summary)
                    }
                }
            };
        }
        match self.config.mode {
            Mode::Off => fit!(Autodiff<I>, fit_plain::<Autodiff<I>, _>),
            Mode::RunToRun | Mode::Canonical => fit!(TrainBackend<I>, fit::<I, _>),
        }
    }
}

/// Which bundled model, with the CNN's image size.
enum Bundled {
    Mlp(MlpConfig),
    Cnn(CnnConfig, (usize, usize)),
    Transformer(TransformerConfig, (usize, usize)),
}

/// The samples' `(height, width)`, or an error naming `what` needs 2-D images.
fn image_dims(data: &TrainData, what: &str) -> Result<(usize, usize), Error> {
    match *data.dims() {
        [h, w] => Ok((h, w)),
        _ => Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "config `model.kind`: {what} needs 2-D images, samples are {:?}",
                data.dims()
            ),
        )),
    }
}

fn cnn_dims(c: &CnnConfig, data: &TrainData) -> Result<(usize, usize), Error> {
    let (h, w) = image_dims(data, "a CNN")?;
    if Cnn::<burn::backend::NdArray>::flat_features(h, w, &c.channels).is_none() {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "config `model.channels`: {} poolings shrink {h}x{w} images to nothing",
                c.channels.len()
            ),
        ));
    }
    Ok((h, w))
}
