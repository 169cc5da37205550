//! API discovery: `/version`, legacy `/api` and `/apis` documents and aggregated discovery v2.

use serde_json::{json, Value};

use crate::resources::{Registry, ResourceType};

/// Content type of aggregated discovery v2.
pub const AGGREGATED_V2: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
/// Content type of aggregated discovery v2beta1.
pub const AGGREGATED_V2BETA1: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const SUB_VERBS: &[&str] = &["get", "patch", "update"];
const REVIEW_VERBS: &[&str] = &["create"];

fn verbs(t: &ResourceType) -> &'static [&'static str] {
    if t.is_review() {
        REVIEW_VERBS
    } else {
        VERBS
    }
}

/// Which aggregated discovery version an `Accept` header asks for, if any.
pub fn wants_aggregated(accept: &str) -> Option<&'static str> {
    for part in accept.split(',') {
        let p: String = part.chars().filter(|c| !c.is_whitespace()).collect();
        if p.contains("as=APIGroupDiscoveryList") && p.contains("g=apidiscovery.k8s.io") {
            if p.contains("v=v2beta1") {
                return Some(AGGREGATED_V2BETA1);
            }
            if p.contains("v=v2") {
                return Some(AGGREGATED_V2);
            }
        }
    }
    None
}

/// The `/version` document.
pub fn version((major, minor, patch): (u32, u32, u32)) -> Value {
    json!({
        "major": major.to_string(),
        "minor": minor.to_string(),
        "emulationMajor": major.to_string(),
        "emulationMinor": minor.to_string(),
        // Without --emulated-version the server stays compatible with the previous minor.
        "minCompatibilityMajor": major.to_string(),
        "minCompatibilityMinor": minor.saturating_sub(1).to_string(),
        "gitVersion": format!("v{major}.{minor}.{patch}+k3s1"),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// Legacy `/api`.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": server_address }],
    })
}

fn group_entry(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({ "groupVersion": format!("{group}/{v}"), "version": v }))
        .collect();
    json!({ "name": group, "versions": vs, "preferredVersion": vs.first().cloned().unwrap_or(json!({})) })
}

/// Legacy `/apis`.
pub fn api_group_list(reg: &Registry) -> Value {
    let groups: Vec<Value> = reg
        .groups()
        .iter()
        .map(|(g, vs)| group_entry(g, vs))
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// Legacy `/apis/GROUP`, or `None` for an unknown group.
pub fn api_group(reg: &Registry, group: &str) -> Option<Value> {
    let (g, vs) = reg.groups().into_iter().find(|(g, _)| g == group)?;
    let mut e = group_entry(&g, &vs);
    e["kind"] = json!("APIGroup");
    e["apiVersion"] = json!("v1");
    Some(e)
}

fn scale_kind() -> Value {
    json!({ "group": "autoscaling", "version": "v1", "kind": "Scale" })
}

/// Legacy `/api/v1` or `/apis/GROUP/VERSION`, or `None` when nothing is served there.
pub fn resource_list(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = reg.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut resources = vec![];
    for t in &types {
        let mut r = json!({
            "name": t.plural,
            "singularName": t.singular,
            "namespaced": t.namespaced,
            "kind": t.kind,
            "verbs": verbs(t),
        });
        if !t.short_names.is_empty() {
            r["shortNames"] = json!(t.short_names);
        }
        if !t.categories.is_empty() {
            r["categories"] = json!(t.categories);
        }
        resources.push(r);
        if t.status {
            resources.push(json!({ "name": format!("{}/status", t.plural), "singularName": "", "namespaced": t.namespaced, "kind": t.kind, "verbs": SUB_VERBS }));
        }
        if t.scale.is_some() {
            resources.push(json!({ "name": format!("{}/scale", t.plural), "singularName": "", "namespaced": t.namespaced, "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": SUB_VERBS }));
        }
        if crate::token::serves(t) {
            resources.push(json!({ "name": format!("{}/token", t.plural), "singularName": "", "namespaced": t.namespaced, "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest", "verbs": REVIEW_VERBS }));
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources }),
    )
}

fn aggregated_resource(t: &ResourceType) -> Value {
    let mut r = json!({
        "resource": t.plural,
        "responseKind": { "group": t.group, "version": t.version, "kind": t.kind },
        "scope": if t.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": t.singular,
        "verbs": verbs(t),
    });
    if !t.short_names.is_empty() {
        r["shortNames"] = json!(t.short_names);
    }
    if !t.categories.is_empty() {
        r["categories"] = json!(t.categories);
    }
    let mut subs = vec![];
    if t.status {
        subs.push(json!({ "subresource": "status", "responseKind": { "group": t.group, "version": t.version, "kind": t.kind }, "verbs": SUB_VERBS }));
    }
    if t.scale.is_some() {
        subs.push(
            json!({ "subresource": "scale", "responseKind": scale_kind(), "verbs": SUB_VERBS }),
        );
    }
    if crate::token::serves(t) {
        subs.push(json!({ "subresource": "token", "responseKind": { "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest" }, "verbs": REVIEW_VERBS }));
    }
    if !subs.is_empty() {
        r["subresources"] = json!(subs);
    }
    r
}

/// Aggregated discovery for `/api` (`core == true`) or `/apis`.
pub fn aggregated(reg: &Registry, core: bool, api_version: &str) -> Value {
    let mut items = vec![];
    if core {
        let resources: Vec<Value> = reg
            .in_group_version("", "v1")
            .iter()
            .map(|t| aggregated_resource(t))
            .collect();
        items.push(json!({
            "metadata": { "creationTimestamp": null },
            "versions": [{ "version": "v1", "resources": resources, "freshness": "Current" }],
        }));
    } else {
        for (g, versions) in reg.groups() {
            let vs: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = reg
                        .in_group_version(&g, v)
                        .iter()
                        .map(|t| aggregated_resource(t))
                        .collect();
                    json!({ "version": v, "resources": resources, "freshness": "Current" })
                })
                .collect();
            items.push(
                json!({ "metadata": { "name": g, "creationTimestamp": null }, "versions": vs }),
            );
        }
    }
    json!({ "kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items })
}
