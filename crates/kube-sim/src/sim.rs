//! The shared server core: configuration, the object store and the controller wake-up signal.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::config::{Faults, SimConfig};
use crate::store::State;

/// Everything request handlers and controllers share.
pub struct Sim {
    /// Configuration the server was started with.
    pub config: SimConfig,
    /// Runtime fault settings.
    pub faults: Faults,
    /// The bearer token clients must present.
    pub token: String,
    /// The object store.
    state: Mutex<State>,
    /// Wakes the controllers after a write.
    pub wake: Notify,
    /// The CA certificate clients trust (published as `kube-root-ca.crt`), when serving TLS.
    pub ca_pem: Option<String>,
    /// Connections and requests so far.
    pub traffic: crate::traffic::Traffic,
}

impl Sim {
    /// A core around an initial state.
    pub fn new(
        config: SimConfig,
        token: String,
        state: State,
        ca_pem: Option<String>,
    ) -> Arc<Self> {
        let faults = Faults::new(config.faults.clone());
        Arc::new(Sim {
            config,
            faults,
            token,
            state: Mutex::new(state),
            wake: Notify::new(),
            ca_pem,
            traffic: Default::default(),
        })
    }

    /// Locks the store (a poisoned lock is recovered: handlers never leave it inconsistent).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tells the controllers something changed.
    pub fn changed(&self) {
        self.wake.notify_one();
    }
}
