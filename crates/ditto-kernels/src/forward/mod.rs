//! Forwarding every Backend op of `Ditto<B>` to `B`.
//!
//! `Ditto<B>` uses `B`'s tensor primitives and device unchanged, so forwarding an op is a
//! plain call. The op signatures come from Burn's source through `scripts/gen_forward.py`
//! (`ops.rs`, generated); the [`forward!`] macro writes each body. Ops that `Ditto<B>`
//! implements itself are left out of the generated list (the script's `OVERRIDES`).

mod activation;
mod conv;
mod feature_proof;
mod float;
mod manual;
mod module;
mod ops;
mod pool;

use burn_backend::TensorPrimitive;
use burn_backend::ops::{
    DeformConv2dBackward, MaxPool1dBackward, MaxPool1dWithIndices, MaxPool2dBackward,
    MaxPool2dWithIndices,
};

use crate::backend::Ditto;
use crate::inner::Inner;

/// Writes, for each signature, a method whose body calls the inner backend's op with the same
/// arguments. After `=>`: `rebrand` converts a result struct branded by `B` into the one
/// branded by `Ditto<B>` (same fields), `plain` returns it as is; `[name kind, ...]` lists the
/// tensor parameters and the next word the result's kind, for the op-level trace
/// (`crate::trace`; kinds `F` float, `I` int, `Bo` bool, `O*` optional, `V*` vectors, `Q`
/// quantized, `N` none); an optional `class param kind` applies strict mode in canonical mode
/// (`cpu`: exact on CPUs only, `fwd`: forwarded float arithmetic, `refused`).
macro_rules! forward {
    (
        $tr:ident;
        $(
            fn $name:ident($($p:ident: $t:ty),* $(,)?) $(-> $ret:ty)?
                => $conv:ident [$($tp:ident $tk:ident),*] $ok:ident $($gc:ident $gp:ident $gk:ident)?;
        )*
    ) => {
        $(
            #[inline]
            fn $name($($p: $t),*) $(-> $ret)? {
                $crate::audit::record(stringify!($name));
                $( forward!(@guard $gc $gp $gk $name); )?
                let __trace = $crate::trace::begin::<B>(
                    stringify!($name),
                    forward!(@traced $ok),
                    |__v| { $( forward!(@in $tk __v $tp); )* },
                );
                let __out = forward!(@call $conv; <B as $tr<B>>::$name($($p),*));
                $crate::trace::end(__trace, |__v| { forward!(@out $ok __v __out); });
                __out
            }
        )*
    };
    (@call rebrand; $e:expr) => {
        $crate::forward::Rebrand::rebrand($e)
    };
    (@call plain; $e:expr) => {
        $e
    };
    (@traced N) => { false };
    (@traced $k:ident) => { true };
    (@in F $v:ident $x:ident) => { $v.push($crate::trace::float::<B>(&$x)) };
    (@in I $v:ident $x:ident) => { $v.push($crate::trace::int::<B>(&$x)) };
    (@in Bo $v:ident $x:ident) => { $v.push($crate::trace::boolean::<B>(&$x)) };
    (@in OF $v:ident $x:ident) => { if let Some(t) = &$x { $v.push($crate::trace::float::<B>(t)) } };
    (@in OB $v:ident $x:ident) => { if let Some(t) = &$x { $v.push($crate::trace::boolean::<B>(t)) } };
    (@in VF $v:ident $x:ident) => { for t in &$x { $v.push($crate::trace::float::<B>(t)) } };
    (@in VI $v:ident $x:ident) => { for t in &$x { $v.push($crate::trace::int::<B>(t)) } };
    (@in VB $v:ident $x:ident) => { for t in &$x { $v.push($crate::trace::boolean::<B>(t)) } };
    (@in Q $v:ident $x:ident) => { let _ = &$x; };
    (@out N $v:ident $x:ident) => { let _ = (&$v, &$x); };
    (@out F $v:ident $x:ident) => { $v.push($crate::trace::float::<B>(&$x)) };
    (@out I $v:ident $x:ident) => { $v.push($crate::trace::int::<B>(&$x)) };
    (@out Bo $v:ident $x:ident) => { $v.push($crate::trace::boolean::<B>(&$x)) };
    (@out FI $v:ident $x:ident) => {
        $v.push($crate::trace::float::<B>(&$x.0));
        $v.push($crate::trace::int::<B>(&$x.1))
    };
    (@out FF $v:ident $x:ident) => {
        $v.push($crate::trace::float::<B>(&$x.0));
        $v.push($crate::trace::float::<B>(&$x.1))
    };
    (@out II $v:ident $x:ident) => {
        $v.push($crate::trace::int::<B>(&$x.0));
        $v.push($crate::trace::int::<B>(&$x.1))
    };
    (@guard $gc:ident $gp:ident F $name:ident) => {
        forward!(@check $gc B::float_device(&$gp), $name)
    };
    (@guard $gc:ident $gp:ident I $name:ident) => {
        forward!(@check $gc B::int_device(&$gp), $name)
    };
    (@guard $gc:ident $gp:ident Bo $name:ident) => {
        forward!(@check $gc B::bool_device(&$gp), $name)
    };
    (@guard $gc:ident $gp:ident Q $name:ident) => {
        forward!(@check $gc B::q_device(&$gp), $name)
    };
    (@guard $gc:ident $gp:ident Dev $name:ident) => {
        forward!(@check $gc (*$gp).clone(), $name)
    };
    (@check cpu $d:expr, $name:ident) => {
        $crate::strict::check_canonical::<B>(&$d, stringify!($name), $crate::audit::CanonicalClass::ExactOnCpu)
    };
    (@check fwd $d:expr, $name:ident) => {
        $crate::strict::check_canonical::<B>(&$d, stringify!($name), $crate::audit::CanonicalClass::Forwarded)
    };
    (@check refused $d:expr, $name:ident) => {
        $crate::strict::check_canonical::<B>(&$d, stringify!($name), $crate::audit::CanonicalClass::Refused)
    };
}
pub(crate) use forward;

/// The body of an op written by hand: notes the op for the audit and the trace (inputs as in
/// [`forward!`], the result kind after the list; `MP`/`MB`: max-pool result structs) and
/// evaluates `$body`.
macro_rules! traced {
    ($name:literal, [$($tp:ident $tk:ident),*] $ok:ident, $body:expr) => {{
        $crate::audit::record($name);
        let __trace = $crate::trace::begin::<B>($name, true, |__v| {
            $( $crate::forward::forward!(@in $tk __v $tp); )*
        });
        let __out = $body;
        $crate::trace::end(__trace, |__v| {
            $crate::forward::traced!(@out $ok __v __out);
        });
        __out
    }};
    (@out MP $v:ident $x:ident) => {
        $v.push($crate::trace::float::<B>(&$x.output));
        $v.push($crate::trace::int::<B>(&$x.indices))
    };
    (@out MB $v:ident $x:ident) => {
        $v.push($crate::trace::float::<B>(&$x.x_grad))
    };
    (@out $k:ident $v:ident $x:ident) => {
        $crate::forward::forward!(@out $k $v $x)
    };
}
pub(crate) use traced;

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
