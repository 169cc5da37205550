//! Custom resources against their CRD's structural schema, as the API server validates them
//! after pruning and defaulting: types, required properties, enums, numeric bounds and unique
//! keys of `x-kubernetes-list-type: map` lists.

use serde_json::{Map, Value};

use super::{q, Errs};

/// Validates everything below the root of `obj` except `apiVersion`, `kind` and `metadata`.
pub fn validate(obj: &Value, schema: &Value, errs: &mut Errs) {
    let Some(map) = obj.as_object() else { return };
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for r in required.iter().filter_map(Value::as_str) {
            if !matches!(r, "apiVersion" | "kind" | "metadata") && !map.contains_key(r) {
                errs.required(r);
            }
        }
    }
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (k, v) in map {
        if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        if let Some(s) = props.get(k) {
            walk(v, s, k, errs);
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_ok(v: &Value, want: &str) -> bool {
    match want {
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => type_name(v) == other,
    }
}

/// Go's rendering of a JSON value in a message (`%v`-like for scalars).
fn render(v: &Value) -> String {
    match v {
        Value::String(s) => q(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => format!("{:?}", type_name(other)),
    }
}

fn walk(v: &Value, s: &Value, path: &str, errs: &mut Errs) {
    if v.is_null() && s.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }
    let int_or_string = s.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
    if int_or_string {
        if !(v.is_string() || v.is_i64() || v.is_u64()) {
            errs.invalid(
                path,
                q(type_name(v)),
                &format!(
                    "{path} in body must be of type integer,string: {:?}",
                    type_name(v)
                ),
            );
        }
        return;
    }
    if let Some(want) = s.get("type").and_then(Value::as_str) {
        if !type_ok(v, want) {
            errs.invalid(
                path,
                q(type_name(v)),
                &format!("{path} in body must be of type {want}: {:?}", type_name(v)),
            );
            return;
        }
    }
    if let Some(choices) = s.get("enum").and_then(Value::as_array) {
        if !choices.contains(v) {
            let list: Vec<String> = choices.iter().map(render).collect();
            errs.push_not_supported_rendered(path, render(v), &list);
        }
    }
    if let Some(n) = v.as_f64() {
        bounds(v, n, s, path, errs);
    }
    match v {
        Value::Object(map) => object(map, s, path, errs),
        Value::Array(items) => array(items, s, path, errs),
        _ => {}
    }
}

fn bounds(v: &Value, n: f64, s: &Value, path: &str, errs: &mut Errs) {
    let exclusive = |k: &str| s.get(k) == Some(&Value::Bool(true));
    if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
        let (bad, word) = if exclusive("exclusiveMinimum") {
            (n <= min, "greater than")
        } else {
            (n < min, "greater than or equal to")
        };
        if bad {
            errs.invalid(
                path,
                render(v),
                &format!("{path} in body should be {word} {}", s["minimum"]),
            );
        }
    }
    if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
        let (bad, word) = if exclusive("exclusiveMaximum") {
            (n >= max, "less than")
        } else {
            (n > max, "less than or equal to")
        };
        if bad {
            errs.invalid(
                path,
                render(v),
                &format!("{path} in body should be {word} {}", s["maximum"]),
            );
        }
    }
}

fn object(map: &Map<String, Value>, s: &Value, path: &str, errs: &mut Errs) {
    if s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        && s.get("properties").is_none()
    {
        return;
    }
    if let Some(required) = s.get("required").and_then(Value::as_array) {
        for r in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(r) {
                errs.required(format!("{path}.{r}"));
            }
        }
    }
    let props = s.get("properties").and_then(Value::as_object);
    let extra = s.get("additionalProperties").filter(|a| a.is_object());
    for (k, child) in map {
        if let Some(cs) = props.and_then(|p| p.get(k)).or(extra) {
            walk(child, cs, &format!("{path}.{k}"), errs);
        }
    }
}

fn array(items: &[Value], s: &Value, path: &str, errs: &mut Errs) {
    if let Some(item_schema) = s.get("items") {
        for (i, item) in items.iter().enumerate() {
            walk(item, item_schema, &format!("{path}[{i}]"), errs);
        }
    }
    if s.get("x-kubernetes-list-type").and_then(Value::as_str) != Some("map") {
        return;
    }
    let keys: Vec<&str> = s
        .get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if keys.is_empty() {
        return;
    }
    let mut seen: Vec<Vec<Option<&Value>>> = vec![];
    for (i, item) in items.iter().enumerate() {
        let key: Vec<Option<&Value>> = keys.iter().map(|k| item.get(*k)).collect();
        if seen.contains(&key) {
            let pairs: Vec<String> = keys
                .iter()
                .zip(&key)
                .filter_map(|(k, v)| v.map(|v| format!("{}:{}", q(k), render(v))))
                .collect();
            errs.duplicate(
                format!("{path}[{i}]"),
                format!("map[string]interface {{}}{{{}}}", pairs.join(", ")),
            );
        } else {
            seen.push(key);
        }
    }
}
