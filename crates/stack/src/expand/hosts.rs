//! Nodes and the k3s cluster: one `node` resource per host, one `k3s_server`
//! or `k3s_agent` per cluster member, the first server marked cluster-init.

use super::{kube_vip, Builder};
use crate::diag::Diagnostic;
use crate::model::{K3sDecl, Role};
use serde_json::{json, Map, Value};
use strata_engine::{
    Address, AttrPath, DesiredResource, ForceNew, ResourceType, SecretEncoding, SensitiveValue,
};

/// Packages and kernel modules Longhorn needs on every node.
pub const LONGHORN_PACKAGES: &[&str] = &["nfs-common", "open-iscsi"];

pub(super) fn expand_nodes(b: &mut Builder) {
    let needs_longhorn = !b.model.storages.is_empty();
    for n in &b.model.nodes {
        let start = b.out.resources.len();
        let mut packages: Vec<String> = n.packages.clone();
        if needs_longhorn {
            packages.extend(LONGHORN_PACKAGES.iter().map(|p| p.to_string()));
        }
        packages.sort();
        packages.dedup();
        let modules: Vec<&str> = if needs_longhorn {
            vec!["dm_crypt", "iscsi_tcp"]
        } else {
            vec![]
        };
        let sysctl: Map<String, Value> = n
            .sysctl
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let services: Vec<&str> = if needs_longhorn {
            vec!["iscsid"]
        } else {
            vec![]
        };
        let mut attrs = json!({
            "hostname": n.hostname,
            "address": n.address,
            "ssh": {"user": n.user, "port": n.port},
            "role": match n.role { Role::Server => "server", Role::Agent => "agent", Role::None => "none" },
            "packages": packages,
            "kernel_modules": modules,
            "sysctl": sysctl,
            "swap": "off",
            "services": services,
        });
        if let Some(k) = &n.key {
            attrs["ssh"]["key"] = json!(k);
        }
        if let Some(h) = &n.host_key {
            attrs["ssh"]["host_key"] = json!(h);
        }
        if let Some(a) = &n.ssh_address {
            attrs["ssh"]["address"] = json!(a);
        }
        let ssh = &b.model.ssh;
        for (key, value) in [
            ("known_hosts", &ssh.known_hosts),
            ("key_passphrase_env", &ssh.key_passphrase_env),
            ("jump", &ssh.jump),
        ] {
            if let Some(v) = value {
                attrs["ssh"][key] = json!(v);
            }
        }
        let addr = Address::new(format!("node.{}", n.hostname));
        let mut r = DesiredResource::new(addr.as_str(), ResourceType::Node, attrs);
        // Filled in by the host provider: facts, the host key seen on first
        // use (then enforced), and what delete must undo.
        r.computed = ["facts", "host_key_observed", "undo"]
            .iter()
            .map(|p| AttrPath::parse(p).expect("valid"))
            .collect();
        r.force_new = vec![ForceNew::new(
            "address",
            "a different address is a different host",
        )];
        r.depends_on = b.component_deps(&n.common);
        b.push(r, n.address_span);
        b.anchor(&n.common.address, vec![addr.clone()]);
        if n.group.is_some() {
            b.anchor(&format!("node.{}", n.hostname), vec![addr]);
        }
        b.finish_component(&n.common, start);
    }
}

pub(super) fn expand_k3s(b: &mut Builder) {
    let clusters = &b.model.clusters;
    if clusters.len() > 1 {
        for k in &clusters[1..] {
            b.diags.push(
                Diagnostic::error(
                    "strata::one-cluster",
                    k.span,
                    format!("[{}] declares a second k3s cluster", k.common.address),
                )
                .also(clusters[0].span, "the first cluster is declared here")
                .help(
                    "a stack manages one cluster; put each further cluster in a stack of its own",
                ),
            );
        }
    }
    let has_k8s = !(b.model.storages.is_empty()
        && b.model.services.is_empty()
        && b.model.charts.is_empty()
        && b.model.apps.is_empty()
        && b.model.manifests.is_empty()
        && b.model.applications.is_empty()
        && b.model.application_sets.is_empty());
    let Some(k) = clusters.first() else {
        if let Some(target) = &b.model.cluster {
            // An existing cluster: its objects wait for nothing but each
            // other, and the kinds it already serves need no installer.
            b.served_kinds
                .extend(target.provides.iter().filter_map(|(p, _)| {
                    let (g, kind) = p.split_once('/')?;
                    Some((g.to_string(), kind.to_string()))
                }));
            return;
        }
        if has_k8s {
            let span = b
                .model
                .apps
                .first()
                .map(|a| a.common.span)
                .or(b.model.services.first().map(|s| s.common.span))
                .or(b.model.storages.first().map(|s| s.common.span))
                .or(b.model.charts.first().map(|s| s.common.span))
                .or(b.model.manifests.first().map(|s| s.common.span))
                .unwrap_or_default();
            b.diags.push(
                Diagnostic::error("strata::no-cluster", span, "this stack declares Kubernetes components but no [k3s.*] cluster")
                    .label("needs a cluster to run on")
                    .help("add a [k3s.main] table with version = \"v1.36.3+k3s1\" and nodes with role = \"server\", or target an existing cluster with cluster = { kubeconfig = \"PATH\" } in [stack]"),
            );
        }
        return;
    };
    for n in &b.model.nodes {
        if let Some((name, span)) = &n.cluster {
            if *name != k.common.name {
                b.diags.push(
                    Diagnostic::error(
                        "strata::unknown-cluster",
                        *span,
                        format!(
                            "node {} names cluster `{name}`, which is not declared",
                            n.hostname
                        ),
                    )
                    .label(format!("the stack's cluster is `{}`", k.common.name)),
                );
            }
        }
    }
    let servers: Vec<_> = b
        .model
        .nodes
        .iter()
        .filter(|n| n.role == Role::Server)
        .collect();
    let agents: Vec<_> = b
        .model
        .nodes
        .iter()
        .filter(|n| n.role == Role::Agent)
        .collect();
    if servers.is_empty() {
        b.diags.push(
            Diagnostic::error(
                "strata::no-servers",
                k.span,
                format!("[{}] has no server nodes", k.common.address),
            )
            .help("give 1, 3 or 5 nodes role = \"server\""),
        );
        return;
    }
    if servers.len() % 2 == 0 {
        let mut d = Diagnostic::error(
            "strata::etcd-quorum",
            servers[servers.len() - 1].address_span,
            format!(
                "[{}] has {} servers; embedded etcd needs an odd number",
                k.common.address,
                servers.len()
            ),
        )
        .label("an even server count")
        .help(format!(
            "with {} servers etcd tolerates no more failures than with {}; use {} or {} servers",
            servers.len(),
            servers.len() - 1,
            servers.len() - 1,
            servers.len() + 1
        ));
        for s in servers.iter().take(servers.len() - 1) {
            d = d.also(s.address_span, format!("server {}", s.hostname));
        }
        b.diags.push(d);
    }
    let first = servers[0];
    let endpoint = k
        .api_endpoint
        .clone()
        .unwrap_or_else(|| format!("https://{}:6443", first.address));
    let endpoint_host = endpoint
        .trim_start_matches("https://")
        .split([':', '/'])
        .next()
        .unwrap_or_default()
        .to_string();
    let endpoint_ok = check_endpoint(b, k, &endpoint_host);
    // Joins go through the API endpoint when something serves it, so that a
    // cluster keeps taking nodes while its first server is down.
    let served =
        endpoint_ok && k.api_endpoint.is_some() && (k.vip.is_some() || k.external_load_balancer);
    let join_url = if served {
        endpoint.clone()
    } else {
        format!("https://{}:6443", first.address)
    };
    let vip_manifests = match (&k.vip, served) {
        (Some(vip), true) => Some(kube_vip::manifest(vip, &endpoint_host, &endpoint)),
        _ => None,
    };
    let mut disable = k.disable.clone();
    if longhorn_is_default(b) && !disable.iter().any(|d| d == "local-storage") {
        // One default StorageClass: Longhorn's, not k3s's local-path.
        disable.push("local-storage".into());
    }
    report_restricted_labels(b);
    let start = b.out.resources.len();
    let comp_deps = b.component_deps(&k.common);
    let extra_config = k.config.clone().map(|v| b.resolve_json(v));
    let mut prev: Option<Address> = None;
    for (i, n) in servers.iter().enumerate() {
        let addr = Address::new(format!("{}/server/{}", k.common.address, n.hostname));
        let mut cfg = base_config(&extra_config, n);
        if i == 0 {
            cfg.insert("cluster-init".into(), json!(true));
        } else {
            cfg.insert("server".into(), json!(join_url));
        }
        cfg.insert("tls-san".into(), json!([endpoint_host]));
        if !disable.is_empty() {
            cfg.insert("disable".into(), json!(disable));
        }
        cfg.insert(
            "write-kubeconfig-mode".into(),
            json!(k.write_kubeconfig_mode),
        );
        let mut deps = vec![Address::new(format!("node.{}", n.hostname))];
        deps.extend(prev.clone());
        deps.extend(comp_deps.iter().cloned());
        let mut r = k3s_resource(
            b,
            k,
            n,
            addr.clone(),
            ResourceType::K3sServer,
            i == 0,
            cfg,
            &endpoint,
            deps,
        );
        // Files for k3s's auto-deploy directory; every server carries them,
        // so that any one of them can deploy them.
        let mut manifests = Map::new();
        if let Some(m) = &vip_manifests {
            manifests.insert("strata-kube-vip.yaml".into(), json!(m));
        }
        r.attributes["manifests"] = Value::Object(manifests);
        b.push(r, n.address_span);
        b.servers.push(addr.clone());
        prev = Some(addr);
    }
    let last_server = prev.clone();
    for n in &agents {
        let addr = Address::new(format!("{}/agent/{}", k.common.address, n.hostname));
        let mut cfg = base_config(&extra_config, n);
        cfg.insert("server".into(), json!(join_url));
        let mut deps = vec![Address::new(format!("node.{}", n.hostname))];
        deps.extend(last_server.clone());
        deps.extend(comp_deps.iter().cloned());
        let r = k3s_resource(
            b,
            k,
            n,
            addr.clone(),
            ResourceType::K3sAgent,
            false,
            cfg,
            &endpoint,
            deps,
        );
        b.push(r, n.address_span);
        b.k3s_all.push(addr);
    }
    b.k3s_all.extend(b.servers.clone());
    b.anchor(&k.common.address, b.servers.clone());
    b.crd_providers
        .extend(k.provides.iter().filter_map(|(p, _)| {
            let (g, kind) = p.split_once('/')?;
            Some((g.to_string(), kind.to_string(), k.common.address.clone()))
        }));
    b.finish_component(&k.common, start);
}

fn base_config(extra: &Option<Value>, n: &crate::model::NodeDecl) -> Map<String, Value> {
    let mut cfg = Map::new();
    if let Some(Value::Object(m)) = extra {
        cfg.extend(m.clone());
    }
    cfg.insert("node-name".into(), json!(n.hostname));
    cfg.insert("node-ip".into(), json!(n.address));
    // Only labels the kubelet may set on itself: it refuses to start with
    // any other (see `api_labels`).
    let labels: Vec<String> = n
        .labels
        .iter()
        .filter(|(k, _)| kubelet_may_set(k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !labels.is_empty() {
        cfg.insert("node-label".into(), json!(labels));
    }
    if !n.taints.is_empty() {
        cfg.insert("node-taint".into(), json!(n.taints));
    }
    cfg
}

#[allow(clippy::too_many_arguments)]
fn k3s_resource(
    b: &Builder,
    k: &crate::model::K3sDecl,
    n: &crate::model::NodeDecl,
    addr: Address,
    rtype: ResourceType,
    cluster_init: bool,
    cfg: Map<String, Value>,
    endpoint: &str,
    deps: Vec<Address>,
) -> DesiredResource {
    let mut sorted: Vec<(String, Value)> = cfg.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let cfg: Map<String, Value> = sorted.into_iter().collect();
    let config_yaml = serde_norway::to_string(&Value::Object(cfg)).unwrap_or_default();
    // Labels the kubelet may not set on itself, for the provider to set on
    // the Node object through the API once the node has joined.
    let api_labels: Map<String, Value> = n
        .labels
        .iter()
        .filter(|(key, _)| !kubelet_may_set(key))
        .map(|(key, v)| (key.clone(), json!(v)))
        .collect();
    let mut attrs = json!({
        "cluster": k.common.name,
        "node": n.hostname,
        "version": k.version,
        "cluster_init": cluster_init,
        "api_endpoint": endpoint,
        "config_path": "/etc/rancher/k3s/config.yaml",
        "config": config_yaml,
        "api_labels": api_labels,
        "service": "active",
    });
    if let Some(bundle) = &k.airgap_bundle {
        attrs["airgap_bundle"] = json!(bundle);
    }
    let mut r = DesiredResource::new(addr.as_str(), rtype, Value::Null);
    if let Some(t) = &k.token {
        let ev = b.scope.eval(t);
        attrs["token"] = ev.value.clone();
        if let Some(parts) = ev.sensitive {
            r.sensitive.push(SensitiveValue {
                path: AttrPath::parse("token").expect("valid"),
                parts,
                encoding: SecretEncoding::Plain,
            });
        }
    }
    // Without a token the provider reads the first server's token at apply
    // time; it is never stored.
    r.attributes = attrs;
    r.force_new = vec![
        ForceNew::new("node", "k3s is installed on another node"),
        ForceNew::new(
            "cluster_init",
            "the server that initialises etcd cannot change in a running cluster",
        ),
    ];
    r.depends_on = deps;
    r
}

/// Whether the kubelet may set a label on its own Node (`--node-labels`,
/// k3s's `node-label`). Labels in the `kubernetes.io` and `k8s.io`
/// namespaces are refused, and the kubelet fails to start, unless they are
/// among the few it owns or under `kubelet.kubernetes.io` or
/// `node.kubernetes.io` (k8s.io/kubelet `IsKubeletLabel`); so
/// `node-role.kubernetes.io/*` and `node-restriction.kubernetes.io/*` are
/// refused.
pub fn kubelet_may_set(key: &str) -> bool {
    const KUBELET_LABELS: &[&str] = &[
        "kubernetes.io/hostname",
        "kubernetes.io/os",
        "kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type",
        "topology.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region",
    ];
    let Some((namespace, _)) = key.split_once('/') else {
        return true;
    };
    let within = |ns: &str, domain: &str| ns == domain || ns.ends_with(&format!(".{domain}"));
    if !within(namespace, "kubernetes.io") && !within(namespace, "k8s.io") {
        return true;
    }
    KUBELET_LABELS.contains(&key)
        || within(namespace, "kubelet.kubernetes.io")
        || within(namespace, "node.kubernetes.io")
}

/// Says where labels the kubelet may not set go: once per node or group.
fn report_restricted_labels(b: &mut Builder) {
    let mut seen = Vec::new();
    for n in &b.model.nodes {
        if n.role == Role::None || seen.contains(&n.common.address) {
            continue;
        }
        let restricted: Vec<&str> = n
            .labels
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !kubelet_may_set(k))
            .collect();
        if restricted.is_empty() {
            continue;
        }
        seen.push(n.common.address.clone());
        b.diags.push(
            Diagnostic::error(
                "strata::restricted-node-label",
                n.common.span,
                format!(
                    "[{}] has label{} the kubelet may not set on itself: {}",
                    n.common.address,
                    if restricted.len() == 1 { "" } else { "s" },
                    restricted.join(", ")
                ),
            )
            .warning()
            .label("set through the API, not by k3s")
            .help("k3s's node-label would stop the kubelet from starting (NodeRestriction); Strata leaves them out of config.yaml and sets them on the Node object once the node has joined"),
        );
    }
}

/// Whether a Longhorn StorageClass will be the cluster's default.
fn longhorn_is_default(b: &Builder) -> bool {
    b.model.storages.iter().any(|s| {
        s.values
            .as_ref()
            .and_then(|v| v.pointer("/persistence/defaultClass"))
            .and_then(Value::as_bool)
            .unwrap_or(s.default_class)
    })
}

/// Checks how `api_endpoint` is served: kube-vip needs an IP address
/// that no node has, and `vip` and an external load balancer exclude each
/// other.
fn check_endpoint(b: &mut Builder, k: &K3sDecl, host: &str) -> bool {
    let before = b.diags.len();
    let at = k.api_endpoint_span.unwrap_or(k.span);
    if let Some(vip) = &k.vip {
        if k.api_endpoint.is_none() {
            b.diags.push(
                Diagnostic::error(
                    "strata::vip",
                    vip.span,
                    format!("[{}] sets vip but no api_endpoint", k.common.address),
                )
                .label("no address to announce")
                .help("add api_endpoint = \"https://ADDRESS:6443\" with a free IP address in the servers' network"),
            );
        } else if host.parse::<std::net::IpAddr>().is_err() {
            b.diags.push(
                Diagnostic::error(
                    "strata::vip",
                    at,
                    format!("kube-vip announces an IP address, but api_endpoint names `{host}`"),
                )
                .label("not an IP address")
                .also(vip.span, "vip is set here")
                .help("write the virtual IP itself in api_endpoint (and point the DNS name at it), or serve the name with an external load balancer"),
            );
        } else if let Some(n) = b.model.nodes.iter().find(|n| n.address == host) {
            b.diags.push(
                Diagnostic::error(
                    "strata::vip",
                    at,
                    format!("the virtual IP {host} is node {}'s own address", n.hostname),
                )
                .label("already taken")
                .also(n.address_span, "the node's address")
                .help("choose a free address in the servers' network for api_endpoint"),
            );
        }
        if k.external_load_balancer {
            b.diags.push(
                Diagnostic::error(
                    "strata::vip",
                    vip.span,
                    format!(
                        "[{}] sets both vip and external_load_balancer",
                        k.common.address
                    ),
                )
                .label("two things would serve api_endpoint")
                .help("keep one"),
            );
        }
    } else if k.external_load_balancer && k.api_endpoint.is_none() {
        b.diags.push(
            Diagnostic::error(
                "strata::api-endpoint",
                k.span,
                format!(
                    "[{}] sets external_load_balancer but no api_endpoint",
                    k.common.address
                ),
            )
            .label("no address for the load balancer")
            .help("add api_endpoint = \"https://LOAD-BALANCER:6443\""),
        );
    }
    b.diags.len() == before
}
