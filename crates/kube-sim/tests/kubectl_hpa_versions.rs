//! HorizontalPodAutoscalers are served as autoscaling/v1 next to the storage version
//! autoscaling/v2, converted as the real server converts them. (kubectl drops the version of
//! a short name: `hpa.v1.autoscaling` reads v2, so these tests spell the resource out.)

mod common;

use common::{server, Kubectl};
use serde_json::{json, Value};

const V1: &str = "horizontalpodautoscalers.v1.autoscaling";
const V2: &str = "horizontalpodautoscalers.v2.autoscaling";

fn cpu(pct: i64) -> Value {
    json!({ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": pct } } })
}

#[test]
fn discovery_serves_v1_with_v2_preferred() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let versions = k.ok(&["api-versions"]);
    assert!(
        versions.lines().any(|l| l == "autoscaling/v1"),
        "{versions}"
    );
    assert!(
        versions.lines().any(|l| l == "autoscaling/v2"),
        "{versions}"
    );
    let group: Value = serde_json::from_str(&k.ok(&["get", "--raw", "/apis/autoscaling"])).unwrap();
    assert_eq!(group["preferredVersion"]["version"], "v2");
    assert_eq!(group["versions"][1]["groupVersion"], "autoscaling/v1");
    let list: Value =
        serde_json::from_str(&k.ok(&["get", "--raw", "/apis/autoscaling/v1"])).unwrap();
    let names: Vec<&str> = list["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "horizontalpodautoscalers",
            "horizontalpodautoscalers/status"
        ]
    );
}

#[test]
fn a_v1_object_is_defaulted_and_shown_in_both_versions() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let path = k.write_manifest(
        "hpa.yaml",
        "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: default}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 4\n",
    );
    k.ok(&["create", "-f", path.to_str().unwrap()]);
    let v1 = k.get_json(&[V1, "web"]);
    assert_eq!(v1["apiVersion"], "autoscaling/v1");
    assert_eq!(
        v1["spec"],
        json!({
            "scaleTargetRef": { "kind": "Deployment", "name": "web", "apiVersion": "apps/v1" },
            "minReplicas": 1,
            "maxReplicas": 4,
            // The target v1 used to apply implicitly is made explicit.
            "targetCPUUtilizationPercentage": 80,
        })
    );
    assert_eq!(
        v1["status"],
        json!({ "currentReplicas": 0, "desiredReplicas": 0 })
    );
    let v2 = k.get_json(&[V2, "web"]);
    assert_eq!(v2["apiVersion"], "autoscaling/v2");
    assert_eq!(v2["spec"]["metrics"], json!([cpu(80)]));
    assert_eq!(v2["spec"]["minReplicas"], 1);
    assert_eq!(v2["metadata"]["uid"], v1["metadata"]["uid"]);
    assert_eq!(
        v2["metadata"]["resourceVersion"],
        v1["metadata"]["resourceVersion"]
    );
    // Lists and the preferred short name serve v2.
    let list = k.get_json(&[V1]);
    assert_eq!(
        list["items"][0]["spec"]["targetCPUUtilizationPercentage"],
        80
    );
    assert_eq!(k.get_json(&["hpa", "web"])["apiVersion"], "autoscaling/v2");
}

#[test]
fn v2_metrics_and_behavior_round_trip_through_v1_annotations() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let memory = json!({ "type": "Resource", "resource": { "name": "memory", "target": { "type": "AverageValue", "averageValue": "512Mi" } } });
    let hpa = json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": "api", "namespace": "default" },
        "spec": {
            "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "api" },
            "minReplicas": 2, "maxReplicas": 6,
            "metrics": [cpu(70), memory],
            "behavior": { "scaleDown": { "stabilizationWindowSeconds": 60 } },
        },
    });
    let path = k.write_manifest("hpa.json", &hpa.to_string());
    k.ok(&["create", "-f", path.to_str().unwrap()]);

    let v1 = k.get_json(&[V1, "api"]);
    assert_eq!(v1["spec"]["targetCPUUtilizationPercentage"], 70);
    let ann = &v1["metadata"]["annotations"];
    let others: Value = serde_json::from_str(
        ann["autoscaling.alpha.kubernetes.io/metrics"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        others,
        json!([{ "type": "Resource", "resource": { "name": "memory", "targetAverageValue": "512Mi" } }])
    );
    let behavior: Value = serde_json::from_str(
        ann["autoscaling.alpha.kubernetes.io/behavior"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(behavior["ScaleDown"]["StabilizationWindowSeconds"], 60);
    // v2 defaulting filled in the rest of the rules.
    assert_eq!(behavior["ScaleUp"]["SelectPolicy"], "Max");

    // A v1 client writing the object back loses nothing; the CPU metric goes last.
    let mut edited = v1.clone();
    edited["spec"]["maxReplicas"] = json!(8);
    let path = k.write_manifest("v1.json", &edited.to_string());
    k.ok(&["replace", "-f", path.to_str().unwrap()]);
    let v2 = k.get_json(&[V2, "api"]);
    assert_eq!(v2["spec"]["maxReplicas"], 8);
    assert_eq!(v2["spec"]["metrics"], json!([memory, cpu(70)]));
    assert_eq!(
        v2["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
        60
    );
    assert!(
        v2["metadata"].get("annotations").is_none(),
        "round-trip annotations are not stored: {v2}"
    );
    assert_eq!(v2["metadata"]["generation"], 2);

    // A change only to the metrics annotation is a change of the v2 spec.
    let mut edited = k.get_json(&[V1, "api"]);
    edited["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/metrics"] =
        json!(r#"[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"1Gi"}}]"#);
    let path = k.write_manifest("v1.json", &edited.to_string());
    k.ok(&["replace", "-f", path.to_str().unwrap()]);
    let v2 = k.get_json(&[V2, "api"]);
    assert_eq!(
        v2["spec"]["metrics"][0]["resource"]["target"],
        json!({ "type": "AverageValue", "averageValue": "1Gi" })
    );
    assert_eq!(v2["metadata"]["generation"], 3);
}

#[test]
fn a_v1_patch_changes_the_v2_metric() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let path = k.write_manifest(
        "hpa.yaml",
        "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: default}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 4\n  targetCPUUtilizationPercentage: 60\n",
    );
    k.ok(&["create", "-f", path.to_str().unwrap()]);
    k.ok(&[
        "patch",
        V1,
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"targetCPUUtilizationPercentage":75}}"#,
    ]);
    assert_eq!(
        k.get_json(&[V2, "web"])["spec"]["metrics"],
        json!([cpu(75)])
    );
    assert_eq!(
        k.get_json(&[V1, "web"])["spec"]["targetCPUUtilizationPercentage"],
        75
    );
}

#[test]
fn server_side_apply_of_a_v1_object_records_v1_fields() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let manifest = |pct: u32| {
        format!("apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web, namespace: default}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n  maxReplicas: 5\n  targetCPUUtilizationPercentage: {pct}\n")
    };
    let path = k.write_manifest("hpa.yaml", &manifest(60));
    let out = k.ok(&["apply", "--server-side", "-f", path.to_str().unwrap()]);
    assert_eq!(
        out.trim(),
        "horizontalpodautoscaler.autoscaling/web serverside-applied"
    );
    let v1 = k.get_json(&[V1, "web", "--show-managed-fields"]);
    let entry = &v1["metadata"]["managedFields"][0];
    assert_eq!(entry["manager"], "kubectl");
    assert_eq!(entry["operation"], "Apply");
    assert_eq!(entry["apiVersion"], "autoscaling/v1");
    assert!(entry["fieldsV1"]["f:spec"]
        .get("f:targetCPUUtilizationPercentage")
        .is_some());
    // Defaulted fields belong to no manager.
    assert!(entry["fieldsV1"]["f:spec"].get("f:minReplicas").is_none());
    assert_eq!(v1["spec"]["minReplicas"], 1);
    let v2 = k.get_json(&[V2, "web"]);
    assert_eq!(v2["spec"]["metrics"], json!([cpu(60)]));
    let rv = v2["metadata"]["resourceVersion"].clone();

    // The same apply again changes nothing; a new target changes the v2 metric.
    k.ok(&["apply", "--server-side", "-f", path.to_str().unwrap()]);
    assert_eq!(k.get_json(&[V2, "web"])["metadata"]["resourceVersion"], rv);
    let path = k.write_manifest("hpa.yaml", &manifest(50));
    k.ok(&["apply", "--server-side", "-f", path.to_str().unwrap()]);
    let v2 = k.get_json(&[V2, "web"]);
    assert_eq!(v2["spec"]["metrics"], json!([cpu(50)]));
    assert_eq!(v2["metadata"]["generation"], 2);
}

#[test]
fn kubectl_autoscale_is_shown_in_both_versions() {
    let srv = server();
    let k = Kubectl::new(&srv);
    k.ok(&["create", "deployment", "x", "--image=nginx"]);
    // kubectl 1.37 creates autoscaling/v2 (protobuf); --cpu-percent is deprecated but works.
    let out = k.run(&[
        "autoscale",
        "deployment",
        "x",
        "--min=2",
        "--max=5",
        "--cpu-percent=80",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = |resource: &str| -> Value {
        serde_norway::from_str(&k.ok(&["get", resource, "x", "-o", "yaml"])).unwrap()
    };
    let (v1, v2) = (yaml(V1), yaml(V2));
    assert_eq!(v1["apiVersion"], "autoscaling/v1");
    assert_eq!(v2["apiVersion"], "autoscaling/v2");
    assert_eq!(v1["metadata"], v2["metadata"]);
    let target = json!({ "apiVersion": "apps/v1", "kind": "Deployment", "name": "x" });
    assert_eq!(
        v1["spec"],
        json!({ "scaleTargetRef": target, "minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 80 })
    );
    assert_eq!(
        v2["spec"],
        json!({ "scaleTargetRef": target, "minReplicas": 2, "maxReplicas": 5, "metrics": [cpu(80)] })
    );
}
