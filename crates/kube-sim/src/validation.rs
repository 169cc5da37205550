//! Server-side field validation (`fieldValidation=Strict`): custom resources may only carry
//! fields their CRD schema declares (or preserves).

use serde_json::Value;

use crate::resources::{ResourceType, SchemaSource};
use crate::status::{ApiError, ApiResult};
use crate::web::Request;

/// Paths of fields in `obj` that the structural `schema` does not declare.
pub fn unknown_fields(obj: &Value, schema: &Value) -> Vec<String> {
    let mut out = vec![];
    if let Some(map) = obj.as_object() {
        for (k, v) in map {
            if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                continue;
            }
            match child_schema(schema, k) {
                Some(s) => walk(v, s, k.clone(), &mut out),
                None if allows_unknown(schema) => {}
                None => out.push(k.clone()),
            }
        }
    }
    out
}

fn allows_unknown(schema: &Value) -> bool {
    schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        || schema.get("properties").is_none() && schema.get("additionalProperties").is_none()
        || schema.get("additionalProperties") == Some(&Value::Bool(true))
}

fn child_schema<'a>(schema: &'a Value, key: &str) -> Option<&'a Value> {
    schema
        .get("properties")
        .and_then(|p| p.get(key))
        .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))
}

fn walk(v: &Value, schema: &Value, path: String, out: &mut Vec<String>) {
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        || schema.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true))
    {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = format!("{path}.{k}");
                match child_schema(schema, k) {
                    Some(s) => walk(child, s, p, out),
                    None if allows_unknown(schema) => {}
                    None => out.push(p),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    walk(item, item_schema, format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

/// Removes fields the structural `schema` does not declare, as the API server prunes them.
/// `apiVersion`, `kind` and `metadata` of the object itself are never pruned.
pub fn prune(obj: &mut Value, schema: &Value) {
    if let Some(map) = obj.as_object_mut() {
        prune_object(map, schema, true);
    }
}

/// Prunes one object's undeclared keys and descends into the declared ones.
fn prune_object(map: &mut serde_json::Map<String, Value>, schema: &Value, top_level: bool) {
    let keys: Vec<String> = map.keys().cloned().collect();
    for k in keys {
        if top_level && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        match child_schema(schema, &k) {
            Some(s) => {
                if let Some(child) = map.get_mut(&k) {
                    prune_walk(child, s);
                }
            }
            None if allows_unknown(schema) => {}
            None => {
                map.shift_remove(&k);
            }
        }
    }
}

fn prune_walk(v: &mut Value, schema: &Value) {
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        || schema.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true))
    {
        return;
    }
    match v {
        Value::Object(map) => prune_object(map, schema, false),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items.iter_mut() {
                    prune_walk(item, item_schema);
                }
            }
        }
        _ => {}
    }
}

/// The structural schema unknown fields are checked against: the CRD's for custom resources,
/// the Kubernetes API types' for built-in kinds.
pub fn schema_of(rt: &ResourceType) -> Option<std::sync::Arc<Value>> {
    match &rt.schema {
        SchemaSource::Crd(schema) => Some(schema.schema.clone()),
        SchemaSource::Builtin => crate::builtin_schema::schema(&rt.group, &rt.version, &rt.kind),
    }
}

/// Server-side field validation (`fieldValidation`): under `Strict` unknown fields are a 400;
/// under `Warn` (the default) they are dropped with a warning, returned here for the
/// `Warning` header; under `Ignore` they are dropped silently.
pub fn check(req: &Request, rt: &ResourceType, obj: &Value, apply: bool) -> ApiResult<Vec<String>> {
    crate::typecheck::check(req, rt, obj)?;
    let mode = req.q("fieldValidation").unwrap_or("Warn");
    if mode == "Ignore" {
        return Ok(vec![]);
    }
    if !matches!(mode, "Strict" | "Warn") {
        return Err(ApiError::bad_request(format!(
            "fieldValidation {mode} is invalid: must be one of \"Ignore\", \"Warn\", or \"Strict\""
        )));
    }
    let Some(schema) = schema_of(rt) else {
        return Ok(vec![]);
    };
    let unknown = unknown_fields(obj, &schema);
    if unknown.is_empty() {
        return Ok(vec![]);
    }
    let each: Vec<String> = if apply {
        unknown
            .iter()
            .map(|f| format!(".{f}: field not declared in schema"))
            .collect()
    } else {
        unknown
            .iter()
            .map(|f| format!("unknown field {f:?}"))
            .collect()
    };
    if mode == "Warn" {
        return Ok(each);
    }
    let message = if apply {
        each.join(", ")
    } else {
        format!("strict decoding error: {}", each.join(", "))
    };
    Err(ApiError::bad_request(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_undeclared_fields_but_respects_preserved_ones() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "chart": {"type": "string"},
                "set": {"type": "object", "additionalProperties": {"type": "string"}},
                "values": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "list": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}
            }}
        }});
        let obj = json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"}, "spec": {
            "chart": "c", "set": {"a": "b"}, "values": {"any": {"thing": 1}}, "bogus": 1, "list": [{"name": "n", "extra": 2}]
        }});
        assert_eq!(
            unknown_fields(&obj, &schema),
            vec!["spec.bogus".to_string(), "spec.list[0].extra".to_string()]
        );
    }
}
