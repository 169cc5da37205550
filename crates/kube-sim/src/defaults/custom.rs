//! Custom resources: the `default`s of the CRD's structural schema, applied to every object
//! node that is present (a default that is itself an object is then defaulted in turn), and
//! `null`s where the schema is not nullable replaced by the default or dropped, as the real
//! server's `Default` and `PruneNonNullableNullsWithoutDefaults` do.

use serde_json::Value;

/// Fills in schema defaults below the root of `obj` (never in `metadata`).
pub fn apply(obj: &mut Value, schema: &Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (k, prop) in props {
        if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        fill(map, k, prop);
    }
}

/// Whether `v` is a `null` that the schema `s` does not allow.
fn unwanted_null(v: &Value, s: &Value) -> bool {
    v.is_null() && s.get("nullable") != Some(&Value::Bool(true))
}

fn fill(map: &mut serde_json::Map<String, Value>, key: &str, prop: &Value) {
    if map.get(key).is_some_and(|v| unwanted_null(v, prop)) {
        match prop.get("default") {
            Some(d) => map.insert(key.to_string(), d.clone()),
            None => map.shift_remove(key),
        };
    }
    if !map.contains_key(key) {
        match prop.get("default") {
            Some(d) => {
                map.insert(key.to_string(), d.clone());
            }
            None => return,
        }
    }
    if let Some(child) = map.get_mut(key) {
        walk(child, prop);
    }
}

fn walk(v: &mut Value, schema: &Value) {
    match v {
        Value::Object(map) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, prop) in props {
                    fill(map, k, prop);
                }
            } else if let Some(extra) = schema.get("additionalProperties").filter(|a| a.is_object())
            {
                let keys: Vec<String> = map.keys().cloned().collect();
                for k in keys {
                    fill(map, &k, extra);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    if unwanted_null(item, item_schema) {
                        if let Some(d) = item_schema.get("default") {
                            *item = d.clone();
                        }
                    }
                    walk(item, item_schema);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn defaults_fill_present_objects_and_recurse_into_defaults() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "replicas": {"type": "integer", "default": 1},
                "storage": {"type": "object", "default": {}, "properties": {
                    "type": {"type": "string", "default": "ephemeral"}
                }},
                "absent": {"type": "object", "properties": {"x": {"type": "string", "default": "y"}}},
                "listeners": {"type": "array", "items": {"type": "object", "properties": {
                    "tls": {"type": "boolean", "default": false}
                }}}
            }}
        }});
        let mut obj = json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"},
            "spec": {"replicas": 3, "listeners": [{"name": "plain"}, {"tls": true}], "absent": null}});
        super::apply(&mut obj, &schema);
        assert_eq!(
            obj["spec"],
            json!({"replicas": 3, "listeners": [{"name": "plain", "tls": false}, {"tls": true}],
                "storage": {"type": "ephemeral"}})
        );
    }
}
