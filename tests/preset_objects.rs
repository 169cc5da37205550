//! Every object the repository's stacks generate is one a real cluster
//! accepts:
//!
//! - custom resources (Kafka, KafkaNodePool, Cluster, ServiceMonitor,
//!   PodMonitor, Application, ApplicationSet, HelmChart) are applied with a
//!   real kubectl, server-side and `--validate=strict`, to kube-sim serving the
//!   real CRDs from `../shared/fixtures/k8s/`: no error and no warning;
//! - built-in objects (also the kube-vip manifests k3s deploys) pass
//!   `kubernetes-validate --strict` for Kubernetes 1.36, the version of the
//!   pinned k3s (scripts/install-kubernetes-validate puts it in target/venv).

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use strata_stack::{load, VarOverrides};

/// The Kubernetes release the stacks' k3s (v1.36.3+k3s1) runs.
const KUBERNETES: &str = "1.36.0";

const STACKS: &[&str] = &[
    "stacks/production",
    "stacks/staging",
    "examples/existing-cluster",
];

/// Groups whose kinds come from CRDs.
const CRD_GROUPS: &[&str] = &[
    "kafka.strimzi.io",
    "postgresql.cnpg.io",
    "monitoring.coreos.com",
    "argoproj.io",
    "helm.cattle.io",
];

/// Every Kubernetes object the stacks generate, with where it comes from:
/// the resources themselves and the manifests k3s servers deploy.
fn generated() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for dir in STACKS {
        let stack = load(&root().join(dir), &VarOverrides::default())
            .unwrap_or_else(|e| panic!("{dir}: {:?}", e.diagnostics));
        for r in &stack.expanded.resources {
            let origin = format!("{dir}: {}", r.address);
            match r.rtype {
                strata_engine::ResourceType::K8sObject => {
                    out.push((origin, r.attributes.clone()));
                }
                strata_engine::ResourceType::K3sServer => {
                    for (file, text) in r.attributes["manifests"].as_object().unwrap() {
                        for doc in text.as_str().unwrap().split("\n---\n") {
                            let v: Value = serde_norway::from_str(doc).unwrap();
                            out.push((format!("{origin} {file}"), v));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn group(v: &Value) -> &str {
    v["apiVersion"]
        .as_str()
        .unwrap()
        .rsplit_once('/')
        .map_or("", |(g, _)| g)
}

fn tool(name: &str) -> PathBuf {
    let p = root().join("target/venv/bin").join(name);
    assert!(
        p.is_file(),
        "{} missing: run scripts/install-kubernetes-validate",
        p.display()
    );
    p
}

/// Runs kubernetes-validate on objects, each in a file of its own; returns
/// (success, output).
fn kubernetes_validate(dir: &Path, objects: &[&Value]) -> (bool, String) {
    let mut args = vec![
        "--strict".to_string(),
        "--quiet".to_string(),
        "-k".to_string(),
        KUBERNETES.to_string(),
    ];
    for (i, o) in objects.iter().enumerate() {
        let f = dir.join(format!("object-{i}.yaml"));
        std::fs::write(&f, serde_norway::to_string(o).unwrap()).unwrap();
        args.push(f.display().to_string());
    }
    let out = std::process::Command::new(tool("kubernetes-validate"))
        .args(&args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.trim().is_empty(), text)
}

#[test]
fn built_in_objects_pass_the_kubernetes_schema_strictly() {
    let objects = generated();
    let builtin: Vec<&(String, Value)> = objects
        .iter()
        .filter(|(_, v)| !CRD_GROUPS.contains(&group(v)))
        .collect();
    let kinds: std::collections::BTreeSet<&str> = builtin
        .iter()
        .map(|(_, v)| v["kind"].as_str().unwrap())
        .collect();
    for k in [
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "DaemonSet",
        "ClusterRole",
    ] {
        assert!(kinds.contains(k), "no {k} among {kinds:?}");
    }
    let tmp = tempfile::tempdir().unwrap();
    // One run for all (object-N.yaml is the N-th of `builtin`).
    let all: Vec<&Value> = builtin.iter().map(|(_, v)| v).collect();
    let (ok, text) = kubernetes_validate(tmp.path(), &all);
    let index: Vec<String> = builtin
        .iter()
        .enumerate()
        .map(|(i, (origin, _))| format!("object-{i}.yaml: {origin}"))
        .collect();
    assert!(ok, "{text}\n{}", index.join("\n"));

    // The check can fail: a field the schema does not know is refused.
    let mut bad = builtin
        .iter()
        .find(|(_, v)| v["kind"] == "Deployment")
        .unwrap()
        .1
        .clone();
    bad["spec"]["replica"] = serde_json::json!(3);
    let (ok, text) = kubernetes_validate(tmp.path(), &[&bad]);
    assert!(!ok, "an unknown field must be refused: {text}");
}

/// `kubectl apply --server-side --validate=strict`: (success, stderr).
fn apply_strict(kubectl: &Kubectl, file: &Path) -> (bool, String) {
    let out = kubectl.output(&[
        "apply",
        "--server-side",
        "--field-manager=strata",
        "--validate=strict",
        "-f",
        file.to_str().unwrap(),
    ]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn custom_resources_are_accepted_by_their_real_crds() {
    let sim = sim();
    let kubectl = Kubectl::new(&sim);
    install_operator_crds(&kubectl);

    let objects = generated();
    let tmp = tempfile::tempdir().unwrap();
    let mut namespaces: Vec<&str> = objects
        .iter()
        .filter_map(|(_, v)| v["metadata"]["namespace"].as_str())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    for ns in namespaces {
        if ns != "default" && ns != "kube-system" {
            kubectl.output(&["create", "namespace", ns]);
        }
    }
    let mut kinds = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (i, (origin, v)) in objects
        .iter()
        .filter(|(_, v)| CRD_GROUPS.contains(&group(v)))
        .enumerate()
    {
        kinds.insert(v["kind"].as_str().unwrap().to_string());
        let f = tmp.path().join(format!("cr-{i}.yaml"));
        std::fs::write(&f, serde_norway::to_string(v).unwrap()).unwrap();
        let (ok, stderr) = apply_strict(&kubectl, &f);
        if !ok || !stderr.trim().is_empty() {
            failures.push(format!("{origin}:\n{stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for k in [
        "Kafka",
        "KafkaNodePool",
        "Cluster",
        "ServiceMonitor",
        "PodMonitor",
        "Application",
        "ApplicationSet",
        "HelmChart",
    ] {
        assert!(kinds.contains(k), "no {k} among {kinds:?}");
    }

    // The check can fail: a field the CRD's schema does not know is refused.
    let mut bad = objects
        .iter()
        .find(|(_, v)| v["kind"] == "Kafka")
        .unwrap()
        .1
        .clone();
    bad["metadata"]["name"] = serde_json::json!("bad");
    bad["spec"]["kafka"]["replicas"] = serde_json::json!(3);
    let f = tmp.path().join("bad.yaml");
    std::fs::write(&f, serde_norway::to_string(&bad).unwrap()).unwrap();
    let (ok, stderr) = apply_strict(&kubectl, &f);
    assert!(
        !ok || !stderr.trim().is_empty(),
        "spec.kafka.replicas is gone from kafka.strimzi.io/v1 and must be refused"
    );
}
