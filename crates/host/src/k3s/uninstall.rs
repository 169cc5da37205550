//! Phase: destroy runs the uninstall script the install script left
//! (`k3s-uninstall.sh` on servers, `k3s-agent-uninstall.sh` on agents),
//! then removes the member's Node object through the API, so a cluster that
//! lives on does not keep a NotReady node.

use super::spec::K3sSpec;
use crate::ssh::Session;

/// Uninstalls the member; nothing to do when the script is gone already.
pub async fn run(session: &Session, spec: &K3sSpec) -> Result<(), String> {
    let script = spec.role.uninstall_script();
    let out = session
        .script(r#"if [ -x "$1" ]; then "$1"; fi"#, &[script])
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!(
            "{script} failed on {} (exit {}): {}",
            session.endpoint(),
            out.status,
            out.stderr_tail()
        ));
    }
    Ok(())
}

/// Deletes the member's Node object through the API on `api` (the first
/// server), after its k3s stopped (a running kubelet would register again).
pub async fn forget_node(api: &Session, spec: &K3sSpec) -> Result<(), String> {
    let out = api
        .run(&[
            "k3s",
            "kubectl",
            "delete",
            "node",
            &spec.node,
            "--ignore-not-found",
        ])
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!(
            "cannot delete Node {} through the API on {}: {}",
            spec.node,
            api.endpoint(),
            out.stderr_tail()
        ));
    }
    Ok(())
}
