//! The probe's plumbing: building inputs on a device, calling one backend op on their
//! primitives, reading the result back as bits, and recording each case's outcome.

use std::panic::{AssertUnwindSafe, catch_unwind};

use burn::tensor::backend::Backend;
use burn::tensor::ops::{BoolTensor, FloatTensor, IntTensor};
use burn::tensor::{
    Bool, BoolDType, FloatDType, Int, IntDType, Tensor, TensorData, TensorPrimitive,
    get_device_settings,
};

/// Class: portable (data). What a probed result's bits are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    /// f32 bit patterns.
    F32,
    /// Integers (the low 32 bits of each value; the probe's values stay far below 2^31).
    Int,
    /// Booleans as 0 or 1 (and flags such as `is_require_grad`).
    Bool,
}

/// One op's run: its name, what its bits are, the operands (element by element, as their
/// own bits; empty where the operands are not element-wise) and the result bits.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    pub(crate) op: &'static str,
    pub(crate) values: Values,
    pub(crate) inputs: Vec<Vec<u32>>,
    pub(crate) bits: Vec<u32>,
}

/// The cases run on one device, in a fixed order.
pub(crate) struct Cases<'a, X: Backend> {
    pub(crate) d: &'a X::Device,
    pub(crate) out: Vec<Outcome>,
}

impl<'a, X: Backend> Cases<'a, X> {
    pub(crate) fn new(d: &'a X::Device) -> Self {
        Self { d, out: Vec::new() }
    }

    /// Runs one case (`f` builds its inputs on this device with the helpers below and returns
    /// the result bits); a case that panics on this device gives no result (which [`super::diff`]
    /// reports as a failure for every element the host computed).
    pub(crate) fn case(
        &mut self,
        op: &'static str,
        values: Values,
        inputs: Vec<Vec<u32>>,
        f: impl FnOnce(&Self) -> Vec<u32>,
    ) {
        let bits = catch_unwind(AssertUnwindSafe(|| f(self))).unwrap_or_default();
        self.out.push(Outcome {
            op,
            values,
            inputs,
            bits,
        });
    }

    pub(crate) fn fdt(&self) -> FloatDType {
        get_device_settings::<X>(self.d).float_dtype
    }

    pub(crate) fn idt(&self) -> IntDType {
        get_device_settings::<X>(self.d).int_dtype
    }

    pub(crate) fn bdt(&self) -> BoolDType {
        get_device_settings::<X>(self.d).bool_dtype
    }

    /// A float tensor of `shape` holding `v` (row-major).
    pub(crate) fn f(&self, v: &[f32], shape: &[usize]) -> FloatTensor<X> {
        let t = Tensor::<X, 1>::from_data(TensorData::new(v.to_vec(), [v.len()]), self.d);
        X::float_reshape(t.into_primitive().tensor(), shape.into())
    }

    /// An int tensor of `shape` holding `v`.
    pub(crate) fn i(&self, v: &[i64], shape: &[usize]) -> IntTensor<X> {
        let t = Tensor::<X, 1, Int>::from_data(TensorData::new(v.to_vec(), [v.len()]), self.d);
        X::int_reshape(t.into_primitive(), shape.into())
    }

    /// A bool tensor of `shape` holding `v`.
    pub(crate) fn b(&self, v: &[bool], shape: &[usize]) -> BoolTensor<X> {
        let t = Tensor::<X, 1, Bool>::from_data(TensorData::new(v.to_vec(), [v.len()]), self.d);
        X::bool_reshape(t.into_primitive(), shape.into())
    }
}

/// The f32 bits of a float tensor, row-major.
pub(crate) fn rf<X: Backend>(t: FloatTensor<X>) -> Vec<u32> {
    read(Tensor::<X, 1>::from_primitive(TensorPrimitive::Float(t)).try_into_data())
        .map(|d| d.iter::<f32>().map(f32::to_bits).collect())
        .unwrap_or_default()
}

/// The low 32 bits of an int tensor's values, row-major.
pub(crate) fn ri<X: Backend>(t: IntTensor<X>) -> Vec<u32> {
    read(Tensor::<X, 1, Int>::from_primitive(t).try_into_data())
        .map(|d| d.iter::<i64>().map(|v| v as u32).collect())
        .unwrap_or_default()
}

/// A bool tensor's values as 0 or 1, row-major.
pub(crate) fn rb<X: Backend>(t: BoolTensor<X>) -> Vec<u32> {
    read(Tensor::<X, 1, Bool>::from_primitive(t).try_into_data())
        .map(|d| d.iter::<i64>().map(|v| u32::from(v != 0)).collect())
        .unwrap_or_default()
}

fn read<E>(r: Result<TensorData, E>) -> Option<TensorData> {
    r.ok()
}

/// The f32 bits of `v`.
pub(crate) fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The low 32 bits of `v`.
pub(crate) fn ibits(v: &[i64]) -> Vec<u32> {
    v.iter().map(|&x| x as u32).collect()
}
