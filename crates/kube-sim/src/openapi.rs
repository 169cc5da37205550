//! OpenAPI v3 documents: an index of group-versions and one document per group-version whose
//! schemas carry `x-kubernetes-group-version-kind` (permissive for built-ins, the CRD schema
//! for custom resources).

use serde_json::{json, Value};

use crate::resources::{Registry, ResourceType, SchemaSource};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: the index of documents.
pub fn index(reg: &Registry) -> Value {
    let mut paths = serde_json::Map::new();
    let mut gvs: Vec<(String, String)> = vec![];
    for t in reg.all() {
        let gv = (t.group.clone(), t.version.clone());
        if !gvs.contains(&gv) {
            gvs.push(gv);
        }
    }
    for (g, v) in gvs {
        let hash = hash_of(reg, &g, &v);
        let p = gv_path(&g, &v);
        paths.insert(
            p.clone(),
            json!({ "serverRelativeURL": format!("/openapi/v3/{p}?hash={hash}") }),
        );
    }
    json!({ "paths": paths })
}

fn hash_of(reg: &Registry, group: &str, version: &str) -> String {
    let custom = reg
        .in_group_version(group, version)
        .iter()
        .any(|t| t.crd.is_some());
    if custom {
        format!("{:016X}", reg.revision)
    } else {
        "0000000000000001".into()
    }
}

fn schema_name(t: &ResourceType) -> String {
    let group: Vec<&str> = if t.group.is_empty() {
        vec!["core"]
    } else {
        t.group.split('.').collect()
    };
    match t.schema {
        SchemaSource::Builtin => format!("io.k8s.api.{}.{}.{}", group[0], t.version, t.kind),
        SchemaSource::Crd(_) => {
            let rev: Vec<&str> = group.iter().rev().copied().collect();
            format!("{}.{}.{}", rev.join("."), t.version, t.kind)
        }
    }
}

fn permissive() -> Value {
    json!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true })
}

fn schema_of(t: &ResourceType) -> Value {
    let mut s = match &t.schema {
        SchemaSource::Builtin => permissive(),
        SchemaSource::Crd(s) => (*s.schema).clone(),
    };
    if !s.is_object() {
        s = permissive();
    }
    if s.get("type").is_none() {
        s["type"] = json!("object");
    }
    let props = s
        .as_object_mut()
        .expect("object")
        .entry("properties")
        .or_insert_with(|| json!({}));
    if let Some(p) = props.as_object_mut() {
        p.insert("apiVersion".into(), json!({ "type": "string" }));
        p.insert("kind".into(), json!({ "type": "string" }));
        p.insert("metadata".into(), permissive());
    }
    s["x-kubernetes-group-version-kind"] =
        json!([{ "group": t.group, "kind": t.kind, "version": t.version }]);
    s
}

fn object_path(t: &ResourceType) -> String {
    let base = if t.group.is_empty() {
        format!("/api/{}", t.version)
    } else {
        format!("/apis/{}/{}", t.group, t.version)
    };
    if t.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}/{{name}}", t.plural)
    } else {
        format!("{base}/{}/{{name}}", t.plural)
    }
}

/// The PATCH operation of an object path; it declares `fieldValidation`, so kubectl leaves
/// validation to the server.
fn patch_operation(t: &ResourceType) -> Value {
    let query = |name: &str| json!({ "name": name, "in": "query", "schema": { "type": "string", "uniqueItems": true } });
    let schema_ref = json!({ "$ref": format!("#/components/schemas/{}", schema_name(t)) });
    json!({
        "patch": {
            "operationId": format!("patch{}", t.kind),
            "parameters": [query("dryRun"), query("fieldManager"), query("fieldValidation"), query("force")],
            "responses": {
                "200": { "description": "OK", "content": { "application/json": { "schema": schema_ref } } },
            },
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": { "group": t.group, "version": t.version, "kind": t.kind },
        },
    })
}

/// `/openapi/v3/api/v1` or `/openapi/v3/apis/GROUP/VERSION`, or `None` when nothing is served.
pub fn document(
    reg: &Registry,
    group: &str,
    version: &str,
    (major, minor, patch): (u32, u32, u32),
) -> Option<Value> {
    let types = reg.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut schemas = serde_json::Map::new();
    let mut paths = serde_json::Map::new();
    for t in &types {
        schemas.insert(schema_name(t), schema_of(t));
        paths.insert(object_path(t), patch_operation(t));
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": format!("v{major}.{minor}.{patch}+k3s1") },
        "paths": paths,
        "components": { "schemas": schemas },
    }))
}
