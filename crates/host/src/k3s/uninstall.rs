//! Phase: destroy runs the uninstall script the install script left
//! (`k3s-uninstall.sh` on servers, `k3s-agent-uninstall.sh` on agents).

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
