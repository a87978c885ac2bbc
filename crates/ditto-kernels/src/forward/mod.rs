//! Forwarding every Backend op of `Ditto<B>` to `B`.
//!
//! `Ditto<B>` uses `B`'s tensor primitives and device unchanged, so forwarding an op is a
//! plain call. The op signatures come from Burn's source through `scripts/gen_forward.py`
//! (`ops.rs`, generated); the [`forward!`] macro writes each body. Ops that `Ditto<B>`
//! implements itself are left out of the generated list (the script's `OVERRIDES`).

mod manual;
mod ops;

use burn_backend::TensorPrimitive;
use burn_backend::ops::{
    DeformConv2dBackward, MaxPool1dBackward, MaxPool1dWithIndices, MaxPool2dBackward,
    MaxPool2dWithIndices,
};

use crate::backend::Ditto;
use crate::inner::Inner;

/// Writes, for each signature, a method whose body calls the inner backend's op with the same
/// arguments. `=> rebrand` converts a result struct branded by `B` into the one branded by
/// `Ditto<B>` (same fields).
macro_rules! forward {
    (
        $tr:ident;
        $(
            fn $name:ident($($p:ident: $t:ty),* $(,)?) $(-> $ret:ty)? $(=> $conv:ident)?;
        )*
    ) => {
        $(
            #[inline]
            fn $name($($p: $t),*) $(-> $ret)? {
                $crate::audit::record(stringify!($name));
                forward!(@call $($conv)?; <B as $tr<B>>::$name($($p),*))
            }
        )*
    };
    (@call rebrand; $e:expr) => {
        $crate::forward::Rebrand::rebrand($e)
    };
    (@call ; $e:expr) => {
        $e
    };
}
pub(crate) use forward;

/// Converts a struct branded by the inner backend into the one branded by `Ditto<B>`.
pub(crate) trait Rebrand {
    type Out;
    fn rebrand(self) -> Self::Out;
}

impl<B: Inner> Rebrand for TensorPrimitive<B> {
    type Out = TensorPrimitive<Ditto<B>>;
    fn rebrand(self) -> Self::Out {
        match self {
            TensorPrimitive::Float(t) => TensorPrimitive::Float(t),
            TensorPrimitive::QFloat(t) => TensorPrimitive::QFloat(t),
        }
    }
}

/// The reverse of [`Rebrand`] for `TensorPrimitive`, for ops that take one.
pub(crate) fn unbrand<B: Inner>(t: TensorPrimitive<Ditto<B>>) -> TensorPrimitive<B> {
    match t {
        TensorPrimitive::Float(t) => TensorPrimitive::Float(t),
        TensorPrimitive::QFloat(t) => TensorPrimitive::QFloat(t),
    }
}

impl<B: Inner> Rebrand for DeformConv2dBackward<B> {
    type Out = DeformConv2dBackward<Ditto<B>>;
    fn rebrand(self) -> Self::Out {
        DeformConv2dBackward::new(
            self.x_grad,
            self.offset_grad,
            self.weight_grad,
            self.mask_grad,
            self.bias_grad,
        )
    }
}

impl<B: Inner> Rebrand for MaxPool1dBackward<B> {
    type Out = MaxPool1dBackward<Ditto<B>>;
    fn rebrand(self) -> Self::Out {
        MaxPool1dBackward::new(self.x_grad)
    }
}

impl<B: Inner> Rebrand for MaxPool1dWithIndices<B> {
    type Out = MaxPool1dWithIndices<Ditto<B>>;
    fn rebrand(self) -> Self::Out {
        MaxPool1dWithIndices::new(self.output, self.indices)
    }
}

impl<B: Inner> Rebrand for MaxPool2dBackward<B> {
    type Out = MaxPool2dBackward<Ditto<B>>;
    fn rebrand(self) -> Self::Out {
        MaxPool2dBackward::new(self.x_grad)
    }
}

impl<B: Inner> Rebrand for MaxPool2dWithIndices<B> {
    type Out = MaxPool2dWithIndices<Ditto<B>>;
    fn rebrand(self) -> Self::Out {
        MaxPool2dWithIndices::new(self.output, self.indices)
    }
}
