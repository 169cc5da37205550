//! Phase: the cluster's kubeconfig, fetched from the first server's
//! `/etc/rancher/k3s/k3s.yaml`, parsed, its clusters' `server` set to the
//! API endpoint (k3s writes `https://127.0.0.1:6443`), and optionally written
//! to a local file with mode 0600.

use crate::ssh::Session;
use serde_json::Value;
use std::path::Path;

/// Where k3s writes its admin kubeconfig on a server.
pub const PATH: &str = "/etc/rancher/k3s/k3s.yaml";

/// `yaml` with every cluster's `server` set to `endpoint`.
pub fn rewrite(yaml: &str, endpoint: &str) -> Result<String, String> {
    let mut doc: Value =
        serde_norway::from_str(yaml).map_err(|e| format!("{PATH} is not a kubeconfig: {e}"))?;
    let clusters = doc
        .get_mut("clusters")
        .and_then(Value::as_array_mut)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| format!("{PATH} names no cluster"))?;
    for c in clusters {
        c["cluster"]["server"] = Value::String(endpoint.to_string());
    }
    serde_norway::to_string(&doc).map_err(|e| e.to_string())
}

/// Fetches the kubeconfig from the first server, pointed at `endpoint`.
pub async fn fetch(first: &Session, endpoint: &str) -> Result<String, String> {
    let bytes = first
        .download(PATH)
        .await
        .map_err(|e| format!("cannot fetch the kubeconfig {PATH} from the first server: {e}"))?;
    rewrite(&String::from_utf8_lossy(&bytes), endpoint)
}

/// Writes `yaml` to `path` with mode 0600 (atomically).
pub fn write_local(path: &Path, yaml: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("strata-tmp");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    f.write_all(yaml.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_every_server_and_nothing_else() {
        let yaml = "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: QUJD\n    server: https://127.0.0.1:6443\n  name: default\ncontexts:\n- context:\n    cluster: default\n    user: default\n  name: default\ncurrent-context: default\nkind: Config\nusers:\n- name: default\n  user:\n    token: https://127.0.0.1:6443\n";
        let out = rewrite(yaml, "https://10.0.0.10:6443").unwrap();
        let v: Value = serde_norway::from_str(&out).unwrap();
        assert_eq!(
            v["clusters"][0]["cluster"]["server"],
            "https://10.0.0.10:6443"
        );
        assert_eq!(
            v["clusters"][0]["cluster"]["certificate-authority-data"],
            "QUJD"
        );
        // A value that merely looks like the old URL is left alone.
        assert_eq!(v["users"][0]["user"]["token"], "https://127.0.0.1:6443");
        assert!(rewrite("kind: Config\n", "https://x:6443").is_err());
    }
}
