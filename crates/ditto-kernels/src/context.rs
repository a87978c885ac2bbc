//! Per-device decorator state, held per thread.
//!
//! Burn's random ops receive only a device, and a Burn device must be rebuildable from its id
//! alone, so the state cannot live inside the device value. It lives in a thread-local map
//! keyed by (device type, device id): each training thread owns its own streams, tests never
//! race on shared state, and nothing is global to the process. ARCHITECTURE.md of this crate
//! records the alternatives considered.

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use burn_backend::Backend;
use burn_std::device::{Device as _, DeviceId};

use crate::config::DittoConfig;
use crate::refusal::Refusal;
use crate::rng_state::RngState;

#[derive(Default)]
pub(crate) struct DeviceContext {
    pub(crate) rng: Option<RngState>,
    pub(crate) config: DittoConfig,
    pub(crate) warned: HashSet<&'static str>,
    /// The first refusal recorded since it was last taken (`OnRefusal::Record`).
    pub(crate) refused: Option<Refusal>,
}

type Key = (TypeId, DeviceId);

thread_local! {
    static CONTEXTS: RefCell<HashMap<Key, DeviceContext>> = RefCell::new(HashMap::new());
}

fn key<B: Backend>(device: &B::Device) -> Key {
    (TypeId::of::<B::Device>(), device.to_id())
}

/// Runs `f` on the device's context (created with defaults if absent).
pub(crate) fn with<B: Backend, R>(
    device: &B::Device,
    f: impl FnOnce(&mut DeviceContext) -> R,
) -> R {
    CONTEXTS.with(|c| f(c.borrow_mut().entry(key::<B>(device)).or_default()))
}
