//! The objects every cluster has, kept in place as kube-controller-manager and the API server
//! keep them: the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap in every active
//! namespace, and the `kubernetes` Service in `default`.

use serde_json::{json, Value};

use crate::meta;
use crate::resources::ResKey;
use crate::store::State;
use crate::write::{self, Ctx};

const CA_DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

fn ensure(st: &mut State, group_plural: (&str, &str), ns: &str, obj: Value, manager: &str) -> bool {
    let key = ResKey::new(group_plural.0, group_plural.1);
    if st.get(&key, ns, meta::name(&obj)).is_some() {
        return false;
    }
    let Some(rt) = super::type_of(st, &key) else {
        return false;
    };
    let ctx = Ctx {
        manager,
        subresource: "",
        dry_run: false,
        track: true,
    };
    write::create(st, &rt, ns, obj, &ctx).is_ok()
}

/// One round; returns whether anything changed.
pub fn pass(st: &mut State, ca_pem: Option<&str>) -> bool {
    let active: Vec<String> = st
        .list(&ResKey::new("", "namespaces"), None)
        .filter(|n| !meta::is_deleting(n))
        .map(|n| meta::name(n).to_string())
        .collect();
    let mut changed = false;
    for ns in &active {
        changed |= ensure(
            st,
            ("", "serviceaccounts"),
            ns,
            json!({ "apiVersion": "v1", "kind": "ServiceAccount", "metadata": { "name": "default" } }),
            "kube-controller-manager",
        );
        changed |= ensure(
            st,
            ("", "configmaps"),
            ns,
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": { "name": "kube-root-ca.crt", "annotations": { "kubernetes.io/description": CA_DESCRIPTION } },
                "data": { "ca.crt": ca_pem.unwrap_or("") },
            }),
            "kube-controller-manager",
        );
    }
    if active.iter().any(|n| n == "default") {
        changed |= ensure(
            st,
            ("", "services"),
            "default",
            json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": { "name": "kubernetes", "labels": { "component": "apiserver", "provider": "kubernetes" } },
                "spec": {
                    "clusterIP": "10.43.0.1",
                    "ports": [{ "name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443 }],
                },
            }),
            "kube-apiserver",
        );
    }
    changed
}
