//! Strata's host provider: an SSH transport built on russh (key files and
//! ssh-agent, verified host keys, one reused connection per node, timeouts,
//! retries, `sudo -n`, quoted arguments, checked file transfers) and the
//! `node` resource on top of it (facts, packages, sysctl, kernel modules,
//! files, swap and services).
//!
//! ```no_run
//! # async fn demo() -> Result<(), strata_host::SshError> {
//! use strata_host::{HostKeyPolicy, Session, SshOptions, SshTarget};
//! let target = SshTarget {
//!     host: "10.0.0.11".into(),
//!     port: 22,
//!     user: "ubuntu".into(),
//!     key: Some("/home/me/.ssh/id_ed25519".into()),
//!     key_passphrase_env: None,
//!     host_key: HostKeyPolicy::default(),
//!     jump: None,
//! };
//! let session = Session::connect(&target, &SshOptions::default()).await?;
//! let out = session.run(&["cat", "/etc/os-release"]).await?;
//! session.upload(b"a = 1\n", "/etc/strata/example.conf", 0o644).await?;
//! # Ok(()) }
//! ```

pub mod error;
pub mod hostkey;
pub mod k3s;
pub mod node;
pub mod pool;
pub mod provider;
pub mod quote;
pub mod ssh;

pub use error::SshError;
pub use hostkey::{fingerprint, HostKeyPolicy};
pub use k3s::{K3sCluster, K3sProvider};
pub use node::spec::NodeSpec;
pub use pool::Pool;
pub use provider::HostProvider;
pub use quote::{command_line, quote};
pub use ssh::{load_key, Output, Session, SshOptions, SshTarget};
