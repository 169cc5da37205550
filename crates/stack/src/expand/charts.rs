//! Helm charts as `helm.cattle.io/v1` HelmChart objects, run by k3s's own Helm
//! controller: Longhorn storage, data-service presets and any other chart.

use super::presets::{self, PresetContext};
use super::{managed_labels, merge, meta, Builder};
use crate::diag::{Diagnostic, Span};
use crate::model::{Common, Preset};
use crate::template;
use serde_json::{json, Map, Value};
use strata_engine::{Address, AttrPath, SecretEncoding, SecretPart, SensitiveValue, SENSITIVE};

/// What a HelmChart object installs.
pub(super) struct ChartSpec<'a> {
    pub repo: Option<&'a str>,
    pub chart: &'a str,
    pub version: Option<&'a str>,
    pub namespace: &'a str,
    pub values: Value,
}

impl Builder<'_> {
    /// Adds the HelmChart object of component `c` (in kube-system, installing
    /// into `spec.namespace`) and returns its address.
    pub(super) fn helm_chart(
        &mut self,
        c: &Common,
        spec: ChartSpec,
        deps: Vec<Address>,
        span: Span,
    ) -> Address {
        self.ensure_namespace(spec.namespace, span);
        let values = self.resolve_json(spec.values);
        let mut s = Map::new();
        if let Some(r) = spec.repo {
            s.insert("repo".into(), json!(r));
        }
        s.insert("chart".into(), json!(spec.chart));
        if let Some(v) = spec.version {
            s.insert("version".into(), json!(v));
        }
        s.insert("targetNamespace".into(), json!(spec.namespace));
        s.insert("createNamespace".into(), json!(false));
        let yaml = match &values {
            Value::Object(m) if m.is_empty() => None,
            v => serde_norway::to_string(v).ok(),
        };
        if let Some(y) = yaml {
            s.insert("valuesContent".into(), json!(y));
        }
        let manifest = json!({
            "apiVersion": "helm.cattle.io/v1",
            "kind": "HelmChart",
            "metadata": meta(&c.name, Some("kube-system"), managed_labels()),
            "spec": Value::Object(s),
        });
        let mut all_deps = deps;
        if let Some(ns) = self.namespaces.get(spec.namespace) {
            all_deps.push(ns.clone());
        }
        all_deps.extend(self.component_deps(c));
        self.object(c, "HelmChart", manifest, all_deps, span)
    }

    /// Resolves `${...}` left in pass-through values.
    pub(super) fn resolve_json(&mut self, v: Value) -> Value {
        match v {
            Value::String(s) if s.contains("${") => {
                let mut sink = Vec::new();
                let t = template::parse(&s, Span::default(), "", &mut sink);
                self.scope.eval(&t).value
            }
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.resolve_json(x)).collect()),
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, x)| (k, self.resolve_json(x)))
                    .collect(),
            ),
            other => other,
        }
    }

    fn storage_class(&self) -> Option<&'static str> {
        (!self.model.storages.is_empty()).then_some("longhorn")
    }

    fn storage_deps(&self) -> Vec<Address> {
        self.model
            .storages
            .iter()
            .flat_map(|s| {
                self.anchors
                    .get(&s.common.address)
                    .cloned()
                    .unwrap_or_default()
            })
            .collect()
    }

    fn monitoring_service(&self) -> Option<&crate::model::ServiceDecl> {
        self.model
            .services
            .iter()
            .find(|s| s.preset == Preset::KubePrometheusStack)
    }
}

pub(super) fn expand_storage(b: &mut Builder) {
    for s in &b.model.storages {
        let start = b.out.resources.len();
        let mut values = json!({
            "persistence": {
                "defaultClass": s.default_class,
                "defaultClassReplicaCount": s.replicas,
                "reclaimPolicy": "Retain",
            },
            "defaultSettings": {
                "defaultReplicaCount": s.replicas,
                "replicaSoftAntiAffinity": false,
                "nodeDownPodDeletionPolicy": "delete-both-statefulset-and-deployment-pod",
            },
        });
        if let Some(v) = &s.values {
            merge(&mut values, v);
        }
        // Longhorn runs on every node: it waits for every k3s server and agent.
        let deps = b.k3s_all.clone();
        let addr = b.helm_chart(
            &s.common,
            ChartSpec {
                repo: Some("https://charts.longhorn.io"),
                chart: "longhorn",
                version: Some(&s.version),
                namespace: &s.namespace,
                values,
            },
            deps,
            s.common.span,
        );
        b.anchor(&s.common.address, vec![addr]);
        b.crd_providers
            .push(("longhorn.io".into(), "*".into(), s.common.address.clone()));
        b.finish_component(&s.common, start);
    }
}

pub(super) fn expand_services(b: &mut Builder) {
    // Providers of CRDs first, so that services with ServiceMonitors can wait for them.
    let mut order: Vec<&crate::model::ServiceDecl> = b.model.services.iter().collect();
    order.sort_by_key(|s| presets::source(s.preset).crd_groups.is_empty());
    let monitoring = b.monitoring_service().map(|m| m.common.address.clone());
    for s in order {
        let start = b.out.resources.len();
        let src = presets::source(s.preset);
        b.ensure_namespace(&s.namespace, s.common.span);
        let credentials = credentials(b, s);
        let mut deps = Vec::new();
        if s.storage.is_some()
            || matches!(
                s.preset,
                Preset::Kafka | Preset::Postgresql | Preset::Minio | Preset::KubePrometheusStack
            )
        {
            deps.extend(b.storage_deps());
        }
        let uses_monitoring = monitoring.is_some() && s.preset != Preset::KubePrometheusStack;
        if uses_monitoring {
            if let Some(m) = &monitoring {
                deps.extend(b.anchors.get(m).cloned().unwrap_or_default());
            }
        }
        deps.extend(credentials.clone());
        let cx = PresetContext {
            storage_class: b.storage_class(),
            monitoring: uses_monitoring,
            has_credentials: credentials.is_some(),
        };
        let mut values = presets::values(s, &cx);
        if let Some(v) = &s.values {
            merge(&mut values, v);
        }
        let addr = b.helm_chart(
            &s.common,
            ChartSpec {
                repo: Some(src.repo),
                chart: src.chart,
                version: Some(s.version.as_deref().unwrap_or(src.version)),
                namespace: &s.namespace,
                values,
            },
            deps,
            s.common.span,
        );
        b.anchor(&s.common.address, vec![addr]);
        for g in src.crd_groups {
            b.crd_providers
                .push((g.to_string(), "*".into(), s.common.address.clone()));
        }
        b.finish_component(&s.common, start);
    }
}

/// The credentials Secret of a service, when its settings name any secret.
fn credentials(b: &mut Builder, s: &crate::model::ServiceDecl) -> Option<Address> {
    let keys = presets::credential_keys(s.preset);
    let given: Vec<(&str, &crate::template::Template)> = keys
        .iter()
        .filter_map(|(k, setting)| presets::text(s, setting).map(|t| (*k, t)))
        .collect();
    if given.is_empty() {
        return None;
    }
    if s.preset == Preset::Postgresql && given.len() < keys.len() {
        let missing: Vec<&str> = keys
            .iter()
            .filter(|(k, _)| !given.iter().any(|g| g.0 == *k))
            .map(|x| x.1)
            .collect();
        b.diags.push(
            Diagnostic::error("strata::credentials", s.common.span, format!("[{}] sets some PostgreSQL passwords but not {}", s.common.address, missing.join(", ")))
                .label("incomplete credentials")
                .help("the chart reads all three passwords from one Secret: set password, postgres_password and replication_password (or none, to let the chart generate them)"),
        );
        return None;
    }
    let mut data = Map::new();
    let mut sensitive = Vec::new();
    for (key, setting) in keys {
        let t = presets::text(s, setting);
        let (value, parts) = match t {
            Some(t) => {
                let ev = b.scope.eval(t);
                match ev.sensitive {
                    Some(parts) => (json!(SENSITIVE), Some(parts)),
                    None => (ev.value, None),
                }
            }
            None => (json!("admin"), None),
        };
        let path = AttrPath::root().key("stringData").key(key);
        match parts {
            Some(parts) => {
                sensitive.push(SensitiveValue {
                    path,
                    parts,
                    encoding: SecretEncoding::Plain,
                });
                data.insert(key.to_string(), value);
            }
            None => {
                let plain = value.as_str().unwrap_or_default().to_string();
                if key.contains("password") {
                    b.diags.push(
                        Diagnostic::error(
                            "strata::plain-password",
                            t.map_or(s.common.span, |t| t.span),
                            format!(
                                "`{setting}` of [{}] is written in plain text",
                                s.common.address
                            ),
                        )
                        .label("a password in the stack")
                        .help("declare it in [secrets] and write \"${secret.NAME}\""),
                    );
                }
                sensitive.push(SensitiveValue {
                    path,
                    parts: vec![SecretPart::Literal(plain)],
                    encoding: SecretEncoding::Plain,
                });
                data.insert(key.to_string(), json!(SENSITIVE));
            }
        }
    }
    let manifest = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(&presets::credentials_secret(s), Some(&s.namespace), managed_labels()),
        "type": "Opaque",
        "stringData": Value::Object(data),
    });
    let start = b.out.resources.len();
    let addr = b.object(&s.common, "Secret", manifest, Vec::new(), s.common.span);
    b.out.resources[start].sensitive = sensitive;
    Some(addr)
}

pub(super) fn expand_charts(b: &mut Builder) {
    for c in &b.model.charts {
        let start = b.out.resources.len();
        let addr = b.helm_chart(
            &c.common,
            ChartSpec {
                repo: c.repo.as_deref(),
                chart: &c.chart,
                version: c.version.as_deref(),
                namespace: &c.namespace,
                values: c.values.clone().unwrap_or_else(|| json!({})),
            },
            Vec::new(),
            c.common.span,
        );
        b.anchor(&c.common.address, vec![addr]);
        b.crd_providers
            .extend(c.provides.iter().filter_map(|(p, _)| {
                let (g, k) = p.split_once('/')?;
                Some((g.to_string(), k.to_string(), c.common.address.clone()))
            }));
        b.finish_component(&c.common, start);
    }
}
