//! One connection per node, opened on first use and shared by every
//! resource on that node; a connection that broke is opened again.

use crate::error::SshError;
use crate::ssh::{Session, SshOptions, SshTarget};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Mutex as AsyncMutex;

type Slot = Arc<AsyncMutex<Option<(SshTarget, Arc<Session>)>>>;

/// Connections by node name.
#[derive(Default)]
pub struct Pool {
    options: SshOptions,
    slots: Mutex<HashMap<String, Slot>>,
}

impl Pool {
    /// An empty pool whose connections use `options`.
    pub fn new(options: SshOptions) -> Self {
        Pool {
            options,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The options connections are made with.
    pub fn options(&self) -> &SshOptions {
        &self.options
    }

    /// The node's connection: the open one when its target is unchanged,
    /// else a new one. Concurrent callers for one node wait for one connect.
    pub async fn session(&self, node: &str, target: &SshTarget) -> Result<Arc<Session>, SshError> {
        let slot = self
            .slots
            .lock()
            .expect("not poisoned")
            .entry(node.to_string())
            .or_default()
            .clone();
        let mut guard = slot.lock().await;
        if let Some((t, s)) = guard.as_ref() {
            if t == target && !s.is_closed() {
                return Ok(s.clone());
            }
        }
        *guard = None;
        let s = Arc::new(Session::connect(target, &self.options).await?);
        *guard = Some((target.clone(), s.clone()));
        Ok(s)
    }

    /// Forgets a node's connection (after it broke), so the next use reconnects.
    pub async fn forget(&self, node: &str) {
        let slot = self.slots.lock().expect("not poisoned").get(node).cloned();
        if let Some(slot) = slot {
            *slot.lock().await = None;
        }
    }

    /// How many nodes have an open connection.
    pub async fn open_connections(&self) -> usize {
        let slots: Vec<Slot> = self
            .slots
            .lock()
            .expect("not poisoned")
            .values()
            .cloned()
            .collect();
        let mut n = 0;
        for s in slots {
            if s.lock().await.as_ref().is_some_and(|(_, s)| !s.is_closed()) {
                n += 1;
            }
        }
        n
    }
}
