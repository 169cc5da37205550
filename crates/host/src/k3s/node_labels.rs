//! Phase: labels the kubelet may not set on itself (`node-role.kubernetes.io/*`
//! and the other restricted prefixes), set on the Node object through the
//! API (`k3s kubectl label` on the first server) once the node has joined.

use super::spec::K3sSpec;
use crate::ssh::Session;
use std::collections::BTreeMap;

/// Sets `spec.api_labels` and removes those `before` had that are gone.
pub async fn apply(
    api: &Session,
    spec: &K3sSpec,
    before: &BTreeMap<String, String>,
) -> Result<(), String> {
    let mut args: Vec<String> = vec![
        "k3s".into(),
        "kubectl".into(),
        "label".into(),
        "node".into(),
        spec.node.clone(),
    ];
    let start = args.len();
    for (k, v) in &spec.api_labels {
        args.push(format!("{k}={v}"));
    }
    for k in before.keys().filter(|k| !spec.api_labels.contains_key(*k)) {
        args.push(format!("{k}-"));
    }
    if args.len() == start {
        return Ok(());
    }
    args.push("--overwrite".into());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = api.run(&refs).await.map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!(
            "cannot label Node {} through the API on {}: {}",
            spec.node,
            api.endpoint(),
            out.stderr_tail()
        ));
    }
    Ok(())
}

/// The labels of Node `name`, read through the API on `api`.
pub async fn current(api: &Session, name: &str) -> Result<BTreeMap<String, String>, String> {
    let out = api
        .run(&["k3s", "kubectl", "get", "node", name, "-o", "json"])
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(out.stderr_tail());
    }
    let node: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("kubectl output: {e}"))?;
    Ok(node["metadata"]["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default())
}
