//! Sets of field paths and their `FieldsV1` encoding, as used by `metadata.managedFields`.
//!
//! A path is a list of elements: `f:name` (a field), `k:{"name":"x"}` (a list-map item by key),
//! `v:"x"` (a set item by value) or `i:3` (an index).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::schema::{item_key, Cursor, ListType};

/// One path to a field.
pub type FieldPath = Vec<String>;

/// A set of field paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    paths: BTreeSet<FieldPath>,
}

impl FieldSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes a `FieldsV1` object.
    pub fn from_fields_v1(v: &Value) -> Self {
        let mut set = FieldSet::new();
        let mut prefix = vec![];
        decode(v, &mut prefix, &mut set);
        set
    }

    /// Encodes as a `FieldsV1` object.
    pub fn to_fields_v1(&self) -> Value {
        let mut root = Map::new();
        for path in &self.paths {
            let mut node = &mut root;
            for (i, el) in path.iter().enumerate() {
                let child = node
                    .entry(el.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                let child = child.as_object_mut().expect("fieldsV1 nodes are objects");
                if i + 1 == path.len() && self.has_descendants(path) {
                    child.insert(".".into(), Value::Object(Map::new()));
                }
                node = child;
            }
        }
        sort_tree(&mut root);
        Value::Object(root)
    }

    fn has_descendants(&self, path: &FieldPath) -> bool {
        self.paths
            .range(path.clone()..)
            .nth(1)
            .is_some_and(|next| next.starts_with(path))
    }

    /// Whether `path` has members below it.
    pub fn is_interior(&self, path: &FieldPath) -> bool {
        self.has_descendants(path)
    }

    /// Adds a path.
    pub fn insert(&mut self, path: FieldPath) {
        self.paths.insert(path);
    }

    /// Whether the set contains `path`.
    pub fn contains(&self, path: &FieldPath) -> bool {
        self.paths.contains(path)
    }

    /// Whether any member equals `path` or lies below it.
    pub fn contains_prefix(&self, path: &FieldPath) -> bool {
        self.paths
            .range(path.clone()..)
            .next()
            .is_some_and(|p| p.starts_with(path))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Iterates the paths in order.
    pub fn iter(&self) -> impl Iterator<Item = &FieldPath> {
        self.paths.iter()
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Members of `self` not in `other`.
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            paths: self.paths.difference(&other.paths).cloned().collect(),
        }
    }

    /// Members in both.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            paths: self.paths.intersection(&other.paths).cloned().collect(),
        }
    }

    /// Adds all members of `other`.
    pub fn extend(&mut self, other: &FieldSet) {
        self.paths.extend(other.paths.iter().cloned());
    }

    /// Removes all members of `other`.
    pub fn remove_all(&mut self, other: &FieldSet) {
        for p in &other.paths {
            self.paths.remove(p);
        }
    }

    /// Keeps only the members under the top-level field `f:name`.
    pub fn only_under(&self, name: &str) -> FieldSet {
        let el = format!("f:{name}");
        FieldSet {
            paths: self
                .paths
                .iter()
                .filter(|p| p.first() == Some(&el))
                .cloned()
                .collect(),
        }
    }

    /// Drops the members under the top-level field `f:name`.
    pub fn without(&self, name: &str) -> FieldSet {
        let el = format!("f:{name}");
        FieldSet {
            paths: self
                .paths
                .iter()
                .filter(|p| p.first() != Some(&el))
                .cloned()
                .collect(),
        }
    }
}

fn sort_tree(m: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, mut v) in entries {
        if let Some(o) = v.as_object_mut() {
            sort_tree(o);
        }
        m.insert(k, v);
    }
}

fn decode(v: &Value, prefix: &mut FieldPath, out: &mut FieldSet) {
    let Some(obj) = v.as_object() else { return };
    if obj.is_empty() && !prefix.is_empty() {
        out.insert(prefix.clone());
        return;
    }
    for (k, child) in obj {
        if k == "." {
            if !prefix.is_empty() {
                out.insert(prefix.clone());
            }
            continue;
        }
        prefix.push(k.clone());
        decode(child, prefix, out);
        prefix.pop();
    }
}

/// Renders a path the way conflict messages do: `.spec.containers[name="x"].image`.
pub fn path_string(path: &FieldPath) -> String {
    let mut s = String::new();
    for el in path {
        if let Some(f) = el.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = el.strip_prefix("k:") {
            let parts: Vec<String> = serde_json::from_str::<Map<String, Value>>(k)
                .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect())
                .unwrap_or_default();
            s.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = el.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        } else if let Some(i) = el.strip_prefix("i:") {
            s.push_str(&format!("[{i}]"));
        }
    }
    s
}

/// Top-level metadata fields that are never owned by a manager.
const UNOWNED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// The set of fields an object sets, as a manager would own them.
pub fn fields_of_object(obj: &Value, root: Cursor<'_>) -> FieldSet {
    let mut out = FieldSet::new();
    let Some(map) = obj.as_object() else {
        return out;
    };
    let mut prefix = vec![];
    for (k, v) in map {
        if k == "apiVersion" || k == "kind" {
            continue;
        }
        if k == "metadata" {
            let Some(meta) = v.as_object() else { continue };
            let cursor = root.field("metadata");
            prefix.push("f:metadata".to_string());
            for (mk, mv) in meta {
                if UNOWNED_METADATA.contains(&mk.as_str()) {
                    continue;
                }
                prefix.push(format!("f:{mk}"));
                walk(mv, cursor.field(mk), &mut prefix, &mut out);
                prefix.pop();
            }
            prefix.pop();
            continue;
        }
        prefix.push(format!("f:{k}"));
        walk(v, root.field(k), &mut prefix, &mut out);
        prefix.pop();
    }
    out
}

fn walk(v: &Value, cursor: Cursor<'_>, prefix: &mut FieldPath, out: &mut FieldSet) {
    match v {
        Value::Object(map) if !map.is_empty() && !cursor.map_atomic() => {
            for (k, child) in map {
                prefix.push(format!("f:{k}"));
                walk(child, cursor.field(k), prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) if !items.is_empty() => match cursor.list_type(items) {
            ListType::Atomic => out.insert(prefix.clone()),
            ListType::Set => {
                for item in items {
                    prefix.push(format!("v:{item}"));
                    out.insert(prefix.clone());
                    prefix.pop();
                }
            }
            ListType::Map(keys) => {
                let item_cursor = cursor.items();
                for item in items {
                    let Some(key) = item_key(item, &keys) else {
                        out.insert(prefix.clone());
                        continue;
                    };
                    prefix.push(format!("k:{}", Value::Object(key)));
                    out.insert(prefix.clone());
                    if let Some(obj) = item.as_object() {
                        for (k, child) in obj {
                            prefix.push(format!("f:{k}"));
                            walk(child, item_cursor.field(k), prefix, out);
                            prefix.pop();
                        }
                    }
                    prefix.pop();
                }
            }
        },
        _ => out.insert(prefix.clone()),
    }
}

/// The value at `path` inside `obj`, if present.
pub fn value_at<'v>(obj: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut cur = obj;
    for el in path {
        cur = step(cur, el)?;
    }
    Some(cur)
}

fn step<'v>(cur: &'v Value, el: &str) -> Option<&'v Value> {
    if let Some(f) = el.strip_prefix("f:") {
        return cur.as_object()?.get(f);
    }
    let items = cur.as_array()?;
    if let Some(k) = el.strip_prefix("k:") {
        let key: Map<String, Value> = serde_json::from_str(k).ok()?;
        return items.iter().find(|i| key_matches(i, &key));
    }
    if let Some(v) = el.strip_prefix("v:") {
        let val: Value = serde_json::from_str(v).ok()?;
        return items.iter().find(|i| **i == val);
    }
    if let Some(i) = el.strip_prefix("i:") {
        return items.get(i.parse::<usize>().ok()?);
    }
    None
}

fn key_matches(item: &Value, key: &Map<String, Value>) -> bool {
    let Some(obj) = item.as_object() else {
        return false;
    };
    key.iter().all(|(k, v)| match obj.get(k) {
        Some(x) => x == v,
        None => k == "protocol" && v == "TCP",
    })
}

/// Removes the value at `path`; returns whether something was removed.
pub fn remove_at(obj: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut cur = obj;
    for el in parents {
        let next = match step_mut(cur, el) {
            Some(n) => n,
            None => return false,
        };
        cur = next;
    }
    if let Some(f) = last.strip_prefix("f:") {
        return cur
            .as_object_mut()
            .and_then(|m| m.shift_remove(f))
            .is_some();
    }
    let Some(items) = cur.as_array_mut() else {
        return false;
    };
    let before = items.len();
    if let Some(k) = last.strip_prefix("k:") {
        if let Ok(key) = serde_json::from_str::<Map<String, Value>>(k) {
            items.retain(|i| !key_matches(i, &key));
        }
    } else if let Some(v) = last.strip_prefix("v:") {
        if let Ok(val) = serde_json::from_str::<Value>(v) {
            items.retain(|i| *i != val);
        }
    } else if let Some(i) = last.strip_prefix("i:") {
        if let Ok(i) = i.parse::<usize>() {
            if i < items.len() {
                items.remove(i);
            }
        }
    }
    items.len() != before
}

fn step_mut<'v>(cur: &'v mut Value, el: &str) -> Option<&'v mut Value> {
    if let Some(f) = el.strip_prefix("f:") {
        return cur.as_object_mut()?.get_mut(f);
    }
    let items = cur.as_array_mut()?;
    if let Some(k) = el.strip_prefix("k:") {
        let key: Map<String, Value> = serde_json::from_str(k).ok()?;
        return items.iter_mut().find(|i| key_matches(i, &key));
    }
    if let Some(v) = el.strip_prefix("v:") {
        let val: Value = serde_json::from_str(v).ok()?;
        return items.iter_mut().find(|i| **i == val);
    }
    if let Some(i) = el.strip_prefix("i:") {
        return items.get_mut(i.parse::<usize>().ok()?);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::SchemaSource;
    use serde_json::json;

    #[test]
    fn round_trips_fields_v1() {
        let v = json!({"f:spec": {"f:containers": {"k:{\"name\":\"a\"}": {".": {}, "f:image": {}}}, "f:replicas": {}}});
        let set = FieldSet::from_fields_v1(&v);
        assert_eq!(set.len(), 3);
        assert_eq!(set.to_fields_v1(), v);
    }

    #[test]
    fn container_ports_use_protocol_default() {
        let obj =
            json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]}});
        let src = SchemaSource::Builtin;
        let set = fields_of_object(&obj, Cursor::root(&src));
        let enc = set.to_fields_v1().to_string();
        assert!(
            enc.contains(r#"k:{\"containerPort\":80,\"protocol\":\"TCP\"}"#),
            "{enc}"
        );
        assert_eq!(
            path_string(set.iter().find(|p| p.len() == 5).unwrap()),
            r#".spec.containers[name="a"].ports[containerPort=80,protocol="TCP"]"#
        );
    }
}
