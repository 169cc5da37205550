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
    // The monitoring service first, so that services with ServiceMonitors
    // and PodMonitors can wait for it.
    let mut order: Vec<&crate::model::ServiceDecl> = b.model.services.iter().collect();
    order.sort_by_key(|s| s.preset != Preset::KubePrometheusStack);
    let monitoring = b
        .monitoring_service()
        .map(|m| (m.common.address.clone(), m.common.name.clone()));
    // Each operator's chart is installed once, with the first service of its preset.
    let mut operators: Vec<(Preset, Address)> = Vec::new();
    for s in order {
        let start = b.out.resources.len();
        let src = presets::source(s.preset);
        b.ensure_namespace(&s.namespace, s.common.span);
        let secrets = credentials(b, s);
        let stateful = s.storage.is_some()
            || matches!(
                s.preset,
                Preset::Kafka | Preset::Postgresql | Preset::Minio | Preset::KubePrometheusStack
            );
        let uses_monitoring = s.preset != Preset::KubePrometheusStack;
        let mut monitoring_deps = Vec::new();
        if let (Some((m, _)), true) = (&monitoring, uses_monitoring) {
            monitoring_deps.extend(b.anchors.get(m).cloned().unwrap_or_default());
        }
        let also_watch: Vec<String> = if s.preset == Preset::Kafka {
            let mut v: Vec<String> = b
                .model
                .services
                .iter()
                .filter(|o| o.preset == Preset::Kafka && o.namespace != s.namespace)
                .map(|o| o.namespace.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        } else {
            Vec::new()
        };
        let cx = PresetContext {
            storage_class: b.storage_class(),
            monitoring: monitoring
                .as_ref()
                .filter(|_| uses_monitoring)
                .map(|(_, name)| name.as_str()),
            secrets: secrets.iter().map(|(suffix, _)| *suffix).collect(),
            also_watch,
        };
        let secret_deps: Vec<Address> = secrets.iter().map(|(_, a)| a.clone()).collect();
        if s.preset == Preset::Minio && !overrides_image(s) {
            let (registry, repository, tag) = presets::MINIO_IMAGE;
            b.diags.push(
                Diagnostic::error(
                    "strata::unmaintained-image",
                    s.common.span,
                    format!("[{}] runs {registry}/{repository}:{tag}, which nobody updates", s.common.address),
                )
                .warning()
                .label("no security fixes will come for this image")
                .help("upstream MinIO publishes no community images since October 2025 and Bitnami's moved to the frozen bitnamilegacy repository in August 2025; point values.image at a build you maintain, or move to another S3-compatible store"),
            );
        }
        let mut anchors = Vec::new();
        let operator = operators
            .iter()
            .find(|(p, _)| *p == s.preset)
            .map(|(_, a)| a.clone());
        let chart = match operator {
            Some(existing) if presets::uses_operator(s.preset) => existing,
            _ => {
                let mut deps = Vec::new();
                if stateful && !presets::uses_operator(s.preset) {
                    deps.extend(b.storage_deps());
                }
                deps.extend(monitoring_deps.iter().cloned());
                deps.extend(secret_deps.iter().cloned());
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
                // Kinds the chart serves wait for the chart itself, not for
                // everything its service makes.
                for g in src.crd_groups {
                    b.crd_providers
                        .push((g.to_string(), "*".into(), addr.as_str().to_string()));
                }
                operators.push((s.preset, addr.clone()));
                anchors.push(addr.clone());
                addr
            }
        };
        for r in presets::custom_resources(s, &cx) {
            let mut manifest = r.manifest;
            let mut labels = managed_labels();
            if let Some(l) = manifest["metadata"]["labels"].as_object() {
                for (k, v) in l {
                    labels[k] = v.clone();
                }
            }
            manifest["metadata"]["labels"] = labels;
            let mut deps = vec![chart.clone()];
            if stateful {
                deps.extend(b.storage_deps());
            }
            deps.extend(secret_deps.iter().cloned());
            deps.extend(b.component_deps(&s.common));
            let addr = b.object(&s.common, &r.suffix, manifest, deps, s.common.span);
            anchors.push(addr);
        }
        b.anchor(&s.common.address, anchors);
        b.finish_component(&s.common, start);
    }
}

/// Whether a service's own `values` choose the image.
fn overrides_image(s: &crate::model::ServiceDecl) -> bool {
    s.values.as_ref().is_some_and(|v| {
        v.pointer("/image/repository").is_some() || v.pointer("/image/tag").is_some()
    })
}

/// The credentials Secrets of a service whose settings name them: the
/// address suffix and address of each.
fn credentials(b: &mut Builder, s: &crate::model::ServiceDecl) -> Vec<(&'static str, Address)> {
    use presets::CredentialValue;
    let mut out = Vec::new();
    for secret in presets::credential_secrets(s) {
        if !secret.when.iter().any(|k| presets::text(s, k).is_some()) {
            continue;
        }
        let mut data = Map::new();
        let mut sensitive = Vec::new();
        let mut complete = true;
        for (key, source) in &secret.keys {
            let (template, default) = match source {
                CredentialValue::Setting(k) => (presets::text(s, k), None),
                CredentialValue::SettingOr(k, d) => (presets::text(s, k), Some(d.to_string())),
                CredentialValue::Literal(k, d) => (
                    None,
                    Some(
                        presets::text(s, k)
                            .and_then(|t| t.as_literal())
                            .unwrap_or_else(|| d.to_string()),
                    ),
                ),
                CredentialValue::Fixed(v) => (None, Some(v.to_string())),
            };
            let setting = match source {
                CredentialValue::Setting(k)
                | CredentialValue::SettingOr(k, _)
                | CredentialValue::Literal(k, _) => *k,
                CredentialValue::Fixed(_) => *key,
            };
            let path = AttrPath::root().key("stringData").key(key);
            let parts = match (template, default) {
                (Some(t), _) => {
                    let ev = b.scope.eval(t);
                    match ev.sensitive {
                        Some(parts) => parts,
                        None => {
                            if key.contains("password") {
                                b.diags.push(
                                    Diagnostic::error(
                                        "strata::plain-password",
                                        t.span,
                                        format!(
                                            "`{setting}` of [{}] is written in plain text",
                                            s.common.address
                                        ),
                                    )
                                    .label("a password in the stack")
                                    .help("declare it in [secrets] and write \"${secret.NAME}\""),
                                );
                            }
                            vec![SecretPart::Literal(
                                ev.value.as_str().unwrap_or_default().to_string(),
                            )]
                        }
                    }
                }
                (None, Some(d)) => vec![SecretPart::Literal(d)],
                (None, None) => {
                    let given = secret
                        .when
                        .iter()
                        .find(|k| presets::text(s, k).is_some())
                        .copied()
                        .unwrap_or_default();
                    b.diags.push(
                        Diagnostic::error(
                            "strata::credentials",
                            s.setting_span(given).unwrap_or(s.common.span),
                            format!(
                                "[{}] sets `{given}` but not `{setting}`",
                                s.common.address
                            ),
                        )
                        .label("incomplete credentials")
                        .help(format!("the Secret {} needs both; set `{setting}` too (a secret: \"${{secret.NAME}}\"), or neither", secret.name)),
                    );
                    complete = false;
                    continue;
                }
            };
            sensitive.push(SensitiveValue {
                path,
                parts,
                encoding: SecretEncoding::Plain,
            });
            data.insert(key.to_string(), json!(SENSITIVE));
        }
        if !complete {
            continue;
        }
        let manifest = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": meta(&secret.name, Some(&s.namespace), managed_labels()),
            "type": secret.kind,
            "stringData": Value::Object(data),
        });
        let start = b.out.resources.len();
        let addr = b.object(
            &s.common,
            secret.suffix,
            manifest,
            Vec::new(),
            s.common.span,
        );
        b.out.resources[start].sensitive = sensitive;
        out.push((secret.suffix, addr));
    }
    out
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
