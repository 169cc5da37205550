//! Bodies encoded with k8s-pb's prost types (the real wire layout) decode into the JSON a
//! client would have sent.

use std::collections::BTreeMap;

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;
use serde_json::{json, Value};

use super::{decode, MAGIC};

const PB: &str = "application/vnd.kubernetes.protobuf";

fn body(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    [MAGIC.to_vec(), unknown.encode_to_vec()].concat()
}

fn s(v: &str) -> Option<String> {
    Some(v.into())
}

fn meta(name: &str) -> Option<meta::ObjectMeta> {
    Some(meta::ObjectMeta {
        name: s(name),
        // Go always encodes non-pointer fields, empty or not.
        generate_name: s(""),
        namespace: s(""),
        generation: Some(0),
        creation_timestamp: Some(meta::Time::default()),
        ..Default::default()
    })
}

fn quantity(q: &str) -> Quantity {
    Quantity { string: s(q) }
}

fn int_or_string(v: Result<i32, &str>) -> Option<IntOrString> {
    Some(match v {
        Ok(i) => IntOrString {
            r#type: Some(0),
            int_val: Some(i),
            str_val: s(""),
        },
        Err(text) => IntOrString {
            r#type: Some(1),
            int_val: Some(0),
            str_val: s(text),
        },
    })
}

#[test]
fn decodes_a_full_deployment() {
    let container = core::Container {
        name: s("web"),
        image: s("nginx:1.27"),
        command: vec!["nginx".into()],
        args: vec!["-g".into(), "daemon off;".into()],
        ports: vec![core::ContainerPort {
            container_port: Some(8080),
            host_port: Some(0),
            protocol: s("TCP"),
            name: s(""),
            host_ip: s(""),
        }],
        env: vec![core::EnvVar {
            name: s("MODE"),
            value: s("prod"),
            ..Default::default()
        }],
        resources: Some(core::ResourceRequirements {
            requests: BTreeMap::from([("cpu".into(), quantity("1000m"))]),
            limits: BTreeMap::from([("memory".into(), quantity("1024Mi"))]),
            ..Default::default()
        }),
        readiness_probe: Some(core::Probe {
            handler: Some(core::ProbeHandler {
                http_get: Some(core::HttpGetAction {
                    path: s("/healthz"),
                    port: int_or_string(Err("http")),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            period_seconds: Some(5),
            initial_delay_seconds: Some(0),
            ..Default::default()
        }),
        security_context: Some(core::SecurityContext {
            run_as_user: Some(0),
            ..Default::default()
        }),
        stdin: Some(false),
        tty: Some(false),
        ..Default::default()
    };
    let volume = core::Volume {
        name: s("config"),
        volume_source: Some(core::VolumeSource {
            config_map: Some(core::ConfigMapVolumeSource {
                local_object_reference: Some(core::LocalObjectReference { name: s("cfg") }),
                default_mode: Some(0o644),
                ..Default::default()
            }),
            ..Default::default()
        }),
    };
    let deployment = apps::Deployment {
        metadata: Some(meta::ObjectMeta {
            labels: BTreeMap::from([("app".into(), "web".into())]),
            ..meta("web").unwrap()
        }),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(0),
            selector: Some(meta::LabelSelector {
                match_labels: BTreeMap::from([("app".into(), "web".into())]),
                match_expressions: vec![meta::LabelSelectorRequirement {
                    key: s("tier"),
                    operator: s("In"),
                    values: vec!["front".into()],
                }],
            }),
            template: Some(core::PodTemplateSpec {
                metadata: meta(""),
                spec: Some(core::PodSpec {
                    containers: vec![container],
                    volumes: vec![volume],
                    host_network: Some(false),
                    ..Default::default()
                }),
            }),
            strategy: Some(apps::DeploymentStrategy {
                r#type: s(""),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_surge: int_or_string(Err("25%")),
                    max_unavailable: int_or_string(Ok(0)),
                }),
            }),
            min_ready_seconds: Some(0),
            ..Default::default()
        }),
        status: Some(apps::DeploymentStatus::default()),
    };
    let v = decode(
        &body("apps/v1", "Deployment", deployment.encode_to_vec()),
        PB,
    )
    .unwrap();
    assert_eq!(v["apiVersion"], "apps/v1");
    assert_eq!(v["kind"], "Deployment");
    assert_eq!(
        v["metadata"],
        json!({ "name": "web", "labels": { "app": "web" } })
    );
    let spec = &v["spec"];
    assert_eq!(spec["replicas"], 0, "a pointer's zero is a value");
    assert!(spec.get("minReadySeconds").is_none(), "{spec}");
    assert_eq!(
        spec["selector"],
        json!({ "matchLabels": { "app": "web" }, "matchExpressions": [{ "key": "tier", "operator": "In", "values": ["front"] }] })
    );
    assert_eq!(
        spec["strategy"],
        json!({ "rollingUpdate": { "maxSurge": "25%", "maxUnavailable": 0 } })
    );
    assert_eq!(spec["template"]["metadata"], json!({}));
    let pod = &spec["template"]["spec"];
    assert!(pod.get("hostNetwork").is_none(), "{pod}");
    assert_eq!(
        pod["volumes"],
        json!([{ "name": "config", "configMap": { "name": "cfg", "defaultMode": 420 } }])
    );
    assert_eq!(
        pod["containers"][0],
        json!({
            "name": "web",
            "image": "nginx:1.27",
            "command": ["nginx"],
            "args": ["-g", "daemon off;"],
            "ports": [{ "containerPort": 8080, "protocol": "TCP" }],
            "env": [{ "name": "MODE", "value": "prod" }],
            "resources": { "limits": { "memory": "1Gi" }, "requests": { "cpu": "1" } },
            "readinessProbe": { "httpGet": { "path": "/healthz", "port": "http" }, "periodSeconds": 5 },
            "securityContext": { "runAsUser": 0 },
        })
    );
    assert_eq!(v["status"], json!({}));
}

#[test]
fn decodes_times_maps_of_bytes_and_required_zeros() {
    let secret = core::Secret {
        metadata: Some(meta::ObjectMeta {
            creation_timestamp: Some(meta::Time {
                seconds: Some(1_700_000_000),
                nanos: Some(0),
            }),
            ..meta("s").unwrap()
        }),
        data: BTreeMap::from([("k".into(), b"\x00\x01".to_vec())]),
        r#type: s("Opaque"),
        ..Default::default()
    };
    let v = decode(&body("v1", "Secret", secret.encode_to_vec()), PB).unwrap();
    assert_eq!(v["metadata"]["creationTimestamp"], "2023-11-14T22:13:20Z");
    assert_eq!(v["data"], json!({ "k": "AAE=" }));

    let service = core::Service {
        metadata: meta("svc"),
        spec: Some(core::ServiceSpec {
            ports: vec![core::ServicePort {
                name: s(""),
                protocol: s("TCP"),
                port: Some(0),
                target_port: int_or_string(Ok(0)),
                node_port: Some(0),
                ..Default::default()
            }],
            r#type: s("ClusterIP"),
            ..Default::default()
        }),
        status: Some(core::ServiceStatus::default()),
    };
    let v = decode(&body("v1", "Service", service.encode_to_vec()), PB).unwrap();
    // `port` is required: its zero stays, for validation to report.
    assert_eq!(
        v["spec"]["ports"],
        json!([{ "protocol": "TCP", "port": 0 }])
    );
}

#[test]
fn decodes_a_review_of_another_group() {
    use k8s_pb::api::authorization::v1 as authz;
    let review = authz::SelfSubjectAccessReview {
        metadata: meta(""),
        spec: Some(authz::SelfSubjectAccessReviewSpec {
            resource_attributes: Some(authz::ResourceAttributes {
                namespace: s("ns"),
                verb: s("create"),
                group: s("apps"),
                resource: s("deployments"),
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: Some(authz::SubjectAccessReviewStatus::default()),
    };
    let v = decode(
        &body(
            "authorization.k8s.io/v1",
            "SelfSubjectAccessReview",
            review.encode_to_vec(),
        ),
        PB,
    )
    .unwrap();
    assert_eq!(
        v["spec"],
        json!({ "resourceAttributes": { "namespace": "ns", "verb": "create", "group": "apps", "resource": "deployments" } })
    );
}

#[test]
fn unknown_kinds_and_garbage_are_refused() {
    let err = decode(&body("example.com/v1", "Widget", vec![]), PB).unwrap_err();
    assert_eq!(err.code, 415);
    let err = decode(&body("v1", "ConfigMap", vec![0x0a, 0x05]), PB).unwrap_err();
    assert_eq!(err.code, 400);
    let err = decode(b"{}", PB).unwrap_err();
    assert_eq!(err.code, 400);
    let ok: Value = decode(&body("v1", "ConfigMap", vec![]), PB).unwrap();
    assert_eq!(ok, json!({ "apiVersion": "v1", "kind": "ConfigMap" }));
}
