//! Structural type information used by server-side apply: how lists and maps merge.
//!
//! Built-in kinds use a table of well-known field names (the list-map keys of the Kubernetes
//! API types); custom resources read `x-kubernetes-list-type`, `x-kubernetes-list-map-keys` and
//! `x-kubernetes-map-type` from their CRD schema. Unknown lists are atomic, unknown maps granular.

use serde_json::Value;

use crate::resources::SchemaSource;

/// How a list merges.
#[derive(Debug, Clone, PartialEq)]
pub enum ListType {
    /// Replaced as a whole.
    Atomic,
    /// Items are scalars merged by value.
    Set,
    /// Items are objects merged by these key fields (with optional defaults).
    Map(Vec<(String, Option<Value>)>),
}

/// A position in a type, navigated field by field.
#[derive(Debug, Clone, Copy)]
pub enum Cursor<'a> {
    /// Inside a built-in kind; remembers the field name that led here.
    Builtin(&'a str),
    /// Inside a CRD schema node (`None` once the schema says nothing more).
    Crd(Option<&'a Value>),
}

impl<'a> Cursor<'a> {
    /// The cursor at the root of an object of the given schema source.
    pub fn root(source: &'a SchemaSource) -> Cursor<'a> {
        match source {
            SchemaSource::Builtin => Cursor::Builtin(""),
            SchemaSource::Crd(v) => Cursor::Crd(Some(&v.schema)),
        }
    }

    /// The cursor for field `name` of the current object.
    pub fn field(&self, name: &'a str) -> Cursor<'a> {
        match self {
            Cursor::Builtin(_) => Cursor::Builtin(name),
            Cursor::Crd(node) => {
                if name == "metadata" && node.is_some_and(is_root_schema) {
                    return Cursor::Builtin("metadata");
                }
                let next = node.and_then(|n| {
                    n.get("properties")
                        .and_then(|p| p.get(name))
                        .or_else(|| n.get("additionalProperties").filter(|a| a.is_object()))
                });
                Cursor::Crd(next)
            }
        }
    }

    /// The cursor for the items of the current list.
    pub fn items(&self) -> Cursor<'a> {
        match self {
            Cursor::Builtin(name) => Cursor::Builtin(name),
            Cursor::Crd(node) => Cursor::Crd(node.and_then(|n| n.get("items"))),
        }
    }

    /// Whether the current map is atomic (replaced as a whole).
    pub fn map_atomic(&self) -> bool {
        match self {
            Cursor::Builtin(name) => {
                matches!(*name, "selector" | "podSelector" | "namespaceSelector")
            }
            Cursor::Crd(node) => {
                node.and_then(|n| n.get("x-kubernetes-map-type"))
                    .and_then(Value::as_str)
                    == Some("atomic")
            }
        }
    }

    /// How the current list merges, given its items (used to tell container from service ports).
    pub fn list_type(&self, items: &[Value]) -> ListType {
        match self {
            Cursor::Builtin(name) => builtin_list_type(name, items),
            Cursor::Crd(node) => crd_list_type(*node),
        }
    }
}

fn is_root_schema(v: &Value) -> bool {
    v.get("properties")
        .and_then(|p| p.get("apiVersion"))
        .is_some()
        || v.get("properties").and_then(|p| p.get("kind")).is_some()
        || v.get("properties").and_then(|p| p.get("spec")).is_some()
        || v.get("properties")
            .and_then(|p| p.get("metadata"))
            .is_some()
}

fn keys(names: &[&str]) -> ListType {
    ListType::Map(
        names
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    (*k == "protocol").then(|| Value::String("TCP".into())),
                )
            })
            .collect(),
    )
}

fn builtin_list_type(name: &str, items: &[Value]) -> ListType {
    match name {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates" => keys(&["name"]),
        "volumeMounts" => keys(&["mountPath"]),
        "volumeDevices" => keys(&["devicePath"]),
        "hostAliases" => keys(&["ip"]),
        "ownerReferences" => keys(&["uid"]),
        "conditions" => keys(&["type"]),
        "topologySpreadConstraints" => keys(&["topologyKey", "whenUnsatisfiable"]),
        "ports" => {
            if items.iter().any(|i| i.get("containerPort").is_some()) {
                keys(&["containerPort", "protocol"])
            } else if items.iter().all(|i| i.get("port").is_some()) && !items.is_empty() {
                keys(&["port", "protocol"])
            } else {
                ListType::Atomic
            }
        }
        "webhooks" => keys(&["name"]),
        "finalizers" => ListType::Set,
        _ => ListType::Atomic,
    }
}

fn crd_list_type(node: Option<&Value>) -> ListType {
    let Some(n) = node else {
        return ListType::Atomic;
    };
    match n.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("set") => ListType::Set,
        Some("map") => {
            let item_props = n.get("items").and_then(|i| i.get("properties"));
            let keys = n
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|k| {
                            let default = item_props
                                .and_then(|p| p.get(k))
                                .and_then(|p| p.get("default"))
                                .cloned();
                            (k.to_string(), default)
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            if keys.is_empty() {
                ListType::Atomic
            } else {
                ListType::Map(keys)
            }
        }
        _ => ListType::Atomic,
    }
}

/// The key of a list-map item as a JSON object with sorted key fields, or `None` when the
/// item is not an object.
pub fn item_key(
    item: &Value,
    keys: &[(String, Option<Value>)],
) -> Option<serde_json::Map<String, Value>> {
    let obj = item.as_object()?;
    let mut sorted: Vec<&(String, Option<Value>)> = keys.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = serde_json::Map::new();
    for (k, default) in sorted {
        match obj.get(k).or(default.as_ref()) {
            Some(v) => {
                out.insert(k.clone(), v.clone());
            }
            None => continue,
        }
    }
    Some(out)
}
