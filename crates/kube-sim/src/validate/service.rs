//! Service validation: a DNS-1035 name, type and affinity enums, ports (required, in range,
//! named when there are several, names unique, protocols known) and node ports in range.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{q, text, Errs};

const DNS1035: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

fn dns1035_ok(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// `v1` Service.
pub fn service(o: &Map<String, Value>, errs: &mut Errs) {
    let name = o
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if !name.is_empty() && !dns1035_ok(name) {
        errs.invalid("metadata.name", q(name), DNS1035);
    }
    let empty = Map::new();
    let s = o.get("spec").and_then(Value::as_object).unwrap_or(&empty);
    let ty = text(s, "type");
    if !matches!(
        ty,
        "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"
    ) {
        errs.not_supported(
            "spec.type",
            ty,
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        );
    }
    let affinity = text(s, "sessionAffinity");
    if !matches!(affinity, "None" | "ClientIP") {
        errs.not_supported("spec.sessionAffinity", affinity, &["ClientIP", "None"]);
    }
    if ty == "ExternalName" && text(s, "externalName").is_empty() {
        errs.required("spec.externalName");
    }
    let ports: Vec<&Value> = s
        .get("ports")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let headless = text(s, "clusterIP") == "None";
    if ports.is_empty() && !headless && ty != "ExternalName" {
        errs.required("spec.ports");
    }
    let require_name = ports.len() > 1;
    let mut names = HashSet::new();
    for (i, p) in ports.iter().enumerate() {
        let at = format!("spec.ports[{i}]");
        let pname = p.get("name").and_then(Value::as_str).unwrap_or("");
        if require_name && pname.is_empty() {
            errs.required(format!("{at}.name"));
        } else if !pname.is_empty() && !names.insert(pname.to_string()) {
            errs.duplicate(format!("{at}.name"), q(pname));
        }
        let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
        if !(1..=65535).contains(&port) {
            errs.invalid(
                format!("{at}.port"),
                port.to_string(),
                "must be between 1 and 65535, inclusive",
            );
        }
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("");
        if !matches!(proto, "TCP" | "UDP" | "SCTP") {
            errs.not_supported(format!("{at}.protocol"), proto, &["SCTP", "TCP", "UDP"]);
        }
        if let Some(np) = p.get("nodePort").and_then(Value::as_i64) {
            if np != 0 && ty != "NodePort" && ty != "LoadBalancer" {
                errs.forbidden(
                    format!("{at}.nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                );
            }
        }
    }
}
