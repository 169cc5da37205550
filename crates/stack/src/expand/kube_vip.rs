//! kube-vip serving the k3s API endpoint: a DaemonSet on the servers that
//! announces the virtual IP by ARP from the leader of a Lease, with the RBAC
//! it needs. k3s deploys the YAML from its auto-deploy directory
//! (`/var/lib/rancher/k3s/server/manifests/`) as soon as the first server's
//! API is up, so further servers and agents can join through the address.

use crate::model::Vip;
use serde_json::{json, Value};

/// The kube-vip objects for `vip`, announcing `address` (from `endpoint`)
/// on the API port, as one multi-document YAML text.
pub fn manifest(vip: &Vip, address: &str, endpoint: &str) -> String {
    let port = endpoint
        .rsplit_once(':')
        .map(|(_, p)| p.trim_end_matches('/'))
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())
        .unwrap_or("6443");
    let labels = json!({
        "app.kubernetes.io/name": "kube-vip",
        "app.kubernetes.io/managed-by": "strata",
    });
    let meta = |name: &str, ns: bool| {
        let mut m = json!({"name": name, "labels": labels});
        if ns {
            m["namespace"] = json!("kube-system");
        }
        m
    };
    let env: Vec<Value> = [
        ("vip_arp", "true"),
        ("port", port),
        ("vip_interface", vip.interface.as_str()),
        ("vip_cidr", if address.contains(':') { "128" } else { "32" }),
        ("cp_enable", "true"),
        ("cp_namespace", "kube-system"),
        ("svc_enable", "false"),
        ("vip_leaderelection", "true"),
        ("vip_leasename", "plndr-cp-lock"),
        ("vip_leaseduration", "5"),
        ("vip_renewdeadline", "3"),
        ("vip_retryperiod", "1"),
        ("address", address),
        ("prometheus_server", ":2112"),
    ]
    .iter()
    .map(|(n, v)| json!({"name": n, "value": v}))
    .collect();
    let objects = [
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta("kube-vip", true),
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": meta("system:kube-vip-role", false),
            "rules": [
                {"apiGroups": [""], "resources": ["services/status"], "verbs": ["update"]},
                {"apiGroups": [""], "resources": ["services", "endpoints"], "verbs": ["list", "get", "watch", "update"]},
                {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "get", "watch", "update", "patch"]},
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["list", "get", "watch", "update", "create"]},
                {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "get", "watch", "update"]},
            ],
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": meta("system:kube-vip-binding", false),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:kube-vip-role"},
            "subjects": [{"kind": "ServiceAccount", "name": "kube-vip", "namespace": "kube-system"}],
        }),
        json!({
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": meta("kube-vip", true),
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": "kube-vip"}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}]},
                        ]}}},
                        "containers": [{
                            "name": "kube-vip",
                            "image": vip.image,
                            "imagePullPolicy": "IfNotPresent",
                            "args": ["manager"],
                            "env": env,
                            "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                        }],
                        "hostNetwork": true,
                        "serviceAccountName": "kube-vip",
                        "tolerations": [
                            {"effect": "NoSchedule", "operator": "Exists"},
                            {"effect": "NoExecute", "operator": "Exists"},
                        ],
                    },
                },
            },
        }),
    ];
    objects
        .iter()
        .map(|o| serde_norway::to_string(o).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("---\n")
}
