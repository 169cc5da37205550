//! Lists with `x-kubernetes-list-type: set` or `map`: their items (sets) or keys (maps) must be
//! unique, as apiextensions-apiserver's `ValidateListSetsAndMaps` checks; and how the items of
//! a map list are correlated with the old list's on update.

use serde_json::{Map, Value};

use super::{gofmt, Cause};

/// The duplicate items and keys below `obj`, whose schema is `s`.
pub fn check(obj: &Value, s: &Value) -> Vec<Cause> {
    let mut out = vec![];
    if let Some(m) = obj.as_object() {
        object(m, s, "", &mut out);
    }
    out
}

fn child(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

fn object(m: &Map<String, Value>, s: &Value, path: &str, out: &mut Vec<Cause>) {
    if let Some(extra) = s.get("additionalProperties").filter(|a| a.is_object()) {
        for (k, v) in m {
            let p = if path.is_empty() {
                format!("[{k}]")
            } else {
                format!("{path}[{k}]")
            };
            value(v, extra, &p, out);
        }
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (k, v) in m {
            if let Some(ps) = props.get(k) {
                value(v, ps, &child(path, k), out);
            }
        }
    }
}

fn value(v: &Value, s: &Value, path: &str, out: &mut Vec<Cause>) {
    match v {
        Value::Array(items) => array(items, s, path, out),
        Value::Object(m) => object(m, s, path, out),
        _ => {}
    }
}

/// Identity of a set item or map key as Go compares them (compounds by their JSON).
fn identity(v: &Value) -> String {
    match v {
        Value::Object(_) | Value::Array(_) => format!("c{}", gofmt::json(v)),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("i{n}"),
        Value::Number(n) => format!("f{n}"),
        other => format!("s{other}"),
    }
}

/// Indices of the second occurrence of each repeated identity.
fn repeated(ids: &[String]) -> Vec<usize> {
    let mut seen: std::collections::HashMap<&str, usize> = Default::default();
    let mut out = vec![];
    for (i, id) in ids.iter().enumerate() {
        let n = seen.entry(id).or_insert(0);
        *n += 1;
        if *n == 2 {
            out.push(i);
        }
    }
    out
}

fn array(items: &[Value], s: &Value, path: &str, out: &mut Vec<Cause>) {
    let dup = |i: usize, shown: String| {
        (
            format!("{path}[{i}]"),
            "FieldValueDuplicate",
            format!("Duplicate value: {shown}"),
        )
    };
    match s.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("set") => {
            let ids: Vec<String> = items.iter().map(identity).collect();
            for i in repeated(&ids) {
                out.push(dup(i, gofmt::value(&items[i])));
            }
        }
        Some("map") => map_list(items, s, path, out),
        _ => {}
    }
    if let Some(item_schema) = s.get("items") {
        for (i, item) in items.iter().enumerate() {
            value(item, item_schema, &format!("{path}[{i}]"), out);
        }
    }
}

fn map_keys(s: &Value) -> Vec<&str> {
    s.get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The key of a map-list item: the key fields it has, as an object.
fn key_of(item: &Value, keys: &[&str]) -> Value {
    let mut k = Map::new();
    for f in keys {
        if let Some(x) = item.get(*f) {
            k.insert(f.to_string(), x.clone());
        }
    }
    Value::Object(k)
}

fn map_list(items: &[Value], s: &Value, path: &str, out: &mut Vec<Cause>) {
    for (i, x) in items.iter().enumerate() {
        if !x.is_object() && !x.is_null() {
            out.push((
                format!("{path}[{i}]"),
                "FieldValueInvalid",
                format!(
                    "Invalid value: {}: must be an object for an array of list-type map",
                    gofmt::value(x)
                ),
            ));
            return;
        }
    }
    let keys = map_keys(s);
    let ids: Vec<Value> = items.iter().map(|x| key_of(x, &keys)).collect();
    let names: Vec<String> = ids
        .iter()
        .map(
            |k| match (keys.len(), k.as_object().and_then(|m| m.values().next())) {
                (1, Some(single)) => identity(single),
                (1, None) => "unspecified".into(),
                _ => identity(k),
            },
        )
        .collect();
    for i in repeated(&names) {
        out.push((
            format!("{path}[{i}]"),
            "FieldValueDuplicate",
            format!("Duplicate value: {}", gofmt::json(&ids[i])),
        ));
    }
}

/// The old items of a map list, to find each new item's old version by its keys; `None` for
/// other lists, whose items are not correlated.
pub fn correlate<'a>(s: &'a Value, old: Option<&'a Value>) -> Option<OldItems<'a>> {
    if s.get("x-kubernetes-list-type").and_then(Value::as_str) != Some("map") {
        return None;
    }
    Some(OldItems {
        keys: map_keys(s),
        items: old
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
    })
}

/// The items of an old map list.
pub struct OldItems<'a> {
    keys: Vec<&'a str>,
    items: &'a [Value],
}

impl<'a> OldItems<'a> {
    /// The old item with the same keys as `item`.
    pub fn find(&self, item: &Value) -> Option<&'a Value> {
        let k = key_of(item, &self.keys);
        self.items.iter().find(|o| key_of(o, &self.keys) == k)
    }
}
