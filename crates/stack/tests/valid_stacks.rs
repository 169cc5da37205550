//! Valid stacks that use references from variables, node-group members,
//! cluster-scoped manifests and a single node: each loads, plans, and makes
//! the objects it should.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use strata_engine::{plan, PlanInput};
use strata_stack::{load, load_with, LoadOptions, Stack, VarOverrides};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/stacks")
        .join(name)
}

fn loaded(name: &str) -> Stack {
    match load(&dir(name), &VarOverrides::default()) {
        Ok(s) => s,
        Err(e) => panic!(
            "{name} does not load:\n{}",
            strata_stack::diag::render(&e.sources, &e.diagnostics, false)
        ),
    }
}

fn attrs(s: &Stack, address: &str) -> Value {
    s.expanded
        .resources
        .iter()
        .find(|r| r.address.as_str() == address)
        .unwrap_or_else(|| {
            let all: Vec<&str> = s
                .expanded
                .resources
                .iter()
                .map(|r| r.address.as_str())
                .collect();
            panic!("no {address} among {all:?}")
        })
        .attributes
        .clone()
}

fn deps(s: &Stack, address: &str) -> Vec<String> {
    s.expanded
        .resources
        .iter()
        .find(|r| r.address.as_str() == address)
        .unwrap()
        .depends_on
        .iter()
        .map(|a| a.as_str().to_string())
        .collect()
}

/// Plans the stack against no state: every resource is created.
fn creates(s: Stack) -> usize {
    let n = s.expanded.resources.len();
    let secrets = s.secret_store();
    let p = plan(
        PlanInput {
            stack: &s.model.name,
            stack_sha256: &s.sha256,
            desired: s.expanded.resources,
            outputs: s.expanded.outputs,
            secrets: &secrets,
            destroy: false,
        },
        None,
    )
    .expect("it plans");
    assert_eq!(p.summary().create, n);
    n
}

#[test]
fn references_from_variables_resolve_everywhere() {
    let s = loaded("vars-references");
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let d = attrs(&s, "app.api/Deployment");
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.example.com/api:2.1.0"
    );
    assert_eq!(
        d["spec"]["replicas"], 2,
        "a single reference keeps the integer type"
    );
    let cm = attrs(&s, "app.api/ConfigMap");
    assert_eq!(
        cm["data"],
        json!({"ZONE": "eu-1", "CACHE_NAMESPACE": "cache"})
    );
    let node = attrs(&s, "node.server-1");
    assert_eq!(node["packages"], json!(["curl", "jq"]));
    let server = attrs(&s, "k3s.main/server/server-1");
    assert_eq!(server["api_endpoint"], "https://10.0.0.10:6443");
    let config = server["config"].as_str().unwrap();
    for line in [
        "- topology.kubernetes.io/zone=eu-1",
        "disable:\n- traefik\n- local-storage",
        "node-label-zone: eu-1",
        "etcd-snapshot-retention: 2\n",
        "- 10.0.0.10",
    ] {
        assert!(config.contains(line), "{line:?} not in\n{config}");
    }
    let agent = attrs(&s, "k3s.main/agent/db-1");
    assert!(agent["config"]
        .as_str()
        .unwrap()
        .contains("- dedicated=db:NoSchedule"));
    let chart = attrs(&s, "chart.cache/HelmChart");
    let values = chart["spec"]["valuesContent"].as_str().unwrap();
    for line in [
        "replicaCount: 2\n",
        "tag: 2.1.0",
        "shell: echo ${HOME}",
        "peer: 10.0.0.22",
    ] {
        assert!(values.contains(line), "{line:?} not in\n{values}");
    }
    assert!(deps(&s, "chart.cache/HelmChart").contains(&"node.agent-1".to_string()));
    creates(s);
}

#[test]
fn node_group_members_are_addressable_like_nodes() {
    let s = loaded("group-members");
    // The members' node-role label is one the kubelet may not set on itself:
    // the only finding says so.
    let codes: Vec<&str> = s.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["strata::restricted-node-label"], "{:?}", s.warnings);
    for n in 1..=3 {
        let node = attrs(&s, &format!("node.worker-{n}"));
        assert_eq!(node["address"], format!("10.0.1.2{n}"));
        assert_eq!(node["role"], "agent");
        let k3s = attrs(&s, &format!("k3s.main/agent/worker-{n}"));
        assert_eq!(
            k3s["api_labels"],
            json!({"node-role.kubernetes.io/worker": "true"})
        );
        assert!(!k3s["config"].as_str().unwrap().contains("node-role"));
    }
    let cm = attrs(&s, "app.api/ConfigMap");
    assert_eq!(
        cm["data"],
        json!({"PEER": "10.0.1.22", "PEER_NAME": "worker-2"})
    );
    assert!(
        deps(&s, "app.api/Deployment").contains(&"node.worker-2".to_string()),
        "a reference to a member is a dependency on that member"
    );
    assert_eq!(
        s.expanded.outputs["workers"].value,
        json!(["10.0.1.21", "10.0.1.22", "10.0.1.23"]),
        "a whole list as an output keeps its type"
    );
    assert_eq!(s.expanded.outputs["second_worker"].value, "10.0.1.22");
    assert_eq!(creates(s), 4 + 4 + 1 + 5);
}

#[test]
fn cluster_scoped_objects_carry_no_namespace() {
    let s = loaded("cluster-scoped-manifests");
    let addresses: Vec<&str> = s
        .expanded
        .resources
        .iter()
        .map(|r| r.address.as_str())
        .filter(|a| a.starts_with("manifest."))
        .collect();
    assert_eq!(
        addresses,
        [
            "manifest.platform/ClusterRole/reader",
            "manifest.platform/CustomResourceDefinition/widgets.example.com",
            "manifest.platform/Widget/blue",
            "manifest.platform/ConfigMap/tools/settings",
        ]
    );
    assert!(
        attrs(&s, "manifest.platform/ClusterRole/reader")["metadata"]
            .get("namespace")
            .is_none()
    );
    assert!(attrs(&s, "manifest.platform/Widget/blue")["metadata"]
        .get("namespace")
        .is_none());
    assert_eq!(
        attrs(&s, "manifest.platform/ConfigMap/tools/settings")["metadata"]["namespace"],
        "tools"
    );
    assert!(deps(&s, "manifest.platform/Widget/blue")
        .contains(&"manifest.platform/CustomResourceDefinition/widgets.example.com".to_string()));
    assert!(deps(&s, "manifest.platform/ConfigMap/tools/settings")
        .contains(&"namespace.tools".to_string()));
    creates(s);
}

#[test]
fn one_node_stack_loads_clean_with_its_exceptions_allowed() {
    let s = loaded("one-node");
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let d = attrs(&s, "app.api/Deployment");
    assert_eq!(d["spec"]["replicas"], 2);
    let strict = load_with(
        &dir("one-node"),
        &VarOverrides::default(),
        &LoadOptions { strict: true },
    );
    assert!(
        strict.is_ok(),
        "allowed findings are not errors with --strict"
    );
    creates(s);
}

/// The same one-node stack without its `allow` lists: every finding is a
/// warning, and an error with --strict.
#[test]
fn one_node_findings_are_warnings_then_errors_with_strict() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dir("one-node").join("stack.toml")).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("allow"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("ha = false", "ha = true")
        .replace(
            "disable = [\"traefik\", \"local-storage\"]",
            "disable = [\"traefik\"]",
        );
    std::fs::write(tmp.path().join("stack.toml"), text).unwrap();
    let s = load(tmp.path(), &VarOverrides::default()).expect("warnings do not fail a stack");
    let mut codes: Vec<&str> = s.warnings.iter().map(|w| w.code).collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "ha/argocd-nodes",
            "ha/database-replica",
            "ha/kraft-controllers",
            "ha/spread-replicas",
        ]
    );
    let e = load_with(
        tmp.path(),
        &VarOverrides::default(),
        &LoadOptions { strict: true },
    )
    .expect_err("errors with --strict");
    let errors = e
        .diagnostics
        .iter()
        .filter(|d| d.severity == strata_stack::diag::Severity::Error)
        .count();
    assert_eq!(errors, 4);
    // Without local-storage in disable, Longhorn's default class makes
    // Strata disable k3s's own: one default StorageClass, nothing to report.
    assert!(s
        .expanded
        .resources
        .iter()
        .any(|r| r.address.as_str() == "k3s.main/server/solo"
            && r.attributes["config"]
                .as_str()
                .unwrap()
                .contains("- local-storage")));
}
