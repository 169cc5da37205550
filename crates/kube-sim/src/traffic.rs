//! What clients asked for: connections accepted and requests per method and
//! path, so tests can check how a client talks to the server (one LIST per
//! kind rather than one GET per object, one discovery lookup per group).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Counters of connections and requests since the server started.
#[derive(Default)]
pub struct Traffic {
    connections: AtomicU64,
    requests: Mutex<HashMap<(String, String), u64>>,
}

impl Traffic {
    /// Counts an accepted connection.
    pub fn connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request.
    pub fn request(&self, method: &str, path: &str) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests
            .entry((method.to_string(), path.to_string()))
            .or_default() += 1;
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Requests so far with this method whose path satisfies `matches`.
    pub fn requests(&self, method: &str, matches: impl Fn(&str) -> bool) -> u64 {
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        requests
            .iter()
            .filter(|((m, p), _)| m == method && matches(p))
            .map(|(_, n)| n)
            .sum()
    }
}
