//! Phase: a version change on a running member — a rolling upgrade. The
//! engine's graph orders it: servers strictly one at a time (each waits for
//! the one before it), then agents in parallel. Each member installs the new
//! version, and the next one starts only once this one is Ready at it.

use super::spec::K3sSpec;
use super::{install, ready};
use crate::ssh::Session;
use std::time::Duration;

/// Upgrades (or downgrades) one member from `from` to `spec.version`.
pub async fn run(
    session: &Session,
    api: &Session,
    spec: &K3sSpec,
    from: &str,
    token: Option<&str>,
    timeout: Duration,
) -> Result<(), String> {
    tracing::info!(node = %spec.node, from, to = %spec.version, "upgrading k3s");
    install::install(session, spec, token).await?;
    ready::wait(session, api, spec, timeout)
        .await
        .map_err(|e| format!("after upgrading from {from}: {e}"))
}
