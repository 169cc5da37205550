//! Chart presets: where each data service comes from, the values of its chart,
//! the custom resources an operator runs it from, and what it exports to
//! references.
//!
//! Every preset installs from a maintained source. Bitnami's versioned images
//! left `docker.io/bitnami` in August 2025 (they are frozen in
//! `docker.io/bitnamilegacy`), so Kafka runs on the Strimzi operator (KRaft
//! node pools, `kafka.strimzi.io/v1`) and PostgreSQL on CloudNativePG (a
//! primary and streaming replicas with automatic failover,
//! `postgresql.cnpg.io/v1`). Each operator's chart is installed once per stack
//! and its custom resources wait for it through the CRD-aware graph. MinIO
//! keeps the Bitnami chart with the last image that exists, and `plan` warns
//! that nothing updates it.

use crate::model::{Preset, ServiceDecl, Setting};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Where a preset's chart comes from.
pub struct ChartSource {
    /// Repository URL.
    pub repo: &'static str,
    /// Chart name.
    pub chart: &'static str,
    /// Default chart version.
    pub version: &'static str,
    /// CRD groups the chart installs.
    pub crd_groups: &'static [&'static str],
}

/// The chart behind a preset (for Kafka and PostgreSQL: the operator's).
pub fn source(p: Preset) -> ChartSource {
    match p {
        Preset::Kafka => ChartSource {
            repo: "https://strimzi.io/charts/",
            chart: "strimzi-kafka-operator",
            version: "1.2.0",
            crd_groups: &["kafka.strimzi.io", "core.strimzi.io"],
        },
        Preset::Postgresql => ChartSource {
            repo: "https://cloudnative-pg.github.io/charts",
            chart: "cloudnative-pg",
            version: "0.29.0",
            crd_groups: &["postgresql.cnpg.io"],
        },
        Preset::Minio => ChartSource {
            repo: "https://charts.bitnami.com/bitnami",
            chart: "minio",
            version: "17.0.23",
            crd_groups: &[],
        },
        Preset::KubePrometheusStack => ChartSource {
            repo: "https://prometheus-community.github.io/helm-charts",
            chart: "kube-prometheus-stack",
            version: "88.5.3",
            crd_groups: &["monitoring.coreos.com"],
        },
        Preset::ArgoCd => ChartSource {
            repo: "https://argoproj.github.io/argo-helm",
            chart: "argo-cd",
            version: "10.1.1",
            crd_groups: &["argoproj.io"],
        },
    }
}

/// Whether a preset runs its service through an operator whose chart is
/// installed once per stack, then custom resources per service.
pub fn uses_operator(p: Preset) -> bool {
    matches!(p, Preset::Kafka | Preset::Postgresql)
}

/// The MinIO image the preset pins: the last Bitnami build of the chart's
/// MinIO release, frozen in `docker.io/bitnamilegacy` since August 2025.
pub const MINIO_IMAGE: (&str, &str, &str) =
    ("docker.io", "bitnamilegacy/minio", "2025.7.23-debian-12-r5");

/// Bitnami's fullname: the release name when it contains the chart name,
/// otherwise `RELEASE-CHART`.
fn fullname(release: &str, chart: &str) -> String {
    if release.contains(chart) {
        release.to_string()
    } else {
        format!("{release}-{chart}")
    }
}

/// A text setting as written (literal text only; secrets are handled apart).
pub fn text<'a>(s: &'a ServiceDecl, key: &str) -> Option<&'a crate::template::Template> {
    s.settings.iter().find_map(|(k, v)| match v {
        Setting::Text(t) if k == key => Some(t),
        _ => None,
    })
}

fn literal(s: &ServiceDecl, key: &str, default: &str) -> String {
    text(s, key)
        .and_then(|t| t.as_literal())
        .unwrap_or_else(|| default.to_string())
}

/// Where one key of a credentials Secret comes from.
pub enum CredentialValue {
    /// A preset setting (`password`), when it is written.
    Setting(&'static str),
    /// A preset setting, or this text when it is not written.
    SettingOr(&'static str, &'static str),
    /// A setting's literal value (`username`, which has a default).
    Literal(&'static str, &'static str),
    /// Fixed text.
    Fixed(&'static str),
}

/// A Secret Strata writes for a service from its settings.
pub struct CredentialSecret {
    /// The resource address suffix (`Secret`, `Secret/owner`).
    pub suffix: &'static str,
    /// The Secret's name.
    pub name: String,
    /// Its type (`Opaque`, `kubernetes.io/basic-auth`).
    pub kind: &'static str,
    /// The setting whose presence makes the Secret exist.
    pub when: &'static [&'static str],
    /// Its keys.
    pub keys: Vec<(&'static str, CredentialValue)>,
}

/// The credentials Secrets a service's chart or operator reads, when their
/// settings are written.
pub fn credential_secrets(s: &ServiceDecl) -> Vec<CredentialSecret> {
    let name = &s.common.name;
    match s.preset {
        Preset::Postgresql => vec![
            CredentialSecret {
                suffix: "Secret/owner",
                name: format!("{name}-owner"),
                kind: "kubernetes.io/basic-auth",
                when: &["password"],
                keys: vec![
                    ("username", CredentialValue::Literal("username", "app")),
                    ("password", CredentialValue::Setting("password")),
                ],
            },
            CredentialSecret {
                suffix: "Secret/superuser",
                name: format!("{name}-superuser"),
                kind: "kubernetes.io/basic-auth",
                when: &["postgres_password"],
                keys: vec![
                    ("username", CredentialValue::Fixed("postgres")),
                    ("password", CredentialValue::Setting("postgres_password")),
                ],
            },
        ],
        Preset::Minio => vec![CredentialSecret {
            suffix: "Secret",
            name: format!("{name}-credentials"),
            kind: "Opaque",
            when: &["root_user", "root_password"],
            keys: vec![
                (
                    "root-user",
                    CredentialValue::SettingOr("root_user", "admin"),
                ),
                ("root-password", CredentialValue::Setting("root_password")),
            ],
        }],
        Preset::KubePrometheusStack => vec![CredentialSecret {
            suffix: "Secret",
            name: format!("{name}-credentials"),
            kind: "Opaque",
            when: &["grafana_admin_user", "grafana_admin_password"],
            keys: vec![
                (
                    "admin-user",
                    CredentialValue::SettingOr("grafana_admin_user", "admin"),
                ),
                (
                    "admin-password",
                    CredentialValue::Setting("grafana_admin_password"),
                ),
            ],
        }],
        Preset::Kafka | Preset::ArgoCd => Vec::new(),
    }
}

/// The Kafka bootstrap Service of a Strimzi cluster.
fn kafka_bootstrap(s: &ServiceDecl) -> String {
    format!(
        "{}-kafka-bootstrap.{}.svc.cluster.local",
        s.common.name, s.namespace
    )
}

/// Attributes a service exports to `${service.NAME.*}` references.
pub fn exports(s: &ServiceDecl) -> BTreeMap<String, Value> {
    let ns = &s.namespace;
    let name = &s.common.name;
    let svc = |n: &str| format!("{n}.{ns}.svc.cluster.local");
    let mut e = BTreeMap::from([
        ("namespace".to_string(), json!(ns)),
        ("release".to_string(), json!(name)),
    ]);
    match s.preset {
        Preset::Kafka => {
            let host = kafka_bootstrap(s);
            e.insert("port".into(), json!(9092));
            e.insert("bootstrap_servers".into(), json!(format!("{host}:9092")));
            e.insert(
                "tls_bootstrap_servers".into(),
                json!(format!("{host}:9093")),
            );
            e.insert("host".into(), json!(host));
        }
        Preset::Postgresql => {
            e.insert("host".into(), json!(svc(&format!("{name}-rw"))));
            e.insert("read_host".into(), json!(svc(&format!("{name}-ro"))));
            e.insert("port".into(), json!(5432));
            e.insert("database".into(), json!(literal(s, "database", "app")));
            e.insert("username".into(), json!(literal(s, "username", "app")));
            let secret = if text(s, "password").is_some() {
                format!("{name}-owner")
            } else {
                format!("{name}-app")
            };
            e.insert("app_secret".into(), json!(secret));
        }
        Preset::Minio => {
            let full = fullname(name, "minio");
            e.insert("host".into(), json!(svc(&full)));
            e.insert("port".into(), json!(9000));
            e.insert(
                "endpoint".into(),
                json!(format!("http://{}:9000", svc(&full))),
            );
            e.insert(
                "credentials_secret".into(),
                json!(format!("{name}-credentials")),
            );
        }
        Preset::KubePrometheusStack => {
            e.insert(
                "host".into(),
                json!(svc(&format!("{name}-kube-prometheus-prometheus"))),
            );
            e.insert("port".into(), json!(9090));
            e.insert(
                "grafana_host".into(),
                json!(svc(&format!("{name}-grafana"))),
            );
        }
        Preset::ArgoCd => {
            e.insert("host".into(), json!(svc(&format!("{name}-argocd-server"))));
            e.insert("port".into(), json!(443));
        }
    }
    e
}

/// Context a preset's values depend on.
pub struct PresetContext<'a> {
    /// Storage class for volumes, when the stack has storage.
    pub storage_class: Option<&'a str>,
    /// The monitoring service's release name, when the stack has one
    /// (ServiceMonitors and PodMonitors are made and labelled with it).
    pub monitoring: Option<&'a str>,
    /// The credentials Secrets that exist, by address suffix.
    pub secrets: Vec<&'static str>,
    /// Namespaces of further services of the same operator, beside this
    /// service's own (the operator watches them too).
    pub also_watch: Vec<String>,
}

fn persistence(size: &Option<String>, default: &str, class: Option<&str>) -> Value {
    let mut p =
        json!({"enabled": true, "size": size.clone().unwrap_or_else(|| default.to_string())});
    if let Some(c) = class {
        p["storageClass"] = json!(c);
    }
    p
}

/// The values of the chart a preset installs, before the stack's own
/// `values` are merged in. For Kafka and PostgreSQL this is the operator's
/// chart, installed with the first service of its preset.
pub fn values(s: &ServiceDecl, cx: &PresetContext) -> Value {
    let class = cx.storage_class;
    let resources = s.resources.clone();
    let monitoring = cx.monitoring.is_some();
    match s.preset {
        Preset::Kafka => {
            let mut v = json!({});
            if !cx.also_watch.is_empty() {
                v["watchNamespaces"] = json!(cx.also_watch);
            }
            v
        }
        Preset::Postgresql => json!({
            "config": {"clusterWide": true},
            "monitoring": {"podMonitorEnabled": monitoring},
        }),
        Preset::Minio => {
            let mode = literal(s, "mode", "distributed");
            let (registry, repository, tag) = MINIO_IMAGE;
            let mut v = json!({
                // Bitnami's charts refuse images from another repository
                // unless told that it is intended.
                "global": {"security": {"allowInsecureImages": true}},
                "image": {"registry": registry, "repository": repository, "tag": tag},
                // The web console is a second image from the same frozen
                // repository; clients use the S3 API.
                "console": {"enabled": false},
                "mode": mode,
                "persistence": persistence(&s.storage, "10Gi", class),
                "metrics": {"enabled": monitoring, "serviceMonitor": {"enabled": monitoring}},
            });
            if let Some(release) = cx.monitoring {
                v["metrics"]["serviceMonitor"]["labels"] = json!({"release": release});
            }
            if mode == "distributed" {
                v["statefulset"] =
                    json!({"replicaCount": s.replicas.unwrap_or(4), "drivesPerNode": 1});
                v["podAntiAffinityPreset"] = json!("hard");
                v["pdb"] = json!({"create": true});
            }
            if cx.secrets.contains(&"Secret") {
                v["auth"] = json!({"existingSecret": format!("{}-credentials", s.common.name)});
            }
            if let Some(r) = resources {
                v["resources"] = r;
            }
            v
        }
        Preset::KubePrometheusStack => {
            let replicas = s.replicas.unwrap_or(2);
            let mut prom = json!({
                "replicas": replicas,
                "retention": literal(s, "retention", "15d"),
                "serviceMonitorSelectorNilUsesHelmValues": false,
                "podMonitorSelectorNilUsesHelmValues": false,
                "ruleSelectorNilUsesHelmValues": false,
            });
            if let Some(c) = class {
                prom["storageSpec"] = json!({"volumeClaimTemplate": {"spec": {
                    "storageClassName": c,
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": s.storage.clone().unwrap_or_else(|| "50Gi".into())}},
                }}});
            }
            if let Some(r) = resources {
                prom["resources"] = r;
            }
            let mut grafana = json!({
                "sidecar": {"dashboards": {
                    "enabled": true,
                    "label": "grafana_dashboard",
                    "labelValue": "1",
                    "searchNamespace": "ALL",
                }},
            });
            if cx.secrets.contains(&"Secret") {
                grafana["admin"] = json!({"existingSecret": format!("{}-credentials", s.common.name), "userKey": "admin-user", "passwordKey": "admin-password"});
            }
            json!({
                "prometheus": {"prometheusSpec": prom},
                "alertmanager": {
                    "enabled": s.bool_setting("alertmanager").unwrap_or(true),
                    "alertmanagerSpec": {"replicas": replicas},
                },
                "grafana": grafana,
            })
        }
        Preset::ArgoCd => {
            let ha = s.bool_setting("ha").unwrap_or(true);
            let n = if ha { 2 } else { 1 };
            let mut v = json!({
                "redis-ha": {"enabled": ha},
                "controller": {"replicas": 1},
                "server": {"replicas": n, "metrics": {"enabled": monitoring, "serviceMonitor": {"enabled": monitoring}}},
                "repoServer": {"replicas": n},
                "applicationSet": {"replicas": n},
                "configs": {"params": {"server.insecure": true}},
            });
            if let Some(release) = cx.monitoring {
                v["server"]["metrics"]["serviceMonitor"]["additionalLabels"] =
                    json!({"release": release});
            }
            v
        }
    }
}

/// One custom resource a preset's operator runs the service from: the
/// address suffix and the object (without metadata labels).
pub struct CustomResource {
    /// `Kafka`, `KafkaNodePool/brokers`, `Cluster`, `PodMonitor`.
    pub suffix: String,
    /// The object.
    pub manifest: Value,
}

fn cr(suffix: impl Into<String>, manifest: Value) -> CustomResource {
    CustomResource {
        suffix: suffix.into(),
        manifest,
    }
}

fn pod_monitor(s: &ServiceDecl, release: &str, selector: Value, port: &str) -> CustomResource {
    cr(
        "PodMonitor",
        json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PodMonitor",
            "metadata": {"name": format!("{}-metrics", s.common.name), "namespace": s.namespace, "labels": {"release": release}},
            "spec": {
                "selector": {"matchLabels": selector},
                "podMetricsEndpoints": [{"port": port, "path": "/metrics"}],
                "namespaceSelector": {"matchNames": [s.namespace]},
            },
        }),
    )
}

/// Kafka's replication settings from the broker count: the replication
/// factor (at most 3) and `min.insync.replicas` one below it.
pub fn kafka_replication(s: &ServiceDecl) -> (i64, i64) {
    let brokers = s.replicas.unwrap_or(3);
    let rf = s
        .int_setting("replication_factor")
        .unwrap_or(brokers.min(3));
    let min_isr = s
        .int_setting("min_insync_replicas")
        .unwrap_or((rf - 1).max(1));
    (rf, min_isr)
}

/// The custom resources of a service whose preset runs on an operator.
pub fn custom_resources(s: &ServiceDecl, cx: &PresetContext) -> Vec<CustomResource> {
    let name = s.common.name.as_str();
    let ns = s.namespace.as_str();
    let size = s.storage.clone().unwrap_or_else(|| "10Gi".into());
    match s.preset {
        Preset::Kafka => {
            let (rf, min_isr) = kafka_replication(s);
            // No `version`: the operator runs the Kafka release it supports best.
            let mut kafka = json!({
                "listeners": [
                    // In-cluster clients only (type internal); plain text
                    // inside the cluster network, TLS for those that want it.
                    {"name": "plain", "port": 9092, "type": "internal", "tls": false},
                    {"name": "tls", "port": 9093, "type": "internal", "tls": true},
                ],
                "config": {
                    "default.replication.factor": rf,
                    "min.insync.replicas": min_isr,
                    "offsets.topic.replication.factor": rf,
                    "transaction.state.log.replication.factor": rf,
                    "transaction.state.log.min.isr": min_isr,
                },
            });
            if cx.monitoring.is_some() {
                kafka["metricsConfig"] = json!({"type": "strimziMetricsReporter", "values": {"allowList": ["kafka_.*"]}});
            }
            let mut out = vec![cr(
                "Kafka",
                json!({
                    "apiVersion": "kafka.strimzi.io/v1",
                    "kind": "Kafka",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {
                        "kafka": kafka,
                        "entityOperator": {"topicOperator": {}, "userOperator": {}},
                    },
                }),
            )];
            let pool = |pool: &str, replicas: i64, roles: &[&str]| {
                let mut volume = json!({"id": 0, "type": "persistent-claim", "size": size, "deleteClaim": false, "kraftMetadata": "shared"});
                if let Some(c) = cx.storage_class {
                    volume["class"] = json!(c);
                }
                let mut spec = json!({
                    "replicas": replicas,
                    "roles": roles,
                    "storage": {"type": "jbod", "volumes": [volume]},
                    "template": {"pod": {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
                        "labelSelector": {"matchLabels": {"strimzi.io/cluster": name, "strimzi.io/pool-name": pool}},
                        "topologyKey": "kubernetes.io/hostname",
                    }]}}}},
                });
                if let Some(r) = &s.resources {
                    spec["resources"] = r.clone();
                }
                cr(
                    format!("KafkaNodePool/{pool}"),
                    json!({
                        "apiVersion": "kafka.strimzi.io/v1",
                        "kind": "KafkaNodePool",
                        "metadata": {"name": pool, "namespace": ns, "labels": {"strimzi.io/cluster": name}},
                        "spec": spec,
                    }),
                )
            };
            let brokers = s.replicas.unwrap_or(3);
            match s.int_setting("controllers") {
                Some(c) => {
                    out.push(pool("controllers", c, &["controller"]));
                    out.push(pool("brokers", brokers, &["broker"]));
                }
                None => out.push(pool("dual-role", brokers, &["controller", "broker"])),
            }
            if let Some(release) = cx.monitoring {
                out.push(pod_monitor(
                    s,
                    release,
                    json!({"strimzi.io/cluster": name, "strimzi.io/kind": "Kafka"}),
                    "tcp-prometheus",
                ));
            }
            out
        }
        Preset::Postgresql => {
            let replicas = s.int_setting("read_replicas").unwrap_or(2);
            let mut initdb = json!({
                "database": literal(s, "database", "app"),
                "owner": literal(s, "username", "app"),
            });
            if cx.secrets.contains(&"Secret/owner") {
                initdb["secret"] = json!({"name": format!("{name}-owner")});
            }
            let mut storage = json!({"size": size});
            if let Some(c) = cx.storage_class {
                storage["storageClass"] = json!(c);
            }
            let mut spec = json!({
                "instances": 1 + replicas,
                "primaryUpdateStrategy": "unsupervised",
                "storage": storage,
                "affinity": {
                    "enablePodAntiAffinity": true,
                    "podAntiAffinityType": "required",
                    "topologyKey": "kubernetes.io/hostname",
                },
                "bootstrap": {"initdb": initdb},
            });
            if cx.secrets.contains(&"Secret/superuser") {
                spec["enableSuperuserAccess"] = json!(true);
                spec["superuserSecret"] = json!({"name": format!("{name}-superuser")});
            }
            if let Some(r) = &s.resources {
                spec["resources"] = r.clone();
            }
            let mut out = vec![cr(
                "Cluster",
                json!({
                    "apiVersion": "postgresql.cnpg.io/v1",
                    "kind": "Cluster",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": spec,
                }),
            )];
            if let Some(release) = cx.monitoring {
                out.push(pod_monitor(
                    s,
                    release,
                    json!({"cnpg.io/cluster": name}),
                    "metrics",
                ));
            }
            out
        }
        _ => Vec::new(),
    }
}
