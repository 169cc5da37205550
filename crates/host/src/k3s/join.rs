//! Phase: joining further servers and agents. The engine's graph runs
//! further servers one at a time (each depends on the one before) and agents
//! in parallel after the last server; each join uses the token read from the
//! first server (never stored) and waits until its Node is Ready.

use super::spec::K3sSpec;
use super::{install, ready};
use crate::ssh::Session;
use std::time::Duration;

/// Where k3s keeps the cluster's token on a server.
pub const TOKEN_PATH: &str = "/var/lib/rancher/k3s/server/token";

/// Reads the join token from the first server.
pub async fn read_token(first: &Session) -> Result<String, String> {
    let out = first
        .run(&["cat", TOKEN_PATH])
        .await
        .map_err(|e| e.to_string())?;
    let token = out.stdout_text().trim().to_string();
    if !out.success() || token.is_empty() {
        return Err(format!(
            "cannot read the join token {TOKEN_PATH} on the first server ({}): {}\n  hint: the first server must be installed and running before others join",
            first.endpoint(),
            out.stderr_tail()
        ));
    }
    Ok(token)
}

/// Installs a joining member with `token` and waits until the API, asked on
/// the first server, reports its Node Ready.
pub async fn run(
    session: &Session,
    first: &Session,
    spec: &K3sSpec,
    token: &str,
    timeout: Duration,
) -> Result<(), String> {
    install::install(session, spec, Some(token)).await?;
    ready::wait(session, first, spec, timeout).await
}
