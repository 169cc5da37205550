//! Decoding of the Kubernetes-level components: services, charts, apps,
//! manifests, Argo CD declarations and outputs.

use crate::decode::{name_error, Decoder};
use crate::diag::{did_you_mean, Diagnostic};
use crate::k8s;
use crate::model::*;
use crate::value::{TableReader, Val};

/// Preset settings: key, type, what it is.
#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Text,
    Int,
    Bool,
}

fn preset_settings(p: Preset) -> &'static [(&'static str, Ty)] {
    match p {
        Preset::Kafka => &[],
        Preset::Postgresql => &[
            ("database", Ty::Text),
            ("username", Ty::Text),
            ("password", Ty::Text),
            ("postgres_password", Ty::Text),
            ("replication_password", Ty::Text),
            ("read_replicas", Ty::Int),
        ],
        Preset::Minio => &[
            ("root_user", Ty::Text),
            ("root_password", Ty::Text),
            ("mode", Ty::Text),
        ],
        Preset::KubePrometheusStack => &[
            ("retention", Ty::Text),
            ("grafana_admin_user", Ty::Text),
            ("grafana_admin_password", Ty::Text),
            ("alertmanager", Ty::Bool),
        ],
        Preset::ArgoCd => &[("ha", Ty::Bool)],
    }
}

/// `[service.NAME]`.
pub fn service(d: &mut Decoder, r: &mut TableReader, c: &mut Common) -> Option<ServiceDecl> {
    // Without a known preset the table's settings cannot be checked: report
    // the preset only, not every other key as unknown.
    let Some((p, pspan)) = r.req_str(
        "preset",
        "name the preset, e.g. preset = \"postgresql\" (kafka, postgresql, minio, kube-prometheus-stack, argo-cd)",
        d.diags,
    ) else {
        r.skip_rest();
        return None;
    };
    let Some(preset) = Preset::ALL.iter().find(|(n, _)| *n == p).map(|x| x.1) else {
        let names = Preset::ALL.iter().map(|x| x.0);
        let mut diag = Diagnostic::error("strata::preset", pspan, format!("unknown preset `{p}`"));
        diag = match did_you_mean(&p, names.clone()) {
            Some(s) => diag.label(format!("did you mean `{s}`?")),
            None => diag.label("not a preset"),
        };
        d.diags.push(diag.help(format!(
            "presets: {}; for any other chart use [chart.NAME]",
            names.collect::<Vec<_>>().join(", ")
        )));
        r.skip_rest();
        return None;
    };
    let version = d.literal(r, "version").map(|v| v.0);
    let namespace = d.namespace(r, &c.name.clone());
    let replicas = d.int(r, "replicas");
    if let Some((n, span)) = replicas.filter(|n| n.0 < 1) {
        d.diags.push(Diagnostic::error(
            "strata::out-of-range",
            span,
            format!("replicas must be at least 1, not {n}"),
        ));
    }
    let storage = d.quantity(r, "storage");
    let resources = d.resources(r);
    let values = d.values(r, "values", c);
    let mut settings = Vec::new();
    for (key, ty) in preset_settings(preset) {
        let Some(node) = r.node(key) else { continue };
        let what = r.what.clone();
        let setting = match (ty, &node.val) {
            (Ty::Text, Val::Str(s)) => Some(Setting::Text(d.tpl_of(s, node.span, c))),
            (Ty::Int, _) => d.int_of(key, node, &what).map(|v| Setting::Int(v.0)),
            (Ty::Bool, Val::Bool(b)) => Some(Setting::Bool(*b)),
            (ty, other) => {
                let want = match ty {
                    Ty::Text => "a string",
                    Ty::Int => "an integer",
                    Ty::Bool => "a boolean",
                };
                d.diags.push(
                    Diagnostic::error(
                        "strata::wrong-type",
                        node.span,
                        format!(
                            "`{key}` in {what} must be {want}, not {}",
                            other.type_name()
                        ),
                    )
                    .label(format!("expected {want}")),
                );
                None
            }
        };
        settings.extend(setting.map(|s| (key.to_string(), s)));
    }
    if let Some((_, Setting::Text(t))) = settings.iter().find(|(k, _)| k == "mode") {
        if let Some(m) = t
            .as_literal()
            .filter(|m| m != "standalone" && m != "distributed")
        {
            d.diags.push(
                Diagnostic::error(
                    "strata::minio-mode",
                    t.span,
                    format!("unknown MinIO mode `{m}`"),
                )
                .label("expected \"standalone\" or \"distributed\""),
            );
        }
    }
    Some(ServiceDecl {
        common: c.clone(),
        preset,
        version,
        namespace,
        replicas: replicas.map(|v| v.0),
        storage,
        settings,
        resources,
        values,
    })
}

/// `[chart.NAME]`.
pub fn chart(d: &mut Decoder, r: &mut TableReader, c: &mut Common) -> Option<ChartDecl> {
    let repo = d.literal(r, "repo").map(|v| v.0);
    let chart = d.literal(r, "chart");
    if chart.is_none() && r.key_span("chart").is_none() {
        d.diags.push(
            Diagnostic::error("strata::missing-key", c.span, format!("[{}] needs `chart`", c.address))
                .help("name the chart, e.g. chart = \"ingress-nginx\" with repo = \"https://kubernetes.github.io/ingress-nginx\""),
        );
    }
    if let (None, Some((ch, span))) = (&repo, &chart) {
        if !ch.starts_with("oci://") {
            d.diags.push(
                Diagnostic::error(
                    "strata::missing-key",
                    *span,
                    format!("chart `{ch}` needs a `repo`"),
                )
                .label("no repository to fetch it from")
                .help("add repo = \"https://...\" or use an oci:// chart reference"),
            );
        }
    }
    let version = d.literal(r, "version").map(|v| v.0);
    let namespace = d.namespace(r, &c.name.clone());
    let values = d.values(r, "values", c);
    let provides = d.provides(r);
    Some(ChartDecl {
        common: c.clone(),
        repo,
        chart: chart?.0,
        version,
        namespace,
        values,
        provides,
    })
}

/// `[app.NAME]`.
pub fn app(d: &mut Decoder, r: &mut TableReader, c: &mut Common) -> Option<AppDecl> {
    // Without an image the app is still read to the end, so that its other
    // keys are checked (and not reported as unknown).
    let image = d.tpl(r, "image", c);
    if image.is_none() && r.key_span("image").is_none() {
        d.diags.push(
            Diagnostic::error(
                "strata::missing-key",
                c.span,
                format!("[{}] needs `image`", c.address),
            )
            .help("e.g. image = \"registry.example.com/api:${vars.image_tag}\""),
        );
    }
    let namespace = d.namespace(r, &c.name.clone());
    let (port, port_span) = d.int(r, "port").unwrap_or((8080, c.span));
    if !(1..=65535).contains(&port) {
        let span = port_span;
        d.diags.push(
            Diagnostic::error(
                "strata::invalid-port",
                span,
                format!("port {port} is out of range"),
            )
            .label("must be 1..65535"),
        );
    }
    let (health, health_span) = d
        .literal(r, "health")
        .unwrap_or(("/healthz".to_string(), c.span));
    if !health.starts_with('/') {
        let span = health_span;
        d.diags.push(
            Diagnostic::error(
                "strata::health",
                span,
                format!("health path `{health}` must start with '/'"),
            )
            .help("e.g. health = \"/health\""),
        );
    }
    let replicas = d.count(r, "replicas", 2, 0);
    let autoscaling = autoscaling(d, r);
    let disruption = disruption(d, r);
    let spread = match d.literal(r, "spread") {
        Some((s, span)) if !["required", "preferred", "none"].contains(&s.as_str()) => {
            d.diags.push(
                Diagnostic::error("strata::spread", span, format!("unknown spread `{s}`"))
                    .label("expected \"required\", \"preferred\" or \"none\"")
                    .help("\"required\" puts each replica on a different node (pod anti-affinity on kubernetes.io/hostname)"),
            );
            "required".to_string()
        }
        Some((s, _)) => s,
        None => "required".to_string(),
    };
    let env = r
        .str_map("env", d.diags)
        .into_iter()
        .map(|(k, _, v, span)| {
            let t = d.tpl_of(&v, span, c);
            (k, t)
        })
        .collect::<Vec<_>>();
    for (k, t) in &env {
        if let Some(sref) = t.refs().find(|r| r.parts[0] == "secret") {
            d.diags.push(
                Diagnostic::error(
                    "strata::secret-in-plain",
                    sref.span,
                    format!("env `{k}` uses a secret but would be stored in a ConfigMap"),
                )
                .label("secret in plain env")
                .help(format!(
                    "move `{k}` to secret_env so it lands in the app's Secret"
                )),
            );
        }
    }
    let secret_env = r
        .str_map("secret_env", d.diags)
        .into_iter()
        .map(|(k, _, v, span)| {
            let t = d.tpl_of(&v, span, c);
            (k, t)
        })
        .collect();
    let resources = d.resources(r);
    let monitoring = monitoring(d, r);
    let image_pull_policy = match d.literal(r, "image_pull_policy") {
        Some((p, span)) if !["Always", "IfNotPresent", "Never"].contains(&p.as_str()) => {
            d.diags.push(
                Diagnostic::error(
                    "strata::pull-policy",
                    span,
                    format!("unknown image pull policy `{p}`"),
                )
                .label("expected Always, IfNotPresent or Never"),
            );
            "IfNotPresent".into()
        }
        Some((p, _)) => p,
        None => "IfNotPresent".into(),
    };
    Some(AppDecl {
        common: c.clone(),
        image: image?,
        namespace,
        port,
        health,
        replicas,
        autoscaling,
        disruption,
        spread,
        env,
        secret_env,
        resources,
        monitoring,
        image_pull_policy,
    })
}

fn autoscaling(d: &mut Decoder, r: &mut TableReader) -> Option<(i64, i64, i64)> {
    let (t, span) = r.table("autoscaling", d.diags)?;
    let mut a = TableReader::new(t, format!("{} autoscaling", r.what), span);
    let min = d.count(&mut a, "min", 1, 1);
    let max = d.count(&mut a, "max", min.max(1), 1);
    let cpu = d.count(&mut a, "cpu", 80, 1);
    let max_span = a.node("max").map_or(span, |n| n.span);
    a.finish(d.diags);
    if max < min {
        d.diags.push(
            Diagnostic::error(
                "strata::autoscaling",
                max_span,
                format!("autoscaling max ({max}) is below min ({min})"),
            )
            .label("max < min")
            .help("set max to at least min"),
        );
    }
    Some((min, max, cpu))
}

fn disruption(d: &mut Decoder, r: &mut TableReader) -> Option<(&'static str, serde_json::Value)> {
    let (t, span) = r.table("disruption", d.diags)?;
    let mut a = TableReader::new(t, format!("{} disruption", r.what), span);
    let min = a.node("min_available").map(|n| n.to_json());
    let max = a.node("max_unavailable").map(|n| n.to_json());
    a.finish(d.diags);
    match (min, max) {
        (Some(v), None) => Some(("minAvailable", v)),
        (None, Some(v)) => Some(("maxUnavailable", v)),
        _ => {
            d.diags.push(
                Diagnostic::error(
                    "strata::disruption",
                    span,
                    "disruption needs exactly one of min_available or max_unavailable",
                )
                .label("set one of them")
                .help("e.g. disruption = { min_available = 1 }"),
            );
            None
        }
    }
}

fn monitoring(d: &mut Decoder, r: &mut TableReader) -> Option<Monitoring> {
    let (t, span) = r.table("monitoring", d.diags)?;
    let mut m = TableReader::new(t, format!("{} monitoring", r.what), span);
    let path = d.literal(&mut m, "path").map_or("/metrics".into(), |p| p.0);
    let interval = d.literal(&mut m, "interval").map_or("15s".into(), |p| p.0);
    let dashboard = d.literal(&mut m, "dashboard");
    let prometheus = m.str("prometheus", d.diags);
    m.finish(d.diags);
    Some(Monitoring {
        span,
        path,
        interval,
        dashboard,
        prometheus,
    })
}

/// `[manifest.NAME]`.
pub fn manifest(d: &mut Decoder, r: &mut TableReader, c: &mut Common) -> Option<ManifestDecl> {
    let files = r.str_list("files", d.diags).unwrap_or_default();
    if files.is_empty() {
        d.diags.push(
            Diagnostic::error(
                "strata::missing-key",
                c.span,
                format!("[{}] needs a non-empty `files` list", c.address),
            )
            .help("e.g. files = [\"manifests/*.yaml\"] (relative to this file)"),
        );
    }
    let namespace = r.key_span("namespace").map(|_| d.namespace(r, "default"));
    Some(ManifestDecl {
        common: c.clone(),
        files,
        namespace,
    })
}

fn auto_sync(d: &mut Decoder, r: &mut TableReader) -> Option<AutoSync> {
    let (t, span) = r.table("auto_sync", d.diags)?;
    let mut a = TableReader::new(t, format!("{} auto_sync", r.what), span);
    let prune = a.bool("prune", d.diags).is_some_and(|b| b.0);
    let self_heal = a.bool("self_heal", d.diags).is_some_and(|b| b.0);
    a.finish(d.diags);
    Some(AutoSync { prune, self_heal })
}

fn git_source(
    d: &mut Decoder,
    r: &mut TableReader,
    c: &Common,
) -> (String, String, String, String) {
    let repo = d.literal(r, "repo");
    if repo.is_none() && r.key_span("repo").is_none() {
        d.diags.push(
            Diagnostic::error("strata::missing-key", c.span, format!("[{}] needs `repo`", c.address))
                .help("the Git repository Argo CD syncs from, e.g. repo = \"https://gitlab.com/group/project.git\""),
        );
    }
    let path = d.literal(r, "path").map_or(".".into(), |p| p.0);
    let revision = d.literal(r, "revision").map_or("HEAD".into(), |p| p.0);
    let project = d.literal(r, "project").map_or("default".into(), |p| p.0);
    (
        repo.map(|r| r.0).unwrap_or_default(),
        path,
        revision,
        project,
    )
}

/// `[application.NAME]`.
pub fn application(
    d: &mut Decoder,
    r: &mut TableReader,
    c: &mut Common,
) -> Option<ApplicationDecl> {
    let (repo, path, revision, project) = git_source(d, r, c);
    let server = d
        .literal(r, "server")
        .map_or("https://kubernetes.default.svc".into(), |s| s.0);
    let destination_namespace = match d.literal(r, "destination_namespace") {
        Some((ns, span)) => {
            if let Err(why) = k8s::check_label(&ns) {
                d.diags.push(name_error(span, &ns, &why));
            }
            ns
        }
        None => c.name.clone(),
    };
    let auto_sync = auto_sync(d, r);
    let create_namespace = r.bool("create_namespace", d.diags).is_some_and(|b| b.0);
    Some(ApplicationDecl {
        common: c.clone(),
        repo,
        path,
        revision,
        project,
        server,
        destination_namespace,
        auto_sync,
        create_namespace,
    })
}

/// `[application_set.NAME]`.
pub fn application_set(d: &mut Decoder, r: &mut TableReader, c: &mut Common) -> Option<AppSetDecl> {
    let (repo, path, revision, project) = git_source(d, r, c);
    let namespace = d.namespace(r, &c.name.clone());
    let value_files = r
        .str_list("value_files", d.diags)
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.0)
        .collect();
    let auto_sync = auto_sync(d, r);
    let mut environments = Vec::new();
    match r.node("environments") {
        Some(n) => match &n.val {
            Val::Array(items) if !items.is_empty() => {
                for item in items {
                    let Val::Table(t) = &item.val else {
                        d.diags.push(
                            Diagnostic::error(
                                "strata::wrong-type",
                                item.span,
                                "each environment must be a table",
                            )
                            .label("expected { name = \"...\", server = \"...\" }"),
                        );
                        continue;
                    };
                    let mut er = TableReader::new(t, "an environment", item.span);
                    let name = er
                        .req_str("name", "e.g. name = \"production\"", d.diags)
                        .map(|v| v.0);
                    let server = d
                        .literal(&mut er, "server")
                        .map_or("https://kubernetes.default.svc".into(), |s| s.0);
                    er.finish(d.diags);
                    if let Some(name) = name {
                        environments.push(Environment { name, server });
                    }
                }
            }
            _ => d.diags.push(
                Diagnostic::error(
                    "strata::wrong-type",
                    n.span,
                    "`environments` must be a non-empty array of tables",
                )
                .help("e.g. environments = [{ name = \"production\" }, { name = \"staging\" }]"),
            ),
        },
        None => d.diags.push(
            Diagnostic::error(
                "strata::missing-key",
                c.span,
                format!("[{}] needs `environments`", c.address),
            )
            .help("e.g. environments = [{ name = \"production\" }, { name = \"staging\" }]"),
        ),
    }
    Some(AppSetDecl {
        common: c.clone(),
        repo,
        path,
        revision,
        project,
        namespace,
        environments,
        value_files,
        auto_sync,
    })
}

/// `[output.NAME]`.
pub fn output(d: &mut Decoder, r: &mut TableReader, c: &mut Common) -> Option<OutputDecl> {
    let value = d.tpl(r, "value", c);
    if value.is_none() && r.key_span("value").is_none() {
        d.diags.push(
            Diagnostic::error(
                "strata::missing-key",
                c.span,
                format!("[{}] needs `value`", c.address),
            )
            .help("e.g. value = \"${k3s.main.api_endpoint}\""),
        );
    }
    let sensitive = r.bool("sensitive", d.diags).is_some_and(|b| b.0);
    let description = r.str("description", d.diags).map(|v| v.0);
    Some(OutputDecl {
        common: c.clone(),
        value: value?,
        sensitive,
        description,
    })
}
