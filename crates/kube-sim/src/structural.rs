//! Whether a CRD version's `openAPIV3Schema` is structural, as apiextensions-apiserver's
//! `ValidateStructural` decides it: every specified field and array item has a `type` (unless
//! it preserves unknown fields or is an int-or-string), the root is an object without
//! `additionalProperties`, arrays have `items`, and the value validations under
//! `anyOf`/`allOf`/`oneOf`/`not` only restate the structure without types, defaults,
//! descriptions or Kubernetes extensions.

use serde_json::Value;

/// One violation: `(field path, reason, message)` as a cause of the 422 Invalid status.
pub type Cause = (String, &'static str, String);

#[derive(Clone, Copy, PartialEq)]
enum Level {
    Root,
    Item,
    Field,
}

fn flag(s: &Value, key: &str) -> bool {
    s.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn ty(s: &Value) -> &str {
    s.get("type").and_then(Value::as_str).unwrap_or("")
}

fn required(path: String, detail: &str) -> Cause {
    (
        path,
        "FieldValueRequired",
        format!("Required value: {detail}"),
    )
}

fn forbidden(path: String, detail: &str) -> Cause {
    (path, "FieldValueForbidden", format!("Forbidden: {detail}"))
}

fn invalid(path: String, value: &str, detail: &str) -> Cause {
    (
        path,
        "FieldValueInvalid",
        format!("Invalid value: {value:?}: {detail}"),
    )
}

/// Structural violations of `schema` found at `path` (e.g.
/// `spec.versions[0].schema.openAPIV3Schema`), sorted as the real validator sorts them.
pub fn violations(path: &str, schema: &Value) -> Vec<Cause> {
    let mut out = vec![];
    invariants(schema, Level::Root, path, &mut out);
    out.sort_by(|a, b| format!("{}: {}", a.0, a.2).cmp(&format!("{}: {}", b.0, b.2)));
    out
}

fn invariants(s: &Value, lvl: Level, path: &str, out: &mut Vec<Cause>) {
    if !s.is_object() {
        return;
    }
    pattern(s, path, out);
    let t = ty(s);
    if t == "array" && s.get("items").is_none() {
        out.push(required(format!("{path}.items"), "must be specified"));
    }
    if let Some(items) = s.get("items") {
        invariants(items, Level::Item, &format!("{path}.items"), out);
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            invariants(v, Level::Field, &format!("{path}.properties[{k}]"), out);
        }
    }
    if let Some(ap) = s.get("additionalProperties") {
        if lvl == Level::Root {
            out.push(forbidden(
                format!("{path}.additionalProperties"),
                "must not be used at the root",
            ));
        }
        if ap.is_object() {
            invariants(
                ap,
                Level::Field,
                &format!("{path}.additionalProperties"),
                out,
            );
        }
    }
    let int_or_string = flag(s, "x-kubernetes-int-or-string");
    let preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
    let embedded = flag(s, "x-kubernetes-embedded-resource");
    if int_or_string && preserve {
        out.push((
            format!("{path}.x-kubernetes-preserve-unknown-fields"),
            "FieldValueInvalid",
            "Invalid value: true: must be false if x-kubernetes-int-or-string is true".into(),
        ));
    }
    junctors(s, path, is_int_or_string_pair(s.get("anyOf")), out);
    if embedded && t != "object" {
        let detail = "must be object if x-kubernetes-embedded-resource is true";
        out.push(if t.is_empty() {
            required(format!("{path}.type"), detail)
        } else {
            invalid(format!("{path}.type"), t, detail)
        });
    } else if t.is_empty() && !int_or_string && !preserve {
        let detail = match lvl {
            Level::Root => "must not be empty at the root",
            Level::Item => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        out.push(required(format!("{path}.type"), detail));
    }
    if lvl == Level::Root || embedded {
        resource_meta(s, path, lvl == Level::Root, out);
    }
    if lvl == Level::Root && !t.is_empty() && t != "object" {
        out.push(invalid(
            format!("{path}.type"),
            t,
            "must be object at the root",
        ));
    }
}

/// `kind` and `apiVersion` must be strings, and `metadata` may only restrict `name` and
/// `generateName` (at the root; embedded resources' metadata is only checked to be an object).
fn resource_meta(s: &Value, path: &str, root: bool, out: &mut Vec<Cause>) {
    let Some(props) = s.get("properties").and_then(Value::as_object) else {
        return;
    };
    for k in ["kind", "apiVersion"] {
        if let Some(p) = props.get(k) {
            if ty(p) != "string" {
                out.push(invalid(
                    format!("{path}.properties[{k}].type"),
                    ty(p),
                    "must be string",
                ));
            }
        }
    }
    let Some(meta) = props.get("metadata").and_then(Value::as_object) else {
        return;
    };
    let at = format!("{path}.properties[metadata]");
    let meta_ty = meta.get("type").and_then(Value::as_str).unwrap_or("");
    if meta_ty != "object" {
        out.push(invalid(format!("{at}.type"), meta_ty, "must be object"));
    }
    if !root {
        return;
    }
    let names_only = |p: &Value| {
        p.as_object().is_some_and(|m| {
            !m.is_empty()
                && m.keys()
                    .all(|k| matches!(k.as_str(), "name" | "generateName"))
        })
    };
    let other = meta.iter().any(|(k, v)| match k.as_str() {
        "type" | "default" => false,
        "properties" => !names_only(v),
        _ => !v.is_null(),
    });
    if other {
        out.push(forbidden(
            at,
            "must not specify anything other than name and generateName, but metadata is implicitly specified",
        ));
    }
}

/// A `pattern` must compile (as an RE2 expression; the `regex` crate's syntax is the same).
fn pattern(s: &Value, path: &str, out: &mut Vec<Cause>) {
    let Some(p) = s
        .get("pattern")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    else {
        return;
    };
    if let Err(e) = regex::Regex::new(p) {
        let text = e.to_string();
        let why = text
            .lines()
            .last()
            .unwrap_or("")
            .trim_start_matches("error: ");
        out.push(invalid(
            format!("{path}.pattern"),
            p,
            &format!("must be a valid regular expression, but isn't: error parsing regexp: {why}"),
        ));
    }
}

/// The int-or-string exception: `anyOf: [{type: integer}, {type: string}]` exactly.
fn is_int_or_string_pair(list: Option<&Value>) -> bool {
    list.and_then(Value::as_array).is_some_and(|l| {
        l.len() == 2
            && l[0] == serde_json::json!({"type": "integer"})
            && l[1] == serde_json::json!({"type": "string"})
    })
}

/// Checks the value validations under `anyOf`, `allOf`, `oneOf` and `not`; an int-or-string
/// `anyOf` (directly, or in the first `allOf` entry) is skipped.
fn junctors(v: &Value, path: &str, skip_any_of: bool, out: &mut Vec<Cause>) {
    let skip_first_all_of = v
        .get("allOf")
        .and_then(Value::as_array)
        .and_then(|l| l.first())
        .is_some_and(|first| is_int_or_string_pair(first.get("anyOf")));
    for junctor in ["anyOf", "allOf", "oneOf"] {
        if junctor == "anyOf" && skip_any_of {
            continue;
        }
        if let Some(list) = v.get(junctor).and_then(Value::as_array) {
            for (i, x) in list.iter().enumerate() {
                let skip = junctor == "allOf" && i == 0 && skip_first_all_of;
                nested(x, &format!("{path}.{junctor}[{i}]"), skip, out);
            }
        }
    }
    if let Some(not) = v.get("not") {
        nested(not, &format!("{path}.not"), false, out);
    }
}

fn nested(v: &Value, path: &str, skip_any_of: bool, out: &mut Vec<Cause>) {
    if !v.is_object() {
        return;
    }
    pattern(v, path, out);
    junctors(v, path, skip_any_of, out);
    if let Some(items) = v.get("items") {
        nested(items, &format!("{path}.items"), false, out);
    }
    if let Some(props) = v.get("properties").and_then(Value::as_object) {
        for (k, x) in props {
            nested(x, &format!("{path}.properties[{k}]"), false, out);
        }
        if props.contains_key("metadata") {
            out.push(forbidden(
                format!("{path}.properties[metadata]"),
                "must not be specified in a nested context",
            ));
        }
    }
    let rules: [(&str, &str); 10] = [
        ("type", "must be empty to be structural"),
        ("additionalProperties", "must be undefined to be structural"),
        ("default", "must be undefined to be structural"),
        ("title", "must be empty to be structural"),
        ("description", "must be empty to be structural"),
        ("nullable", "must be false to be structural"),
        (
            "x-kubernetes-preserve-unknown-fields",
            "must be false to be structural",
        ),
        (
            "x-kubernetes-embedded-resource",
            "must be false to be structural",
        ),
        (
            "x-kubernetes-int-or-string",
            "must be false to be structural",
        ),
        (
            "x-kubernetes-list-type",
            "must be undefined to be structural",
        ),
    ];
    for (key, detail) in rules {
        let set = match v.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b || key == "x-kubernetes-list-type",
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        };
        if set {
            out.push(forbidden(format!("{path}.{key}"), detail));
        }
    }
    if v.get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        out.push(forbidden(
            format!("{path}.x-kubernetes-list-map-keys"),
            "must be empty to be structural",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::violations;
    use serde_json::json;

    #[test]
    fn int_or_string_patterns_are_structural() {
        let s = json!({"type": "object", "properties": {"port": {
            "x-kubernetes-int-or-string": true,
            "anyOf": [{"type": "integer"}, {"type": "string"}]
        }}});
        assert!(violations("s", &s).is_empty());
    }

    #[test]
    fn nested_value_validations_may_not_carry_types() {
        let s = json!({"type": "object", "properties": {"a": {"type": "string",
            "oneOf": [{"type": "string", "description": "x"}]}}});
        let v = violations("s", &s);
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(v[0].0, "s.properties[a].oneOf[0].description");
        assert_eq!(v[1].2, "Forbidden: must be empty to be structural");
    }
}
