//! Decoding of the Kubernetes-level components: services, charts, apps,
//! manifests, Argo CD declarations and outputs.

use crate::decode::Decoder;
use crate::diag::Diagnostic;
use crate::fields::{Fields, V};
use crate::load::Item;
use crate::model::*;
use crate::schema::{self, DefaultValue, Key, Type};
use serde_json::Value as J;

/// `[service.NAME]`: its preset decides which keys it takes.
pub fn service(d: &mut Decoder, item: &Item, what: &str, c: &mut Common) -> Option<ServiceDecl> {
    let section = schema::section("service").expect("[service] has a key table");
    let preset_key: &'static [Key] = &section.keys[..1];
    // Without a known preset the table's settings cannot be checked: report
    // the preset only, not every other key as unknown.
    let preset_only = crate::value::Table {
        entries: item
            .table
            .entries
            .iter()
            .filter(|e| e.key == "preset")
            .cloned()
            .collect(),
    };
    let pf = d.fields(&preset_only, what, item.name_span, &[preset_key], c);
    let (name, _) = pf.text("preset")?;
    let preset = Preset::ALL.iter().find(|(n, _)| *n == name)?.1;
    let ps = schema::preset(preset);
    let f = d.fields(
        &item.table,
        what,
        item.name_span,
        &[section.keys, ps.keys, schema::COMMON_KEYS],
        c,
    );
    d.common(&f, c);
    let mut settings = Vec::new();
    let mut setting_spans = Vec::new();
    for key in ps.keys {
        match f.value(key.name) {
            Some(V::Text(t)) => settings.push((key.name.to_string(), Setting::Text(t.clone()))),
            Some(V::Int(i)) => settings.push((key.name.to_string(), Setting::Int(*i))),
            Some(V::Bool(b)) => settings.push((key.name.to_string(), Setting::Bool(*b))),
            Some(_) => {}
            None if f.has(key.name) => {}
            None => match (key.ty, key.default) {
                (Type::Int { .. }, DefaultValue::Int(i)) => {
                    settings.push((key.name.to_string(), Setting::Int(i)))
                }
                (Type::Bool, DefaultValue::Bool(b)) => {
                    settings.push((key.name.to_string(), Setting::Bool(b)))
                }
                _ => {}
            },
        }
        if let Some(span) = f.span_of(key.name) {
            setting_spans.push((key.name.to_string(), span));
        }
    }
    let resources = resources(d, &f);
    Some(ServiceDecl {
        common: c.clone(),
        preset,
        version: f.text("version").map(|v| v.0),
        namespace: f.text("namespace").map_or(c.name.clone(), |n| n.0),
        replicas: f.int("replicas").map(|r| r.0).or(ps.replicas),
        replicas_span: f.int("replicas").map(|r| r.1),
        storage: f.text("storage").map(|s| s.0),
        settings,
        setting_spans,
        resources,
        values: f.json("values"),
    })
}

/// `[chart.NAME]`.
pub fn chart(d: &mut Decoder, f: &Fields, c: &Common) -> Option<ChartDecl> {
    let repo = f.text("repo").map(|v| v.0);
    let chart = f.text("chart");
    if let (None, false, Some((ch, span))) = (&repo, f.has("repo"), &chart) {
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
    Some(ChartDecl {
        common: c.clone(),
        repo,
        chart: chart?.0,
        version: f.text("version").map(|v| v.0),
        namespace: f.text("namespace").map_or(c.name.clone(), |n| n.0),
        values: f.json("values"),
        provides: f.texts("provides"),
    })
}

/// `[app.NAME]`.
pub fn app(d: &mut Decoder, f: &Fields, c: &Common) -> Option<AppDecl> {
    let env = env_vars(f, "env");
    let secret_env = env_vars(f, "secret_env");
    for s in &secret_env {
        if let Some(p) = env.iter().find(|e| e.name == s.name) {
            d.diags.push(
                Diagnostic::error(
                    "strata::duplicate-env",
                    s.name_span,
                    format!("[{}] sets `{}` in both env and secret_env", c.address, s.name),
                )
                .label("set again here")
                .also(p.name_span, "first set in env")
                .help("a variable has one value: keep it in env, or in secret_env when it holds a secret"),
            );
        }
    }
    let monitoring = f.table("monitoring").map(|m| Monitoring {
        span: m.span,
        path: m.text_or_default("path"),
        interval: m.text_or_default("interval"),
        dashboard: m.text("dashboard"),
        prometheus: m.text("prometheus"),
    });
    Some(AppDecl {
        common: c.clone(),
        image: f.tpl("image")?,
        namespace: f.text("namespace").map_or(c.name.clone(), |n| n.0),
        port: f.int_or_default("port"),
        health: f.text_or_default("health"),
        replicas: f.int_or_default("replicas"),
        replicas_span: f.int("replicas").map(|r| r.1),
        autoscaling: autoscaling(d, f),
        disruption: disruption(d, f),
        spread: f.text_or_default("spread"),
        spread_span: f.text("spread").map(|s| s.1),
        env,
        secret_env,
        resources: resources(d, f),
        monitoring,
        image_pull_policy: f.text_or_default("image_pull_policy"),
        expose: f.table("expose").and_then(|e| {
            Some(Expose {
                host: e.text("host")?.0,
                path: e.text_or_default("path"),
                tls: e.text("tls").map(|t| t.0),
                class: e.text_or_default("class"),
                class_span: e.text("class").map(|c| c.1),
                span: e.span,
            })
        }),
        delivery: match f.text("delivery").map(|d| d.0).as_deref() {
            Some("gitops") => Delivery::Gitops,
            _ => Delivery::Strata,
        },
        delivery_span: f.span_of("delivery"),
    })
}

fn env_vars(f: &Fields, key: &str) -> Vec<EnvVar> {
    f.map(key)
        .iter()
        .filter_map(|e| match &e.value {
            V::Text(t) => Some(EnvVar {
                name: e.key.clone(),
                name_span: e.key_span,
                value: t.clone(),
            }),
            _ => None,
        })
        .collect()
}

fn autoscaling(d: &mut Decoder, f: &Fields) -> Option<Autoscaling> {
    let a = f.table("autoscaling")?;
    let min = a.int_or_default("min");
    let max = a.int("max").map_or(min, |m| m.0);
    let max_span = a.int("max").map(|m| m.1);
    if max < min {
        d.diags.push(
            Diagnostic::error(
                "strata::autoscaling",
                max_span.unwrap_or(a.span),
                format!("autoscaling max ({max}) is below min ({min})"),
            )
            .label("max < min")
            .help("set max to at least min"),
        );
    }
    Some(Autoscaling {
        min,
        max,
        cpu: a.int_or_default("cpu"),
        span: a.span,
        max_span,
    })
}

fn disruption(d: &mut Decoder, f: &Fields) -> Option<Disruption> {
    let t = f.table("disruption")?;
    let min = t.json("min_available").zip(t.span_of("min_available"));
    let max = t.json("max_unavailable").zip(t.span_of("max_unavailable"));
    match (min, max) {
        (Some((value, span)), None) => Some(Disruption {
            field: "minAvailable",
            value,
            span,
        }),
        (None, Some((value, span))) => Some(Disruption {
            field: "maxUnavailable",
            value,
            span,
        }),
        _ if t.has("min_available") != t.has("max_unavailable") => None,
        _ => {
            d.diags.push(
                Diagnostic::error(
                    "strata::disruption",
                    t.span,
                    "disruption needs exactly one of min_available or max_unavailable",
                )
                .label("set one of them")
                .help("e.g. disruption = { min_available = 1 }"),
            );
            None
        }
    }
}

/// Container resources as JSON; a request above its limit is an error, as
/// the API server would say.
fn resources(d: &mut Decoder, f: &Fields) -> Option<J> {
    let r = f.table("resources")?;
    if let (Some(req), Some(lim)) = (r.table("requests"), r.table("limits")) {
        for q in ["cpu", "memory", "ephemeral-storage"] {
            let (Some((rv, rspan)), Some((lv, lspan))) = (req.text(q), lim.text(q)) else {
                continue;
            };
            let (Some(a), Some(b)) = (
                crate::k8s::quantity_value(&rv),
                crate::k8s::quantity_value(&lv),
            ) else {
                continue;
            };
            if a > b {
                d.diags.push(
                    Diagnostic::error(
                        "strata::requests-above-limits",
                        rspan,
                        format!("the {q} request {rv} is above its limit {lv}"),
                    )
                    .label("more than the limit")
                    .also(lspan, "the limit")
                    .help("a container cannot reserve more than it may use: lower the request or raise the limit"),
                );
            }
        }
    }
    Some(f.value("resources")?.to_json())
}

/// `[manifest.NAME]`.
pub fn manifest(f: &Fields, c: &Common) -> Option<ManifestDecl> {
    Some(ManifestDecl {
        common: c.clone(),
        files: f.texts("files"),
        namespace: f.text("namespace").map(|n| n.0),
    })
}

fn auto_sync(f: &Fields) -> Option<AutoSync> {
    let a = f.table("auto_sync")?;
    Some(AutoSync {
        prune: a.bool_or_default("prune"),
        self_heal: a.bool_or_default("self_heal"),
    })
}

/// `[application.NAME]`.
pub fn application(f: &Fields, c: &Common) -> Option<ApplicationDecl> {
    Some(ApplicationDecl {
        common: c.clone(),
        repo: f.text("repo")?.0,
        path: f.text_or_default("path"),
        revision: f.text_or_default("revision"),
        project: f.text_or_default("project"),
        server: f.text_or_default("server"),
        destination_namespace: f
            .text("destination_namespace")
            .map_or(c.name.clone(), |n| n.0),
        destination_span: f.span_of("destination_namespace").unwrap_or(c.span),
        auto_sync: auto_sync(f),
        create_namespace: f.bool_or_default("create_namespace"),
    })
}

/// `[application_set.NAME]`.
pub fn application_set(f: &Fields, c: &Common) -> Option<AppSetDecl> {
    let namespace = f.text("namespace").map_or(c.name.clone(), |n| n.0);
    let environments = f
        .tables("environments")
        .into_iter()
        .filter_map(|e| {
            Some(Environment {
                name: e.text("name")?.0,
                server: e.text_or_default("server"),
                namespace: e.text("namespace").map_or(namespace.clone(), |n| n.0),
                span: e.span,
            })
        })
        .collect();
    Some(AppSetDecl {
        common: c.clone(),
        repo: f.text("repo")?.0,
        path: f.text_or_default("path"),
        revision: f.text_or_default("revision"),
        project: f.text_or_default("project"),
        namespace,
        environments,
        value_files: f.texts("value_files").into_iter().map(|v| v.0).collect(),
        auto_sync: auto_sync(f),
    })
}

/// `[output.NAME]`.
pub fn output(f: &Fields, c: &Common) -> Option<OutputDecl> {
    Some(OutputDecl {
        common: c.clone(),
        value: f.tpl("value")?,
        sensitive: f.bool_or_default("sensitive"),
        description: f.text("description").map(|v| v.0),
    })
}
