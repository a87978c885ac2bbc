//! The GPU adapter a Wgpu device runs on, for a run's provenance: name, vendor and device ids,
//! type, driver and graphics API.
//!
//! cubecl-wgpu 0.10 keeps the adapter it picked inside its compute server and exposes only the
//! graphics API (`ComputeClient::info`), so the adapter is asked of wgpu again by the same
//! rules cubecl-wgpu's `request_adapter` applies to a `WgpuDevice` (the default device: the
//! high-performance adapter of the platform's API, Vulkan or Metal; `DiscreteGpu(n)` and the
//! like: the `n`-th adapter of that type). That is an adapter query (a new `wgpu::Instance`,
//! no second device, no queue, no memory on the GPU). Where the rules cannot be followed
//! (`WgpuDevice::Existing`, a device chosen through `CUBECL_WGPU_DEFAULT_DEVICE`), or no
//! adapter answers, nothing is recorded rather than a guess.

use serde::{Deserialize, Serialize};

/// Class: not applicable (a record of the machine). The GPU adapter a run used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuAdapter {
    /// The adapter's name (e.g. `NVIDIA GeForce RTX 4090`, `llvmpipe (LLVM 15.0.7, 256
    /// bits)`).
    pub name: String,
    /// The API's vendor id (a PCI vendor id for Vulkan), as `0x` and four or more hex digits.
    pub vendor_id: String,
    /// The API's device id (a PCI device id for Vulkan), as `0x` and four or more hex digits.
    pub device_id: String,
    /// `discrete-gpu`, `integrated-gpu`, `virtual-gpu`, `cpu` or `other`.
    pub device_type: String,
    /// The driver's name (e.g. `NVIDIA`, `llvmpipe`), empty when the API gives none.
    pub driver: String,
    /// The driver's version text (e.g. `550.54.14`, `Mesa 23.2.1`), empty when the API gives
    /// none.
    pub driver_info: String,
    /// The graphics API (`vulkan`, `metal`, `dx12`, `gl`).
    pub api: String,
}

impl GpuAdapter {
    /// Class: not applicable. Whether the adapter is a CPU device (lavapipe, WARP), whose
    /// kernels are compiled for the host's CPU.
    pub fn is_cpu_device(&self) -> bool {
        self.device_type == "cpu"
    }

    /// Class: not applicable. One line: name, driver and API.
    pub fn describe(&self) -> String {
        let driver = match (self.driver.is_empty(), self.driver_info.is_empty()) {
            (true, true) => "driver not reported".to_owned(),
            (false, true) => format!("driver {}", self.driver),
            (true, false) => format!("driver {}", self.driver_info),
            (false, false) => format!("driver {} {}", self.driver, self.driver_info),
        };
        format!(
            "{} ({}, {}, {}, vendor {} device {})",
            self.name, self.device_type, driver, self.api, self.vendor_id, self.device_id
        )
    }
}

#[cfg(feature = "wgpu")]
pub(crate) mod query {
    use std::future::Future;

    use super::GpuAdapter;
    use burn::backend::wgpu::WgpuDevice;

    /// The adapter cubecl-wgpu picks for `device` (see the module's doc), or `None`.
    pub(crate) fn wgpu_adapter(device: &WgpuDevice) -> Option<GpuAdapter> {
        if std::env::var_os("CUBECL_WGPU_DEFAULT_DEVICE").is_some() {
            return None;
        }
        let backend = if cfg!(target_os = "macos") {
            wgpu::Backend::Metal
        } else {
            wgpu::Backend::Vulkan
        };
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: backend.into(),
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let wanted = match device {
            WgpuDevice::DiscreteGpu(n) => Some((wgpu::DeviceType::DiscreteGpu, *n)),
            WgpuDevice::IntegratedGpu(n) => Some((wgpu::DeviceType::IntegratedGpu, *n)),
            WgpuDevice::VirtualGpu(n) => Some((wgpu::DeviceType::VirtualGpu, *n)),
            WgpuDevice::Cpu => Some((wgpu::DeviceType::Cpu, 0)),
            WgpuDevice::Existing(_) => return None,
            #[allow(deprecated)]
            WgpuDevice::DefaultDevice | WgpuDevice::BestAvailable => None,
        };
        let adapter = match wanted {
            None => block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                force_fallback_adapter: false,
                compatible_surface: None,
            }))
            .ok()?,
            Some((kind, n)) => {
                // cubecl-wgpu's `select_from_adapter_list`: the n-th adapter of the type,
                // else the n-th of type `Other`.
                let (mut same, mut other) = (Vec::new(), Vec::new());
                for a in block_on(instance.enumerate_adapters(backend.into())) {
                    match a.get_info().device_type {
                        wgpu::DeviceType::Other => other.push(a),
                        t if t == kind => same.push(a),
                        _ => {}
                    }
                }
                if same.len() > n {
                    same.swap_remove(n)
                } else if other.len() > n {
                    other.swap_remove(n)
                } else {
                    return None;
                }
            }
        };
        Some(from_info(&adapter.get_info()))
    }

    fn from_info(info: &wgpu::AdapterInfo) -> GpuAdapter {
        GpuAdapter {
            name: info.name.clone(),
            vendor_id: format!("{:#06x}", info.vendor),
            device_id: format!("{:#06x}", info.device),
            device_type: match info.device_type {
                wgpu::DeviceType::DiscreteGpu => "discrete-gpu",
                wgpu::DeviceType::IntegratedGpu => "integrated-gpu",
                wgpu::DeviceType::VirtualGpu => "virtual-gpu",
                wgpu::DeviceType::Cpu => "cpu",
                wgpu::DeviceType::Other => "other",
            }
            .to_owned(),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
            api: info.backend.to_str().to_owned(),
        }
    }

    /// Runs a future to completion on this thread (wgpu's native futures resolve at once).
    fn block_on<F: Future>(future: F) -> F::Output {
        use std::sync::Arc;
        use std::task::{Context, Poll, Wake, Waker};
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(v) => return v,
                Poll::Pending => std::thread::park(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as lavapipe reports itself (Mesa 23.2, `vulkaninfo --summary` on Ubuntu 24.04).
    fn lavapipe() -> GpuAdapter {
        GpuAdapter {
            name: "llvmpipe (LLVM 15.0.7, 256 bits)".into(),
            vendor_id: "0x10005".into(),
            device_id: "0x0000".into(),
            device_type: "cpu".into(),
            driver: "llvmpipe".into(),
            driver_info: "Mesa 23.2.1-1ubuntu3.1~22.04.2 (LLVM 15.0.7)".into(),
            api: "vulkan".into(),
        }
    }

    #[test]
    fn records_round_trip_and_describe_themselves() {
        let a = lavapipe();
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<GpuAdapter>(&text).unwrap(), a);
        assert!(a.is_cpu_device());
        assert_eq!(
            a.describe(),
            "llvmpipe (LLVM 15.0.7, 256 bits) (cpu, driver llvmpipe Mesa \
             23.2.1-1ubuntu3.1~22.04.2 (LLVM 15.0.7), vulkan, vendor 0x10005 device 0x0000)"
        );
        let bare = GpuAdapter {
            driver: String::new(),
            driver_info: String::new(),
            ..a
        };
        assert!(
            bare.describe().contains("driver not reported"),
            "{}",
            bare.describe()
        );
    }
}
