//! Phase: the first server — `cluster-init` in its config, installed first,
//! and waited for until its API answers and its Node is Ready, since every
//! other member joins through it.

use super::spec::K3sSpec;
use super::{install, ready};
use crate::ssh::Session;
use std::time::Duration;

/// Installs the first server (`token`: the stack's token, if it sets one)
/// and waits for it.
pub async fn run(
    session: &Session,
    spec: &K3sSpec,
    token: Option<&str>,
    timeout: Duration,
) -> Result<(), String> {
    install::install(session, spec, token).await?;
    ready::wait(session, session, spec, timeout).await
}
