//! Chart presets: the chart, its default version and values that run each data
//! service well on a small HA k3s cluster, and what each preset exports to
//! references.
//!
//! The reference architecture installs Kafka with ZooKeeper and PostgreSQL with
//! `replication.slaveReplicas`; both are outdated. Kafka runs in KRaft mode
//! (ZooKeeper was removed in Kafka 4.0 and from the Bitnami chart), and the
//! PostgreSQL chart calls read replicas `readReplicas.replicaCount` under
//! `architecture: replication`.

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

/// The chart behind a preset.
pub fn source(p: Preset) -> ChartSource {
    match p {
        Preset::Kafka => ChartSource {
            repo: "https://charts.bitnami.com/bitnami",
            chart: "kafka",
            version: "32.4.3",
            crd_groups: &[],
        },
        Preset::Postgresql => ChartSource {
            repo: "https://charts.bitnami.com/bitnami",
            chart: "postgresql",
            version: "16.7.27",
            crd_groups: &[],
        },
        Preset::Minio => ChartSource {
            repo: "https://charts.bitnami.com/bitnami",
            chart: "minio",
            version: "17.0.21",
            crd_groups: &[],
        },
        Preset::KubePrometheusStack => ChartSource {
            repo: "https://prometheus-community.github.io/helm-charts",
            chart: "kube-prometheus-stack",
            version: "77.5.0",
            crd_groups: &["monitoring.coreos.com"],
        },
        Preset::ArgoCd => ChartSource {
            repo: "https://argoproj.github.io/argo-helm",
            chart: "argo-cd",
            version: "8.3.5",
            crd_groups: &["argoproj.io"],
        },
    }
}

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

fn int(s: &ServiceDecl, key: &str) -> Option<i64> {
    s.settings.iter().find_map(|(k, v)| match v {
        Setting::Int(i) if k == key => Some(*i),
        _ => None,
    })
}

fn boolean(s: &ServiceDecl, key: &str) -> Option<bool> {
    s.settings.iter().find_map(|(k, v)| match v {
        Setting::Bool(b) if k == key => Some(*b),
        _ => None,
    })
}

fn literal(s: &ServiceDecl, key: &str, default: &str) -> String {
    text(s, key)
        .and_then(|t| t.as_literal())
        .unwrap_or_else(|| default.to_string())
}

/// The name of the credentials Secret a service's chart reads, if it has one.
pub fn credentials_secret(s: &ServiceDecl) -> String {
    format!("{}-credentials", s.common.name)
}

/// Keys of the credentials Secret: (Secret key, preset setting).
pub fn credential_keys(p: Preset) -> &'static [(&'static str, &'static str)] {
    match p {
        Preset::Postgresql => &[
            ("postgres-password", "postgres_password"),
            ("password", "password"),
            ("replication-password", "replication_password"),
        ],
        Preset::Minio => &[
            ("root-user", "root_user"),
            ("root-password", "root_password"),
        ],
        Preset::KubePrometheusStack => &[
            ("admin-user", "grafana_admin_user"),
            ("admin-password", "grafana_admin_password"),
        ],
        _ => &[],
    }
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
            let full = fullname(name, "kafka");
            e.insert("host".into(), json!(svc(&full)));
            e.insert("port".into(), json!(9092));
            e.insert(
                "bootstrap_servers".into(),
                json!(format!("{}:9092", svc(&full))),
            );
        }
        Preset::Postgresql => {
            let full = fullname(name, "postgresql");
            e.insert("host".into(), json!(svc(&format!("{full}-primary"))));
            e.insert("read_host".into(), json!(svc(&format!("{full}-read"))));
            e.insert("port".into(), json!(5432));
            e.insert("database".into(), json!(literal(s, "database", "app")));
            e.insert("username".into(), json!(literal(s, "username", "app")));
        }
        Preset::Minio => {
            let full = fullname(name, "minio");
            e.insert("host".into(), json!(svc(&full)));
            e.insert("port".into(), json!(9000));
            e.insert(
                "endpoint".into(),
                json!(format!("http://{}:9000", svc(&full))),
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
    /// Whether a monitoring preset exists (enables ServiceMonitors).
    pub monitoring: bool,
    /// Whether the credentials Secret exists (it holds at least one secret).
    pub has_credentials: bool,
}

fn persistence(size: &Option<String>, default: &str, class: Option<&str>) -> Value {
    let mut p =
        json!({"enabled": true, "size": size.clone().unwrap_or_else(|| default.to_string())});
    if let Some(c) = class {
        p["storageClass"] = json!(c);
    }
    p
}

/// The chart values of a preset, before the stack's own `values` are merged in.
pub fn values(s: &ServiceDecl, cx: &PresetContext) -> Value {
    let class = cx.storage_class;
    let resources = s.resources.clone();
    let secret = credentials_secret(s);
    match s.preset {
        Preset::Kafka => {
            let replicas = s.replicas.unwrap_or(3);
            let rf = int(s, "replication_factor").unwrap_or(replicas.min(3));
            let min_isr = int(s, "min_insync_replicas").unwrap_or((rf - 1).max(1));
            let mut v = json!({
                "kraft": {"enabled": true},
                "controller": {
                    "replicaCount": replicas,
                    "controllerOnly": false,
                    "persistence": persistence(&s.storage, "10Gi", class),
                    "podAntiAffinityPreset": "hard",
                    "pdb": {"create": true, "maxUnavailable": 1},
                },
                "broker": {"replicaCount": 0},
                "overrideConfiguration": {
                    "default.replication.factor": rf,
                    "min.insync.replicas": min_isr,
                    "offsets.topic.replication.factor": rf,
                    "transaction.state.log.replication.factor": rf,
                    "transaction.state.log.min.isr": (rf - 1).max(1),
                },
                "metrics": {"jmx": {"enabled": cx.monitoring}, "serviceMonitor": {"enabled": cx.monitoring}},
            });
            if let Some(r) = resources {
                v["controller"]["resources"] = r;
            }
            v
        }
        Preset::Postgresql => {
            let mut auth = json!({
                "username": literal(s, "username", "app"),
                "database": literal(s, "database", "app"),
                "replicationUsername": "replicator",
            });
            if cx.has_credentials {
                auth["existingSecret"] = json!(secret);
                auth["secretKeys"] = json!({
                    "adminPasswordKey": "postgres-password",
                    "userPasswordKey": "password",
                    "replicationPasswordKey": "replication-password",
                });
            }
            let mut v = json!({
                "architecture": "replication",
                "auth": auth,
                "primary": {
                    "persistence": persistence(&s.storage, "10Gi", class),
                    "podAntiAffinityPreset": "hard",
                    "pdb": {"create": true},
                },
                "readReplicas": {
                    "replicaCount": int(s, "read_replicas").unwrap_or(2),
                    "persistence": persistence(&s.storage, "10Gi", class),
                    "podAntiAffinityPreset": "hard",
                    "pdb": {"create": true},
                },
                "metrics": {"enabled": cx.monitoring, "serviceMonitor": {"enabled": cx.monitoring}},
            });
            if let Some(r) = resources {
                v["primary"]["resources"] = r.clone();
                v["readReplicas"]["resources"] = r;
            }
            v
        }
        Preset::Minio => {
            let mode = literal(s, "mode", "distributed");
            let mut v = json!({
                "mode": mode,
                "persistence": persistence(&s.storage, "10Gi", class),
                "metrics": {"serviceMonitor": {"enabled": cx.monitoring}},
            });
            if mode == "distributed" {
                v["statefulset"] =
                    json!({"replicaCount": s.replicas.unwrap_or(4), "drivesPerNode": 1});
                v["podAntiAffinityPreset"] = json!("hard");
                v["pdb"] = json!({"create": true});
            }
            if cx.has_credentials {
                v["auth"] = json!({"existingSecret": secret});
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
            if cx.has_credentials {
                grafana["admin"] = json!({"existingSecret": secret, "userKey": "admin-user", "passwordKey": "admin-password"});
            }
            json!({
                "prometheus": {"prometheusSpec": prom},
                "alertmanager": {
                    "enabled": boolean(s, "alertmanager").unwrap_or(true),
                    "alertmanagerSpec": {"replicas": replicas},
                },
                "grafana": grafana,
            })
        }
        Preset::ArgoCd => {
            let ha = boolean(s, "ha").unwrap_or(true);
            let n = if ha { 2 } else { 1 };
            json!({
                "redis-ha": {"enabled": ha},
                "controller": {"replicas": 1},
                "server": {"replicas": n, "metrics": {"enabled": cx.monitoring, "serviceMonitor": {"enabled": cx.monitoring}}},
                "repoServer": {"replicas": n},
                "applicationSet": {"replicas": n},
                "configs": {"params": {"server.insecure": true}},
            })
        }
    }
}
