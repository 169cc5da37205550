//! Apps (a microservice and everything it needs to run well), Argo CD
//! Applications and ApplicationSets, and outputs.

use super::{managed_labels, meta, Builder};
use crate::diag::Diagnostic;
use crate::model::{AppDecl, AutoSync, Delivery, Expose, Preset};
use serde_json::{json, Map, Value};
use strata_engine::{AttrPath, DesiredOutput, SecretEncoding, SensitiveValue, SENSITIVE};

pub(super) fn expand_apps(b: &mut Builder) {
    for a in &b.model.apps {
        if a.delivery == Delivery::Gitops {
            // Argo CD applies its objects; Strata owns none of them.
            b.anchor(&a.common.address, Vec::new());
            continue;
        }
        let start = b.out.resources.len();
        b.ensure_namespace(&a.namespace, a.common.span);
        let deps = b.component_deps(&a.common);
        let name = a.common.name.as_str();
        let ns = Some(a.namespace.as_str());
        let labels = app_labels(a);
        let span = a.common.span;
        let sa = json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta(name, ns, labels.clone()),
            "automountServiceAccountToken": false,
        });
        let sa_addr = b.object(&a.common, "ServiceAccount", sa, deps.clone(), span);
        let mut env = Map::new();
        for e in &a.env {
            env.insert(e.name.clone(), b.scope.eval(&e.value).value);
        }
        let cm = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta(&format!("{name}-config"), ns, labels.clone()),
            "data": Value::Object(env),
        });
        let cm_addr = b.object(&a.common, "ConfigMap", cm, deps.clone(), span);
        let mut data = Map::new();
        let mut sensitive = Vec::new();
        for e in &a.secret_env {
            let (k, t) = (&e.name, &e.value);
            let ev = b.scope.eval(t);
            if ev.sensitive.is_none() {
                b.diags.push(
                    Diagnostic::error(
                        "strata::plain-secret-env",
                        t.span,
                        format!("secret_env `{k}` of [{}] uses no secret", a.common.address),
                    )
                    .warning()
                    .label("stored in a Secret, but written in the stack in plain text")
                    .help("move it to env, or reference a secret with ${secret.NAME}"),
                );
            }
            let parts = ev.sensitive.unwrap_or_else(|| {
                vec![strata_engine::SecretPart::Literal(
                    ev.value.as_str().unwrap_or_default().to_string(),
                )]
            });
            sensitive.push(SensitiveValue {
                path: AttrPath::root().key("stringData").key(k),
                parts,
                encoding: SecretEncoding::Plain,
            });
            data.insert(k.clone(), json!(SENSITIVE));
        }
        let secret = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": meta(&format!("{name}-secrets"), ns, labels.clone()),
            "type": "Opaque",
            "stringData": Value::Object(data),
        });
        let i = b.out.resources.len();
        let secret_addr = b.object(&a.common, "Secret", secret, deps.clone(), span);
        b.out.resources[i].sensitive = sensitive;
        let image = b.scope.eval(&a.image).value;
        if a.image.as_literal().is_none() {
            // References resolved only now: check the image they make.
            if let Some(Err(why)) = image.as_str().map(crate::syntax::check_image) {
                let v = image.as_str().unwrap_or_default();
                b.diags
                    .push(crate::formats::image_error(v, &why, a.image.span));
            }
        }
        let tag = image
            .as_str()
            .and_then(|s| s.rsplit_once(':'))
            .map(|(_, t)| t.to_string())
            .filter(|t| !t.contains('/'))
            // The tag labels the pods; a tag that is no label value is left out.
            .filter(|t| crate::k8s::check_label_value(t).is_ok());
        let deployment = deployment(a, &labels, image, tag);
        let mut dep_deps = deps.clone();
        dep_deps.extend([sa_addr, cm_addr, secret_addr]);
        let i = b.out.resources.len();
        let dep_addr = b.object(&a.common, "Deployment", deployment, dep_deps, span);
        if a.autoscaling.is_some() {
            // The HPA owns the replica count; Strata must not fight it.
            b.out.resources[i]
                .lifecycle
                .ignore_changes
                .push(AttrPath::parse("spec.replicas").expect("valid"));
        }
        let service = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta(name, ns, labels.clone()),
            "spec": {
                "type": "ClusterIP",
                "selector": {"app": name},
                "ports": [{"name": "http", "port": a.port, "targetPort": "http", "protocol": "TCP"}],
            },
        });
        let svc_addr = b.object(&a.common, "Service", service, deps.clone(), span);
        if let Some(scale) = &a.autoscaling {
            let (min, max, cpu) = (scale.min, scale.max, scale.cpu);
            let hpa = json!({
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": meta(&format!("{name}-hpa"), ns, labels.clone()),
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicas": min,
                    "maxReplicas": max,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}}],
                },
            });
            b.object(
                &a.common,
                "HorizontalPodAutoscaler",
                hpa,
                vec![dep_addr.clone()],
                span,
            );
        }
        if let Some(d) = &a.disruption {
            let mut spec = Map::new();
            spec.insert(d.field.to_string(), d.value.clone());
            spec.insert("selector".into(), json!({"matchLabels": {"app": name}}));
            let pdb = json!({
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": meta(&format!("{name}-pdb"), ns, labels.clone()),
                "spec": Value::Object(spec),
            });
            b.object(
                &a.common,
                "PodDisruptionBudget",
                pdb,
                vec![dep_addr.clone()],
                span,
            );
        }
        if let Some(e) = &a.expose {
            expose(b, a, e, &labels, svc_addr.clone());
        }
        if let Some(m) = &a.monitoring {
            monitoring(b, a, m, &labels, svc_addr);
        }
        b.anchor(&a.common.address, vec![dep_addr]);
        b.finish_component(&a.common, start);
    }
}

fn app_labels(a: &AppDecl) -> Value {
    let mut l = managed_labels();
    l["app"] = json!(a.common.name);
    l["app.kubernetes.io/name"] = json!(a.common.name);
    l
}

fn deployment(a: &AppDecl, labels: &Value, image: Value, tag: Option<String>) -> Value {
    let name = a.common.name.as_str();
    let mut pod_labels = json!({"app": name, "app.kubernetes.io/name": name});
    if let Some(t) = tag {
        pod_labels["version"] = json!(t);
    }
    let probe = |(delay, period): (i64, i64)| json!({"httpGet": {"path": a.health, "port": "http"}, "initialDelaySeconds": delay, "periodSeconds": period});
    let mut container = json!({
        "name": "main",
        "image": image,
        "imagePullPolicy": a.image_pull_policy,
        "envFrom": [
            {"configMapRef": {"name": format!("{name}-config")}},
            {"secretRef": {"name": format!("{name}-secrets")}},
        ],
        "ports": [{"name": "http", "containerPort": a.port, "protocol": "TCP"}],
        "livenessProbe": probe(crate::schema::LIVENESS_PROBE),
        "readinessProbe": probe(crate::schema::READINESS_PROBE),
    });
    if let Some(r) = &a.resources {
        container["resources"] = r.clone();
    }
    let selector = json!({"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [name]}]}, "topologyKey": "kubernetes.io/hostname"});
    let affinity = match a.spread.as_str() {
        "required" => Some(
            json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [selector]}}),
        ),
        "preferred" => Some(
            json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": selector}]}}),
        ),
        _ => None,
    };
    let metrics_path = a
        .monitoring
        .as_ref()
        .map_or("/metrics", |m| m.path.as_str());
    let mut pod_spec = json!({"serviceAccountName": name, "containers": [container]});
    if let Some(aff) = affinity {
        pod_spec["affinity"] = aff;
    }
    let mut spec = json!({
        "revisionHistoryLimit": 3,
        "selector": {"matchLabels": {"app": name}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": {
            "metadata": {
                "labels": pod_labels,
                "annotations": {
                    "prometheus.io/scrape": "true",
                    "prometheus.io/port": a.port.to_string(),
                    "prometheus.io/path": metrics_path,
                },
            },
            "spec": pod_spec,
        },
    });
    // With an autoscaler the Deployment starts at its minimum; afterwards the
    // HPA owns the count (the resource ignores changes to spec.replicas).
    spec["replicas"] = match &a.autoscaling {
        Some(hpa) => json!(hpa.min),
        None => json!(a.replicas),
    };
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, Some(&a.namespace), labels.clone()),
        "spec": spec,
    })
}

fn monitoring(
    b: &mut Builder,
    a: &AppDecl,
    m: &crate::model::Monitoring,
    labels: &Value,
    svc: strata_engine::Address,
) {
    let name = a.common.name.as_str();
    let ns = Some(a.namespace.as_str());
    let prom = match &m.prometheus {
        Some((p, span)) => {
            match b
                .model
                .services
                .iter()
                .find(|s| s.common.name == *p && s.preset == Preset::KubePrometheusStack)
            {
                Some(s) => Some(s),
                None => {
                    b.diags.push(
                    Diagnostic::error("strata::monitoring", *span, format!("`{p}` is not a [service.*] with preset = \"kube-prometheus-stack\""))
                        .label("no such monitoring service"),
                );
                    None
                }
            }
        }
        None => b
            .model
            .services
            .iter()
            .find(|s| s.preset == Preset::KubePrometheusStack),
    };
    let mut sm_labels = labels.clone();
    // kube-prometheus-stack selects ServiceMonitors labelled with its release.
    sm_labels["release"] = json!(prom.map_or("prometheus", |p| p.common.name.as_str()));
    let sm = json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": meta(&format!("{name}-monitor"), ns, sm_labels),
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "endpoints": [{"port": "http", "interval": m.interval, "path": m.path}],
            // The dashboard's queries select series by `app`: copy the
            // Service's label onto every target.
            "targetLabels": ["app"],
            "namespaceSelector": {"matchNames": [a.namespace]},
        },
    });
    b.object(&a.common, "ServiceMonitor", sm, vec![svc], m.span);
    let Some((file, span)) = &m.dashboard else {
        return;
    };
    let base = b
        .raw
        .sources
        .get(span.file)
        .path
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    let path = base.join(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            b.diags.push(
                Diagnostic::error(
                    "strata::dashboard",
                    *span,
                    format!(
                        "cannot read dashboard {}: {e}",
                        crate::load::normalize(&path).display()
                    ),
                )
                .label("file not found")
                .help("dashboard paths are relative to the file that declares them"),
            );
            return;
        }
    };
    if let Err(e) = serde_json::from_str::<Value>(&text) {
        b.diags.push(
            Diagnostic::error(
                "strata::dashboard",
                *span,
                format!(
                    "dashboard {} is not valid JSON: {e}",
                    crate::load::normalize(&path).display()
                ),
            )
            .label("invalid Grafana dashboard"),
        );
        return;
    }
    b.out
        .files_read
        .push((crate::load::normalize(&path), text.clone()));
    let mut dl = labels.clone();
    dl["grafana_dashboard"] = json!("1");
    let cm = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(&format!("{name}-grafana-dashboard"), ns, dl),
        "data": {format!("{name}-dashboard.json"): text},
    });
    let mut deps = Vec::new();
    if let Some(p) = prom {
        deps.push(strata_engine::Address::new(p.common.address.as_str()));
    }
    b.object(&a.common, "ConfigMap/dashboard", cm, deps, a.common.span);
}

fn sync_policy(auto: Option<AutoSync>, create_namespace: bool) -> Value {
    let mut p = Map::new();
    if let Some(a) = auto {
        p.insert(
            "automated".into(),
            json!({"selfHeal": a.self_heal, "prune": a.prune}),
        );
    }
    if create_namespace {
        p.insert("syncOptions".into(), json!(["CreateNamespace=true"]));
    }
    Value::Object(p)
}

/// The namespace Argo CD runs in (the argo-cd service's), or `argocd`.
fn argocd_namespace(b: &Builder) -> String {
    b.model
        .services
        .iter()
        .find(|s| s.preset == Preset::ArgoCd)
        .map_or("argocd".into(), |s| s.namespace.clone())
}

pub(super) fn expand_argocd(b: &mut Builder) {
    let ns = argocd_namespace(b);
    for a in &b.model.applications {
        let start = b.out.resources.len();
        let deps = b.component_deps(&a.common);
        let app = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": meta(&a.common.name, Some(&ns), managed_labels()),
            "spec": {
                "project": a.project,
                "source": {"repoURL": a.repo, "targetRevision": a.revision, "path": a.path},
                "destination": {"server": a.server, "namespace": a.destination_namespace},
                "syncPolicy": sync_policy(a.auto_sync, a.create_namespace),
            },
        });
        let addr = b.object(&a.common, "Application", app, deps, a.common.span);
        b.anchor(&a.common.address, vec![addr]);
        b.finish_component(&a.common, start);
    }
    for s in &b.model.application_sets {
        let start = b.out.resources.len();
        let deps = b.component_deps(&s.common);
        let elements: Vec<Value> = s
            .environments
            .iter()
            .map(|e| json!({"cluster": e.name, "url": e.server, "namespace": e.namespace}))
            .collect();
        for (i, e) in s.environments.iter().enumerate() {
            if let Some(first) = s.environments[..i]
                .iter()
                .find(|o| same_server(&o.server, &e.server) && o.namespace == e.namespace)
            {
                b.diags.push(
                    Diagnostic::error(
                        "strata::two-owners",
                        e.span,
                        format!(
                            "environments `{}` and `{}` of [{}] both deliver into namespace `{}` of {}",
                            first.name, e.name, s.common.address, e.namespace, e.server
                        ),
                    )
                    .label("the same cluster and namespace again")
                    .also(first.span, format!("`{}` delivers there first", first.name))
                    .help("with prune and self-heal the two Applications would overwrite each other: give each environment its own server or namespace"),
                );
            }
        }
        let mut source = json!({"repoURL": s.repo, "targetRevision": s.revision, "path": s.path});
        if !s.value_files.is_empty() {
            source["helm"] = json!({"valueFiles": s.value_files});
        }
        let set = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ApplicationSet",
            "metadata": meta(&format!("{}-apps", s.common.name), Some(&ns), managed_labels()),
            "spec": {
                "generators": [{"list": {"elements": elements}}],
                "template": {
                    "metadata": {"name": format!("{}-{{{{cluster}}}}", s.common.name)},
                    "spec": {
                        "project": s.project,
                        "source": source,
                        "destination": {"server": "{{url}}", "namespace": "{{namespace}}"},
                        "syncPolicy": sync_policy(s.auto_sync, true),
                    },
                },
            },
        });
        let addr = b.object(&s.common, "ApplicationSet", set, deps, s.common.span);
        b.anchor(&s.common.address, vec![addr]);
        b.finish_component(&s.common, start);
    }
}

pub(super) fn expand_outputs(b: &mut Builder) {
    for o in &b.model.outputs {
        let ev = b.scope.eval(&o.value);
        if ev.sensitive.is_some() && !o.sensitive {
            b.diags.push(
                Diagnostic::error(
                    "strata::sensitive-output",
                    o.value.span,
                    format!("[{}] shows a secret", o.common.address),
                )
                .label("this value contains a secret")
                .help("set sensitive = true on the output"),
            );
        }
        let value = if o.sensitive {
            json!(SENSITIVE)
        } else {
            ev.value
        };
        b.out.outputs.insert(
            o.common.name.clone(),
            DesiredOutput {
                value,
                sensitive: o.sensitive,
            },
        );
    }
}

/// Whether two API server URLs name the same server.
fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// An Ingress for `expose`, served by the IngressClass it names.
fn expose(b: &mut Builder, a: &AppDecl, e: &Expose, labels: &Value, svc: strata_engine::Address) {
    let name = a.common.name.as_str();
    if e.class == "traefik" {
        if let Some(k) = b.model.clusters.first() {
            if k.disable.iter().any(|d| d == "traefik") {
                b.diags.push(
                    Diagnostic::error(
                        "strata::ingress-class",
                        e.class_span.unwrap_or(e.span),
                        format!(
                            "[{}] is exposed through Traefik, which [{}] disables",
                            a.common.address, k.common.address
                        ),
                    )
                    .label("nothing would serve this Ingress")
                    .also(k.common.span, "\"traefik\" is in disable here")
                    .help("keep k3s's packaged Traefik (remove \"traefik\" from disable), or name the IngressClass of the controller you install with expose.class"),
                );
            }
        }
    }
    let mut spec = json!({
        "ingressClassName": e.class,
        "rules": [{
            "host": e.host,
            "http": {"paths": [{
                "path": e.path,
                "pathType": "Prefix",
                "backend": {"service": {"name": name, "port": {"name": "http"}}},
            }]},
        }],
    });
    if let Some(secret) = &e.tls {
        spec["tls"] = json!([{"hosts": [e.host], "secretName": secret}]);
    }
    let ingress = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(name, Some(&a.namespace), labels.clone()),
        "spec": spec,
    });
    b.object(&a.common, "Ingress", ingress, vec![svc], e.span);
}

/// One owner per namespace: an Argo CD destination on this cluster must not
/// be a namespace where Strata applies objects (an app's, a service's, a
/// chart's, a manifest's). Argo CD's own namespace is the exception: an
/// "app of apps" syncs Applications into it.
pub(super) fn check_owners(b: &mut Builder) {
    let argocd = argocd_namespace(b);
    let mut local = vec!["https://kubernetes.default.svc".to_string()];
    if let Some(k) = b.model.clusters.first() {
        local.extend(k.api_endpoint.clone());
        if let Some(n) = b
            .model
            .nodes
            .iter()
            .find(|n| n.role == crate::model::Role::Server)
        {
            local.push(format!("https://{}:6443", n.address));
        }
    }
    let is_local = |server: &str| local.iter().any(|l| same_server(l, server));
    // Namespace -> the first resource Strata applies into it.
    let mut owned: Vec<(String, String)> = Vec::new();
    for r in &b.out.resources {
        if r.rtype != strata_engine::ResourceType::K8sObject {
            continue;
        }
        let kind = r.attributes["kind"].as_str().unwrap_or_default();
        let ns = if kind == "HelmChart" {
            r.attributes["spec"]["targetNamespace"].as_str()
        } else {
            r.attributes["metadata"]["namespace"].as_str()
        };
        if let Some(ns) = ns {
            if !owned.iter().any(|(n, _)| n == ns) {
                owned.push((ns.to_string(), r.address.as_str().to_string()));
            }
        }
    }
    let mut destinations: Vec<(String, String, crate::diag::Span, String)> = Vec::new();
    for a in &b.model.applications {
        destinations.push((
            a.server.clone(),
            a.destination_namespace.clone(),
            a.destination_span,
            format!("[{}]", a.common.address),
        ));
    }
    for s in &b.model.application_sets {
        for e in &s.environments {
            destinations.push((
                e.server.clone(),
                e.namespace.clone(),
                e.span,
                format!("environment `{}` of [{}]", e.name, s.common.address),
            ));
        }
    }
    for (server, ns, span, who) in destinations {
        if !is_local(&server) || ns == argocd {
            continue;
        }
        let Some((_, first)) = owned.iter().find(|(n, _)| *n == ns) else {
            continue;
        };
        let component = first.split('/').next().unwrap_or_default().to_string();
        let origin = b
            .out
            .origins
            .get(&strata_engine::Address::new(first.as_str()))
            .copied();
        let mut d = Diagnostic::error(
            "strata::two-owners",
            span,
            format!("namespace `{ns}` would have two owners: {who} delivers into it with Argo CD, and Strata applies {first} there"),
        )
        .label("Argo CD's destination")
        .help(if component.starts_with("app.") {
            format!("an app is applied by Strata or delivered by Argo CD, never both: set delivery = \"gitops\" on [{component}] when Argo CD delivers it, or point the destination at another namespace or cluster")
        } else {
            "with prune and self-heal Argo CD and Strata would undo each other's changes: point the destination at a namespace of its own".to_string()
        });
        if let Some(o) = origin {
            d = d.also(o, format!("[{component}] is applied by Strata"));
        }
        b.diags.push(d);
    }
}
