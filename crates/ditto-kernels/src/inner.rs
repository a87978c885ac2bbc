//! Which backends `Ditto<B>` can wrap, and what it knows about each.

use burn::tensor::backend::Backend;

use crate::adapter::GpuAdapter;

/// Class: not applicable (a classification). The backend families whose determinism ditto has
/// audited (see `DETERMINISM.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum BackendKind {
    /// burn-ndarray on the CPU.
    NdArray,
    /// burn-wgpu (cubecl) without autotune or fusion.
    Wgpu,
    /// A backend ditto has not audited: every op is treated as non-deterministic by strict
    /// mode unless it is exact.
    Other,
}

/// Class: not applicable (a marker trait). A Burn backend that `Ditto<B>` can wrap.
///
/// Implemented for burn-ndarray's `NdArray` and (feature `wgpu`) burn-wgpu's `Wgpu` without
/// Burn's `fusion` feature (`CubeBackend<WgpuRuntime, ..>`). Implement it for another backend
/// with `KIND = BackendKind::Other` to wrap it: ditto then treats every non-exact op as
/// non-deterministic in strict mode until that backend is audited.
///
/// Not implemented for a `Fusion<..>` backend: with Burn's `fusion` feature on (a dependency
/// on `burn` with default features and `wgpu` turns it on), `burn::backend::Wgpu` is
/// `Fusion<CubeBackend<..>>`, whose fused kernels ditto has not audited, and `Ditto<Wgpu>`
/// does not compile; the compiler's message says so and how to turn the feature off.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a backend `Ditto<B>` can wrap (ditto's `Inner` trait)",
    label = "not a backend ditto has audited",
    note = "if `{Self}` is `Fusion<..>`: Burn's `fusion` feature is on (Cargo unifies features: a \
            `burn` dependency with default features and `wgpu` turns it on), and \
            `burn::backend::Wgpu` is then `Fusion<CubeBackend<..>>`, whose fused kernels ditto \
            refuses",
    note = "turn it off: `burn = {{ version = \"=0.21.0\", default-features = false, features = \
            [\"std\", \"wgpu\", \"autodiff\"] }}` in every crate of your build that depends on \
            `burn` (`cargo tree -e features -i burn-fusion` shows which one turns it on), or \
            name `burn::backend::wgpu::CubeBackend<burn::backend::wgpu::WgpuRuntime, f32, i32, \
            u32>`; without `default-features = false` ditto also refuses, at run time, \
            burn-cubecl's `autotune` (`ditto_kernels::build_check`)"
)]
pub trait Inner: Backend {
    /// The backend's family, which selects its row of the determinism audit.
    const KIND: BackendKind;

    /// Class: exact (a copy). The values of an f32 tensor in row-major order, read directly
    /// from host memory, or `None` where the backend's memory is not the host's or the tensor
    /// is not f32 (callers then use `float_into_data`). Canonical mode's host round trip and
    /// the op trace read through it.
    ///
    /// burn-ndarray's `into_data` copies an array that autodiff also holds (so every operand
    /// of a backward pass) element by element through a dynamic-rank iterator; this reads a
    /// contiguous array with one `memcpy` and a strided one with one strided copy.
    fn host_f32(tensor: &Self::FloatTensorPrimitive) -> Option<Vec<f32>> {
        let _ = tensor;
        None
    }

    /// Class: exact (the tensor's own values). Like [`Inner::host_f32`], but without a copy
    /// where the backend's buffer is already row-major host memory: canonical kernels read it
    /// in place. Defaults to `host_f32`.
    fn host_f32_shared(tensor: &Self::FloatTensorPrimitive) -> Option<HostF32> {
        Self::host_f32(tensor).map(HostF32::from)
    }

    /// Class: not applicable (a choice of kernel). Whether run-to-run mode runs ditto's
    /// canonical kernels for `conv2d`, `max_pool2d` (with indices), `relu`, `gelu`,
    /// `sigmoid`, `tanh` and `erf` (with their backward ops) and `float_matmul` (attention's
    /// batched products; `linear` keeps the backend's) instead of the backend's, where ditto's
    /// are the faster (vectorised maps where libm's are scalar; no per-product thread hand-off). A canonical
    /// kernel is portable, so this only makes run-to-run results depend on less; it changes
    /// their bits, like any change of kernel. `false` unless the backend says otherwise;
    /// burn-ndarray says `true` (its convolutions alone take about 4x ditto's whole
    /// fashion-cnn step, `benches/README.md`).
    const CANONICAL_IN_RUN_TO_RUN: bool = false;

    /// Class: not applicable (a choice of kernel). Whether `Ditto<B>` runs its own code, in
    /// both modes, for every op whose bits a Cargo feature of the backend can change, so that
    /// a feature a user's dependency turns on cannot change a bit. burn-ndarray says `true`:
    /// its `simd` feature (on in any build where some crate depends on `burn` with default
    /// features) takes an approximate `recip`, `maxps`-style `clamp` (`-0.0` and NaN
    /// differ), an unordered `equal` (`NaN == NaN`), and its own conv2d and pooling kernels.
    /// ditto then computes `recip`, `clamp`, the comparisons built on `equal` (`not_equal`,
    /// `is_nan`, `is_inf`, `any`, `all`) as burn-ndarray does without the feature, and takes
    /// its canonical kernels for the convolutions and pooling ops whose Burn default bodies
    /// call burn-ndarray's conv2d or pooling (1-D convolutions and pooling, transposed
    /// convolutions' gradients, 2-D average pooling), and for `hard_sigmoid`,
    /// `log_sigmoid_backward`, `attention` and negative integer powers, which call `clamp` or
    /// `recip` (`crates/ditto-kernels/DETERMINISM.md`, "Your Cargo features").
    const FEATURE_PROOF: bool = false;

    /// Class: not applicable (reads the machine). The GPU adapter `device` runs on, for the
    /// run's provenance, or `None` for a device that is not a GPU adapter (the CPU backend)
    /// or whose adapter cannot be read (see [`GpuAdapter`]'s module: Wgpu's is asked of wgpu
    /// again, without creating a second device).
    fn adapter(device: &Self::Device) -> Option<GpuAdapter> {
        let _ = device;
        None
    }
}

/// Class: exact (the tensor's own values). An f32 tensor's values in row-major order, read
/// for a canonical kernel: a copy, or the backend's own host buffer held by reference count
/// (`Inner::host_f32_shared`). Dereferences to the values.
pub struct HostF32(Held);

enum Held {
    Copied(Vec<f32>),
    /// A standard-layout (row-major, contiguous) array: checked when it was taken.
    Shared(ndarray::ArcArray<f32, ndarray::IxDyn>),
}

impl HostF32 {
    /// Class: exact. The values as an owned vector (one `memcpy` when they were shared).
    pub fn into_vec(self) -> Vec<f32> {
        match self.0 {
            Held::Copied(v) => v,
            Held::Shared(_) => self.to_vec(),
        }
    }
}

impl From<Vec<f32>> for HostF32 {
    fn from(values: Vec<f32>) -> Self {
        Self(Held::Copied(values))
    }
}

impl std::ops::Deref for HostF32 {
    type Target = [f32];

    fn deref(&self) -> &[f32] {
        match &self.0 {
            Held::Copied(v) => v,
            Held::Shared(a) => a
                .as_slice()
                .expect("HostF32 holds only standard-layout arrays"),
        }
    }
}

impl<E, I, Q> Inner for burn::backend::NdArray<E, I, Q>
where
    burn::backend::NdArray<E, I, Q>: Backend,
    burn::backend::ndarray::NdArrayTensor: From<burn::backend::ndarray::SharedArray<E>>,
    burn::backend::ndarray::NdArrayTensor: From<burn::backend::ndarray::SharedArray<I>>,
{
    const KIND: BackendKind = BackendKind::NdArray;
    const CANONICAL_IN_RUN_TO_RUN: bool = true;
    const FEATURE_PROOF: bool = true;

    fn host_f32_shared(tensor: &Self::FloatTensorPrimitive) -> Option<HostF32> {
        let any: &dyn std::any::Any = tensor;
        let Some(burn::backend::ndarray::NdArrayTensor::F32(storage)) = any.downcast_ref() else {
            return None;
        };
        if !storage.view().is_standard_layout() {
            return Self::host_f32(tensor).map(HostF32::from);
        }
        // An `Arc` clone of the array (a copy only for memory borrowed from a file).
        Some(HostF32(Held::Shared(storage.clone().into_shared())))
    }

    fn host_f32(tensor: &Self::FloatTensorPrimitive) -> Option<Vec<f32>> {
        // The impl's `Self: Backend` bound keeps the primitive type opaque here; it is
        // `NdArrayTensor` for every `NdArray<E, I, Q>`.
        let any: &dyn std::any::Any = tensor;
        let Some(burn::backend::ndarray::NdArrayTensor::F32(storage)) = any.downcast_ref() else {
            return None;
        };
        let view = storage.view();
        Some(match view.as_slice() {
            Some(values) => values.to_vec(),
            None => {
                let mut out = ndarray::ArrayD::<f32>::zeros(view.raw_dim());
                out.assign(&view);
                out.into_raw_vec_and_offset().0
            }
        })
    }
}

#[cfg(feature = "wgpu")]
impl<F, I, BT> Inner
    for burn::backend::wgpu::CubeBackend<burn::backend::wgpu::WgpuRuntime, F, I, BT>
where
    burn::backend::wgpu::CubeBackend<burn::backend::wgpu::WgpuRuntime, F, I, BT>: Backend,
    F: burn::backend::wgpu::FloatElement,
    I: burn::backend::wgpu::IntElement,
    BT: burn::backend::wgpu::BoolElement,
{
    const KIND: BackendKind = BackendKind::Wgpu;

    fn adapter(device: &Self::Device) -> Option<GpuAdapter> {
        // `Self::Device` is `WgpuDevice`, which the bounds above do not let the compiler see.
        let any: &dyn std::any::Any = device;
        any.downcast_ref::<burn::backend::wgpu::WgpuDevice>()
            .and_then(crate::adapter::query::wgpu_adapter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use burn::tensor::{Tensor, TensorData};

    #[test]
    fn ndarray_direct_reads_equal_into_data_for_every_layout() {
        let d = Default::default();
        let values: Vec<f32> = (0..24).map(|i| i as f32 * 0.5 - 3.0).collect();
        let t = Tensor::<NdArray, 3>::from_data(TensorData::new(values, [2, 3, 4]), &d);
        for x in [
            t.clone(),
            t.clone().swap_dims(0, 2),
            t.clone().narrow(1, 1, 2),
            t.clone().permute([1, 2, 0]),
            t.clone().swap_dims(1, 2).narrow(2, 1, 2),
        ] {
            // `x` is shared with `want`'s source: the case into_data copies element-wise.
            let want = x.clone().into_data().to_vec::<f32>().unwrap();
            let got = <NdArray as Inner>::host_f32(&x.into_primitive().tensor()).unwrap();
            assert_eq!(got, want);
        }
    }
}
