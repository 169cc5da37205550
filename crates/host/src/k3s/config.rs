//! Phase: k3s's configuration — `/etc/rancher/k3s/config.yaml` (mode 0600)
//! and, on servers, the files of the auto-deploy manifests directory.

use super::spec::{K3sSpec, Role};
use crate::error::SshError;
use crate::ssh::Session;

/// k3s deploys every file in this directory of a server.
pub const MANIFESTS_DIR: &str = "/var/lib/rancher/k3s/server/manifests";

/// Writes the config file when `current` differs; returns whether it changed.
pub async fn write(
    session: &Session,
    spec: &K3sSpec,
    current: Option<&str>,
) -> Result<bool, SshError> {
    if spec.role == Role::Server {
        for (name, body) in &spec.manifests {
            session
                .upload(body.as_bytes(), &format!("{MANIFESTS_DIR}/{name}"), 0o600)
                .await?;
        }
    }
    if current == Some(spec.config.as_str()) {
        return Ok(false);
    }
    session
        .upload(spec.config.as_bytes(), &spec.config_path, 0o600)
        .await?;
    Ok(true)
}

/// The `server:` URL a joining member's config names, if any.
pub fn server_url(config: &str) -> Option<String> {
    let v: serde_json::Value = serde_norway::from_str(config).ok()?;
    v.get("server")?.as_str().map(str::to_string)
}
