//! Which backends `Ditto<B>` can wrap, and what it knows about each.

use burn::tensor::backend::Backend;

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
/// Implemented for burn-ndarray's `NdArray` and (feature `wgpu`) burn-wgpu's `Wgpu`. Implement
/// it for another backend with `KIND = BackendKind::Other` to wrap it: ditto then treats every
/// non-exact op as non-deterministic in strict mode until that backend is audited.
pub trait Inner: Backend {
    /// The backend's family, which selects its row of the determinism audit.
    const KIND: BackendKind;
}

impl<E, I, Q> Inner for burn::backend::NdArray<E, I, Q>
where
    burn::backend::NdArray<E, I, Q>: Backend,
    burn::backend::ndarray::NdArrayTensor: From<burn::backend::ndarray::SharedArray<E>>,
    burn::backend::ndarray::NdArrayTensor: From<burn::backend::ndarray::SharedArray<I>>,
{
    const KIND: BackendKind = BackendKind::NdArray;
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
}
