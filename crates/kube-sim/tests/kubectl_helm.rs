//! The Helm-controller stand-in: installing an operator's chart installs that chart's CRDs (the
//! real ones, from the fixtures) the way Helm does, so the operator's custom resources can follow.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

fn helm_chart(name: &str, chart: &str, repo: &str) -> String {
    format!(
        "apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata:\n  name: {name}\n  namespace: kube-system\nspec:\n  chart: {chart}\n  repo: {repo}\n  version: 1.0.0\n  targetNamespace: {name}\n"
    )
}

/// The names of the CRDs in the fixture files starting with `prefix`.
fn fixture_crds(prefix: &str) -> Vec<String> {
    kube_sim::manifests::files_with_prefix(&fixtures(), prefix)
        .iter()
        .flat_map(|f| kube_sim::manifests::load(f).unwrap())
        .filter(|o| o["kind"] == "CustomResourceDefinition")
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn established(k: &Kubectl, crd: &str) -> bool {
    let out = k.run(&["get", "crd", crd, "-o", "json"]);
    if !out.status.success() {
        return false;
    }
    let live: Value = serde_json::from_slice(&out.stdout).unwrap();
    live["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Established" && c["status"] == "True")
    })
}

#[test]
fn operator_charts_install_their_crds_and_custom_resources_follow() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let strimzi = fixture_crds("crd-strimzi-");
    let cnpg = fixture_crds("crd-cnpg-");
    assert_eq!(strimzi.len(), 4, "{strimzi:?}");
    assert_eq!(cnpg.len(), 5, "{cnpg:?}");

    // Before the charts, nobody serves Kafka or Cluster. (kube-sim serves no OpenAPI v2, which
    // kubectl falls back to for unknown kinds, so client-side validation is off here.)
    let kafka = k.write_manifest(
        "kafka.yaml",
        "apiVersion: kafka.strimzi.io/v1\nkind: KafkaNodePool\nmetadata:\n  name: brokers\n  namespace: default\n  labels:\n    strimzi.io/cluster: events\nspec:\n  replicas: 3\n  roles: [broker, controller]\n  storage:\n    type: persistent-claim\n    size: 10Gi\n",
    );
    let kafka = kafka.to_str().unwrap();
    let err = k.fails(&["apply", "--server-side", "--validate=false", "-f", kafka]);
    assert!(
        err.contains("no matches for kind \"KafkaNodePool\" in version \"kafka.strimzi.io/v1\""),
        "{err}"
    );

    let charts = [
        helm_chart(
            "strimzi",
            "strimzi-kafka-operator",
            "https://strimzi.io/charts/",
        ),
        helm_chart(
            "cnpg",
            "oci://ghcr.io/cloudnative-pg/charts/cloudnative-pg",
            "\"\"",
        ),
        helm_chart("minio", "minio", "https://charts.min.io/"),
    ]
    .join("---\n");
    let charts = k.write_manifest("charts.yaml", &charts);
    k.ok(&["apply", "--server-side", "-f", charts.to_str().unwrap()]);

    for crd in strimzi.iter().chain(&cnpg) {
        assert!(
            eventually(Duration::from_secs(10), || established(&k, crd)),
            "{crd} never became Established"
        );
        let live = k.get_json(&["crd", crd, "--show-managed-fields"]);
        assert_eq!(managers(&live), ["helm/Update/"], "{crd}");
    }
    // A chart that ships no CRDs installs none.
    let all = k.get_json(&["crd"]);
    let groups: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["spec"]["group"].as_str().unwrap())
        .collect();
    assert!(!groups.iter().any(|g| g.contains("min")), "{groups:?}");
    assert_eq!(
        groups.len(),
        strimzi.len() + cnpg.len() + 2,
        "the two HelmChart CRDs plus the operators': {groups:?}"
    );

    // The operators' custom resources are now served, with the real schemas.
    k.ok(&["apply", "--server-side", "-f", kafka]);
    let pool = k.get_json(&["kafkanodepool", "brokers", "-n", "default"]);
    assert_eq!(pool["spec"]["storage"]["size"], "10Gi");
    let cluster = k.write_manifest(
        "cluster.yaml",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n  namespace: default\nspec:\n  instances: 3\n  storage:\n    size: 1Gi\n  unknownField: 1\n",
    );
    let err = k.fails(&["apply", "--server-side", "-f", cluster.to_str().unwrap()]);
    assert!(
        err.contains(".spec.unknownField: field not declared in schema"),
        "{err}"
    );
    let explain = k.ok(&["explain", "clusters.postgresql.cnpg.io.spec.instances"]);
    assert!(explain.contains("instances"), "{explain}");
}
