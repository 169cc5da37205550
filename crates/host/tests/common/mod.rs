//! Helpers shared by the host tests: SSH targets for testbed nodes.
#![allow(dead_code)]

use std::time::Duration;
use strata_host::{HostKeyPolicy, SshOptions, SshTarget};
use strata_testbed::Fleet;

/// A target for node `i` as `user`, with the fleet's key and trust on first use.
pub fn target(fleet: &Fleet, i: usize, user: &str) -> SshTarget {
    SshTarget {
        host: "127.0.0.1".into(),
        port: fleet.nodes()[i].ssh_port,
        user: user.into(),
        key: Some(fleet.key_path()),
        key_passphrase_env: None,
        host_key: HostKeyPolicy::default(),
        jump: None,
    }
}

/// Options with short timeouts, so failures show quickly.
pub fn quick() -> SshOptions {
    SshOptions {
        connect_timeout: Duration::from_secs(10),
        command_timeout: Duration::from_secs(120),
        keepalive_interval: Duration::from_secs(2),
        keepalive_max: 2,
        connect_attempts: 2,
        backoff: Duration::from_millis(200),
    }
}

/// A tokio runtime for a synchronous test.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
