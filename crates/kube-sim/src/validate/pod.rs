//! Pod spec validation: containers (required, named uniquely with DNS-1123 labels, with an
//! image), enums (restart, DNS and pull policies, port protocols), port numbers, volumes
//! named uniquely and mounts that name one.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{q, text, Errs};

/// Which restart policies the owning kind allows.
#[derive(Clone, Copy)]
pub enum Restart {
    /// Pods: any of the three.
    Any,
    /// Deployments, ReplicaSets, StatefulSets, DaemonSets.
    Always,
    /// Jobs.
    OnFailureOrNever,
}

/// Validates a pod template's metadata and spec at `path` (e.g. `spec.template`).
pub fn template(t: Option<&Value>, path: &str, restart: Restart, errs: &mut Errs) {
    let Some(t) = t.and_then(Value::as_object) else {
        return;
    };
    if let Some(m) = t.get("metadata").and_then(Value::as_object) {
        super::meta::object_meta(m, &format!("{path}.metadata"), errs);
    }
    let empty = Map::new();
    let spec = t.get("spec").and_then(Value::as_object).unwrap_or(&empty);
    spec_at(spec, &format!("{path}.spec"), restart, errs);
}

/// Validates a pod spec at `path`.
pub fn spec(s: &Map<String, Value>, path: &str, restart: Restart, errs: &mut Errs) {
    spec_at(s, path, restart, errs);
}

fn spec_at(s: &Map<String, Value>, path: &str, restart: Restart, errs: &mut Errs) {
    let volumes = volumes(s, path, errs);
    let containers = s.get("containers").and_then(Value::as_array);
    if containers.is_none_or(Vec::is_empty) {
        errs.required(format!("{path}.containers"));
    }
    let mut names = HashSet::new();
    for key in ["initContainers", "containers"] {
        for (i, c) in s
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(c) = c.as_object() {
                container(c, &format!("{path}.{key}[{i}]"), &volumes, &mut names, errs);
            }
        }
    }
    let policy = text(s, "restartPolicy");
    match restart {
        Restart::Any => match policy {
            "Always" | "OnFailure" | "Never" => {}
            "" => errs.required(format!("{path}.restartPolicy")),
            other => errs.not_supported(
                format!("{path}.restartPolicy"),
                other,
                &["Always", "OnFailure", "Never"],
            ),
        },
        Restart::Always => {
            if policy != "Always" {
                errs.not_supported(format!("{path}.restartPolicy"), policy, &["Always"]);
            }
        }
        Restart::OnFailureOrNever => {
            if !matches!(policy, "OnFailure" | "Never") {
                errs.not_supported(
                    format!("{path}.restartPolicy"),
                    policy,
                    &["OnFailure", "Never"],
                );
            }
        }
    }
    let dns = text(s, "dnsPolicy");
    if !matches!(
        dns,
        "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None" | ""
    ) {
        errs.not_supported(
            format!("{path}.dnsPolicy"),
            dns,
            &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
        );
    }
}

fn volumes(s: &Map<String, Value>, path: &str, errs: &mut Errs) -> HashSet<String> {
    let mut seen = HashSet::new();
    for (i, v) in s
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = v.get("name").and_then(Value::as_str).unwrap_or("");
        let at = format!("{path}.volumes[{i}].name");
        if name.is_empty() {
            errs.required(at);
        } else if let Some(msg) = crate::meta::check_label(name) {
            errs.push_body(at, msg);
        } else if !seen.insert(name.to_string()) {
            errs.duplicate(at, q(name));
        }
    }
    seen
}

fn container(
    c: &Map<String, Value>,
    path: &str,
    volumes: &HashSet<String>,
    names: &mut HashSet<String>,
    errs: &mut Errs,
) {
    let name = text(c, "name");
    if name.is_empty() {
        errs.required(format!("{path}.name"));
    } else if let Some(msg) = crate::meta::check_label(name) {
        errs.push_body(format!("{path}.name"), msg);
    } else if !names.insert(name.to_string()) {
        errs.duplicate(format!("{path}.name"), q(name));
    }
    if text(c, "image").trim().is_empty() {
        errs.required(format!("{path}.image"));
    }
    let pull = text(c, "imagePullPolicy");
    match pull {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => errs.required(format!("{path}.imagePullPolicy")),
        other => errs.not_supported(
            format!("{path}.imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        ),
    }
    let mut port_names = HashSet::new();
    for (i, p) in c
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("{path}.ports[{i}]");
        match p.get("containerPort").and_then(Value::as_i64) {
            None | Some(0) => errs.required(format!("{at}.containerPort")),
            Some(n) if !(1..=65535).contains(&n) => errs.invalid(
                format!("{at}.containerPort"),
                n.to_string(),
                "must be between 1 and 65535, inclusive",
            ),
            _ => {}
        }
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("");
        if !matches!(proto, "TCP" | "UDP" | "SCTP") {
            errs.not_supported(format!("{at}.protocol"), proto, &["SCTP", "TCP", "UDP"]);
        }
        if let Some(n) = p.get("name").and_then(Value::as_str) {
            if !n.is_empty() && !port_names.insert(n.to_string()) {
                errs.duplicate(format!("{at}.name"), q(n));
            }
        }
    }
    for (i, m) in c
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("{path}.volumeMounts[{i}]");
        let name = m.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            errs.required(format!("{at}.name"));
        } else if !volumes.contains(name) {
            errs.not_found(format!("{at}.name"), q(name));
        }
        if m.get("mountPath")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            errs.required(format!("{at}.mountPath"));
        }
    }
}
