//! OpenAPI v3 documents: an index of group-versions and one document per group-version whose
//! schemas carry `x-kubernetes-group-version-kind`: the real definitions of built-in kinds
//! (generated once per group-version and kept), the CRD schema for custom resources.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{json, Map, Value};

use crate::builtin_openapi;
use crate::resources::{Registry, ResourceType, SchemaSource};

/// A served `major.minor.patch` version.
type ServerVersion = (u32, u32, u32);

/// A built-in group-version's document, serialized, and the hash its URL carries.
struct Built {
    body: Vec<u8>,
    hash: String,
}

/// What a built-in document depends on: group, version, the kinds served, the server version.
type BuiltKey = (String, String, Vec<String>, ServerVersion);

/// Built-in documents, generated on first use: they are large and never change.
static BUILT: LazyLock<Mutex<HashMap<BuiltKey, Arc<Built>>>> = LazyLock::new(Default::default);

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: the index of documents.
pub fn index(reg: &Registry, server: ServerVersion) -> Value {
    let mut paths = serde_json::Map::new();
    let mut gvs: Vec<(String, String)> = vec![];
    for t in reg.all() {
        let gv = (t.group.clone(), t.version.clone());
        if !gvs.contains(&gv) {
            gvs.push(gv);
        }
    }
    for (g, v) in gvs {
        let hash = hash_of(reg, &g, &v, server);
        let p = gv_path(&g, &v);
        paths.insert(
            p.clone(),
            json!({ "serverRelativeURL": format!("/openapi/v3/{p}?hash={hash}") }),
        );
    }
    json!({ "paths": paths })
}

fn is_custom(types: &[Arc<ResourceType>]) -> bool {
    types.iter().any(|t| t.crd.is_some())
}

fn hash_of(reg: &Registry, group: &str, version: &str, server: ServerVersion) -> String {
    let types = reg.in_group_version(group, version);
    if is_custom(&types) {
        format!("{:016X}", reg.revision)
    } else {
        built(&types, group, version, server).hash.clone()
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

/// The PATCH operation of an object path whose body is the definition `schema`; it declares
/// `fieldValidation`, so kubectl leaves validation to the server. It declares no request body:
/// kubectl would then compute strategic merge patches from the document, whose built-in
/// definitions lack the patch strategies (it uses its compiled-in types instead).
fn patch_operation(t: &ResourceType, schema: &str) -> Value {
    let query = |name: &str| json!({ "name": name, "in": "query", "schema": { "type": "string", "uniqueItems": true } });
    let schema_ref = json!({ "$ref": format!("#/components/schemas/{schema}") });
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

/// `/openapi/v3/api/v1` or `/openapi/v3/apis/GROUP/VERSION`, serialized, or `None` when
/// nothing is served.
pub fn document(
    reg: &Registry,
    group: &str,
    version: &str,
    server: ServerVersion,
) -> Option<Vec<u8>> {
    let types = reg.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    if !is_custom(&types) {
        return Some(built(&types, group, version, server).body.clone());
    }
    let mut schemas = Map::new();
    let mut paths = Map::new();
    for t in &types {
        let name = schema_name(t);
        paths.insert(object_path(t), patch_operation(t, &name));
        schemas.insert(name, schema_of(t));
    }
    serde_json::to_vec(&assemble(paths, schemas, server)).ok()
}

fn assemble(
    paths: Map<String, Value>,
    schemas: Map<String, Value>,
    server: ServerVersion,
) -> Value {
    let (major, minor, patch) = server;
    json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": format!("v{major}.{minor}.{patch}+k3s1") },
        "paths": paths,
        "components": { "schemas": schemas },
    })
}

/// The document of a built-in group-version, generated on first use and kept.
fn built(
    types: &[Arc<ResourceType>],
    group: &str,
    version: &str,
    server: ServerVersion,
) -> Arc<Built> {
    let kinds: Vec<String> = types.iter().map(|t| t.kind.clone()).collect();
    let key = (group.to_string(), version.to_string(), kinds, server);
    let mut cache = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(key)
        .or_insert_with(|| Arc::new(build(types, group, version, server)))
        .clone()
}

fn build(types: &[Arc<ResourceType>], group: &str, version: &str, server: ServerVersion) -> Built {
    let kinds: Vec<&str> = types.iter().map(|t| t.kind.as_str()).collect();
    let (mut schemas, names) = builtin_openapi::components(group, version, &kinds);
    let mut paths = Map::new();
    for t in types {
        let name = match names.iter().find(|(k, _)| *k == t.kind) {
            Some((_, name)) => name.clone(),
            None => {
                // A kind without a Rust type here: a permissive schema.
                let name = schema_name(t);
                schemas.entry(name.clone()).or_insert_with(|| schema_of(t));
                name
            }
        };
        paths.insert(object_path(t), patch_operation(t, &name));
    }
    let body = serde_json::to_vec(&assemble(paths, schemas, server)).unwrap_or_default();
    let mut hasher = DefaultHasher::new();
    hasher.write(&body);
    Built {
        hash: format!("{:016X}", hasher.finish()),
        body,
    }
}
