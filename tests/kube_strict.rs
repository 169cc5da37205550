//! Every Kubernetes object `stacks/production` generates is accepted by kube-sim, which
//! validates and defaults like a real API server, under `fieldValidation=Strict`: a real
//! kubectl applies each one server-side with `--validate=strict` and gets no error and no
//! warning, and a server-side diff afterwards is clean (the server's defaults cause no
//! difference).

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;
use strata_stack::{load, VarOverrides};

const STACK: &str = "stacks/production";

/// The stack's objects, with where each comes from: the resources themselves and the
/// manifests its k3s servers deploy.
fn generated() -> Vec<(String, Value)> {
    let stack = load(&root().join(STACK), &VarOverrides::default())
        .unwrap_or_else(|e| panic!("{STACK}: {:?}", e.diagnostics));
    let mut out = Vec::new();
    for r in &stack.expanded.resources {
        let origin = r.address.to_string();
        match r.rtype {
            strata_engine::ResourceType::K8sObject => out.push((origin, r.attributes.clone())),
            strata_engine::ResourceType::K3sServer => {
                for (file, text) in r.attributes["manifests"].as_object().unwrap() {
                    for doc in text.as_str().unwrap().split("\n---\n") {
                        let v: Value = serde_norway::from_str(doc).unwrap();
                        if v.is_object() {
                            out.push((format!("{origin} {file}"), v));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn production_objects_apply_strictly_without_errors_or_warnings() {
    let sim = sim();
    let kubectl = Kubectl::new(&sim);
    install_operator_crds(&kubectl);

    let mut objects = generated();
    assert!(objects.len() > 30, "{} objects", objects.len());
    // Namespaces first, as the plan orders them.
    objects.sort_by_key(|(_, v)| v["kind"] != "Namespace");
    let mut namespaces: Vec<String> = objects
        .iter()
        .filter_map(|(_, v)| v["metadata"]["namespace"].as_str().map(String::from))
        .collect();
    namespaces.sort();
    namespaces.dedup();
    for ns in &namespaces {
        kubectl.output(&["create", "namespace", ns]);
    }

    let tmp = tempfile::tempdir().unwrap();
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut failures = Vec::new();
    let mut kinds = std::collections::BTreeSet::new();
    for (i, (origin, v)) in objects.iter().enumerate() {
        kinds.insert(v["kind"].as_str().unwrap_or("?").to_string());
        let f = tmp.path().join(format!("object-{i:03}.yaml"));
        std::fs::write(&f, serde_norway::to_string(v).unwrap()).unwrap();
        let out = kubectl.output(&[
            "apply",
            "--server-side",
            "--field-manager=strata",
            "--validate=strict",
            "-f",
            f.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || !stderr.trim().is_empty() {
            failures.push(format!("{origin}:\n{stderr}"));
        }
        files.push((origin.clone(), f));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for kind in [
        "Deployment",
        "Service",
        "ConfigMap",
        "Secret",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "HelmChart",
        "Kafka",
        "Cluster",
        "ServiceMonitor",
    ] {
        assert!(kinds.contains(kind), "{kind} not generated: {kinds:?}");
    }

    // What the server defaulted makes no difference to a second look.
    for (origin, f) in &files {
        let out = kubectl.output(&[
            "diff",
            "--server-side",
            "--field-manager=strata",
            "-f",
            f.to_str().unwrap(),
        ]);
        if out.status.code() != Some(0) {
            failures.push(format!(
                "{origin}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
