//! What a fresh k3s server holds: system namespaces, one Node and the HelmChart CRDs.

use serde_json::{json, Value};

use crate::config::SimConfig;
use crate::manifests;
use crate::meta;
use crate::store::State;
use crate::write::{self, Ctx};

fn helm_crd(kind: &str, plural: &str) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": format!("{plural}.helm.cattle.io") },
        "spec": {
            "group": "helm.cattle.io",
            "names": { "kind": kind, "listKind": format!("{kind}List"), "plural": plural, "singular": kind.to_lowercase() },
            "scope": "Namespaced",
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } },
                "subresources": { "status": {} },
            }],
        },
    })
}

fn node(config: &SimConfig) -> Value {
    let (major, minor, patch) = config.version;
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": config.node_name,
            "labels": {
                "kubernetes.io/hostname": config.node_name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/control-plane": "true",
            },
        },
        "spec": { "podCIDR": "10.42.0.0/24" },
        "status": {
            "capacity": { "cpu": "2", "memory": "4Gi", "pods": "110" },
            "allocatable": { "cpu": "2", "memory": "4Gi", "pods": "110" },
            "conditions": [{ "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status" }],
            "nodeInfo": { "kubeletVersion": format!("v{major}.{minor}.{patch}+k3s1"), "operatingSystem": "linux", "architecture": "amd64" },
        },
    })
}

/// Creates whatever of the initial objects is missing.
pub fn seed(st: &mut State, config: &SimConfig) {
    let mut objects: Vec<Value> = ["default", "kube-system", "kube-public", "kube-node-lease"]
        .iter()
        .map(|n| json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": n } }))
        .collect();
    objects.push(node(config));
    let from_fixtures: Vec<Value> = config
        .fixtures_dir
        .as_ref()
        .map(|d| {
            manifests::files_with_prefix(d, "crd-helm-cattle-")
                .iter()
                .flat_map(|f| manifests::load(f).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    if from_fixtures.is_empty() {
        objects.push(helm_crd("HelmChart", "helmcharts"));
        objects.push(helm_crd("HelmChartConfig", "helmchartconfigs"));
    } else {
        objects.extend(from_fixtures);
    }
    for obj in objects {
        let av = obj["apiVersion"].as_str().unwrap_or("").to_string();
        let (group, version) = av.rsplit_once('/').unwrap_or(("", &av));
        let Some(rt) = st
            .registry
            .by_kind(group, version, obj["kind"].as_str().unwrap_or(""))
        else {
            continue;
        };
        if st.get(&rt.store_key(), "", meta::name(&obj)).is_some() {
            continue;
        }
        let status = obj.get("status").cloned();
        let ctx = Ctx {
            manager: "k3s",
            subresource: "",
            dry_run: false,
            track: true,
        };
        if let Ok(created) = write::create(st, &rt, "", obj, &ctx) {
            if let (Some(status), true) = (status, rt.plural == "nodes") {
                let _ = crate::controllers::write_status(st, &rt, &created, status, "k3s");
            }
        }
    }
}
