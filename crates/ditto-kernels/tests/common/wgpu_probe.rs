//! Whether the Wgpu tests can run here: asks wgpu for the adapter that Burn's default
//! `WgpuDevice` would use (Vulkan on Linux and Windows, Metal on macOS) without panicking.
//! Without one, the Wgpu tests print one line saying they were skipped, why and how to enable
//! them, and pass; with `DITTO_REQUIRE_WGPU=1` (set by `.ci/run`) they fail instead.
//! Shared by `ditto-kernels`' and `ditto-rng`'s Wgpu tests (the latter via `#[path]`).

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// True if a Wgpu adapter exists. Otherwise prints the skip line (or panics when
/// `DITTO_REQUIRE_WGPU=1`) and returns false.
pub fn wgpu_available(suite: &str) -> bool {
    let (backend, name) = if cfg!(target_os = "macos") {
        (wgpu::Backends::METAL, "Metal")
    } else {
        (wgpu::Backends::VULKAN, "Vulkan")
    };
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: backend,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter = block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface: None,
    }));
    let why = match adapter {
        Ok(_) => return true,
        Err(e) => format!("no {name} adapter ({e})"),
    };
    let required = std::env::var("DITTO_REQUIRE_WGPU").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{suite}: DITTO_REQUIRE_WGPU=1 but there is {why}; install one with \
         `apt-get install -y mesa-vulkan-drivers` (lavapipe)"
    );
    // Written to the process's stderr directly, past the test harness's output capture, so
    // that a passing run still shows it.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {suite}: {why}. To run these tests, install a Vulkan driver, e.g. \
         `apt-get install -y mesa-vulkan-drivers` (lavapipe, a CPU device); \
         DITTO_REQUIRE_WGPU=1 turns this skip into a failure."
    );
    false
}

/// Runs a future to completion on this thread (wgpu's native futures resolve at once).
fn block_on<F: Future>(future: F) -> F::Output {
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
