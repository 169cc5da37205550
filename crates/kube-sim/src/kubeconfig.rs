//! Kubeconfig files pointing kubectl and kube-rs at a running server.

use base64::Engine;
use serde_json::json;

/// Renders a kubeconfig (YAML) for `server` with bearer-token auth.
pub fn render(server: &str, ca_pem: Option<&str>, token: &str) -> String {
    let mut cluster = json!({ "server": server });
    if let Some(ca) = ca_pem {
        cluster["certificate-authority-data"] =
            json!(base64::engine::general_purpose::STANDARD.encode(ca));
    }
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": "kube-sim", "cluster": cluster }],
        "users": [{ "name": "kube-sim", "user": { "token": token } }],
        "contexts": [{ "name": "kube-sim", "context": { "cluster": "kube-sim", "user": "kube-sim", "namespace": "default" } }],
        "current-context": "kube-sim",
        "preferences": {},
    });
    serde_norway::to_string(&doc).unwrap_or_else(|_| doc.to_string())
}
