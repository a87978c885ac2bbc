//! Burn glue: tensors drawn from a stream on the host, then uploaded to any device.

use burn::tensor::{Tensor, TensorData, backend::Backend};

use crate::error::{Error, ErrorKind};
use crate::init::{Fans, Init};
use crate::stream::Stream;

impl Stream {
    /// Class: portable. A tensor of `shape` filled by `init` from this stream (row-major
    /// order, on the host) and uploaded to `device`. The same stream state gives the same
    /// values on every backend and device (bit for bit where the backend's float element is
    /// `f32`, as on NdArray and Wgpu).
    pub fn init_tensor<B: Backend, const D: usize>(
        &mut self,
        shape: [usize; D],
        init: &Init,
        fans: Fans,
        device: &B::Device,
    ) -> Result<Tensor<B, D>, Error> {
        let n = num_elements(&shape)?;
        let values = init.values(n, fans, self)?;
        Ok(Tensor::from_data(TensorData::new(values, shape), device))
    }

    /// Class: portable. A tensor uniform in `[low, high]` (see [`Stream::uniform_range_f32`]).
    pub fn uniform_tensor<B: Backend, const D: usize>(
        &mut self,
        shape: [usize; D],
        low: f32,
        high: f32,
        device: &B::Device,
    ) -> Result<Tensor<B, D>, Error> {
        let init = Init::Uniform {
            min: f64::from(low),
            max: f64::from(high),
        };
        self.init_tensor(shape, &init, Fans::default(), device)
    }

    /// Class: portable. A normal tensor (see [`Stream::normal_f32`]).
    pub fn normal_tensor<B: Backend, const D: usize>(
        &mut self,
        shape: [usize; D],
        mean: f32,
        std: f32,
        device: &B::Device,
    ) -> Result<Tensor<B, D>, Error> {
        let init = Init::Normal {
            mean: f64::from(mean),
            std: f64::from(std),
        };
        self.init_tensor(shape, &init, Fans::default(), device)
    }
}

/// Class: portable. Uploads `values` (row-major) as a tensor of `shape`; errors when the
/// length does not match the shape.
pub fn tensor_from_f32<B: Backend, const D: usize>(
    values: Vec<f32>,
    shape: [usize; D],
    device: &B::Device,
) -> Result<Tensor<B, D>, Error> {
    let n = num_elements(&shape)?;
    if values.len() != n {
        return Err(Error::new(
            ErrorKind::Shape,
            format!(
                "{} values do not fill shape {shape:?} ({n} elements)",
                values.len()
            ),
        ));
    }
    Ok(Tensor::from_data(TensorData::new(values, shape), device))
}

pub(crate) fn num_elements(shape: &[usize]) -> Result<usize, Error> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::new(ErrorKind::Shape, format!("shape {shape:?} overflows usize")))
}
