//! Server-side apply: merging an applied configuration into the live object, detecting
//! conflicts with other managers and removing fields a manager stopped applying.

use serde_json::{json, Map, Value};

use crate::fieldset::{fields_of_object, path_string, remove_at, value_at, FieldPath, FieldSet};
use crate::managed::{self, Entry, Operation};
use crate::schema::{item_key, Cursor, ListType};
use crate::status::{ApiError, ApiResult};

/// Metadata fields of an applied configuration that are not merged into the object.
const SKIPPED_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "managedFields",
    "selfLink",
];

/// Inputs of one apply.
pub struct Apply<'a> {
    /// The field manager.
    pub manager: &'a str,
    /// Whether conflicts are overridden.
    pub force: bool,
    /// API version of the request.
    pub api_version: &'a str,
    /// Current time (RFC 3339).
    pub now: &'a str,
    /// Whether `status` is managed by a subresource (and so ignored here).
    pub ignore_status: bool,
    /// Subresource applied to ("" or "status").
    pub subresource: &'a str,
    /// What the server does to the merged object (pruning, defaulting) before it is compared
    /// with the live one, so that an identical apply changes nothing.
    pub normalize: Option<&'a dyn Fn(&mut Value)>,
}

/// Applies `config` onto `live` (None when the object does not exist yet) and returns the
/// resulting object with updated managedFields.
pub fn apply(
    live: Option<&Value>,
    config: &Value,
    cursor: Cursor<'_>,
    a: &Apply<'_>,
) -> ApiResult<Value> {
    let mut config = config.clone();
    if let Some(meta) = config.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in SKIPPED_METADATA {
            meta.shift_remove(*k);
        }
    }
    if a.ignore_status {
        if let Some(m) = config.as_object_mut() {
            m.shift_remove("status");
        }
    }
    let applied = fields_of_object(&config, cursor);
    let mut entries: Vec<Entry> = live.map(managed::read).unwrap_or_default();
    let own =
        |e: &Entry| e.same_identity(a.manager, Operation::Apply, a.api_version, a.subresource);

    if let Some(live) = live {
        let conflicts = find_conflicts(live, &config, &applied, &entries, &own);
        if !conflicts.is_empty() {
            if !a.force && !last_applied_allows(live, &conflicts, cursor, a.manager) {
                return Err(conflict_error(&conflicts, &entries));
            }
            for (idx, path) in &conflicts {
                entries[*idx].fields.remove_all(&single(path));
            }
        }
    }

    let previous = entries
        .iter()
        .find(|e| own(e))
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    let mut others = FieldSet::new();
    for e in entries.iter().filter(|e| !own(e)) {
        others.extend(&e.fields);
    }

    let mut result = match live {
        Some(l) => l.clone(),
        None => json!({}),
    };
    for path in previous.difference(&applied).iter() {
        if applied.contains_prefix(path) || others.contains_prefix(path) {
            continue;
        }
        remove_at(&mut result, path);
    }
    merge(&mut result, &config, cursor);
    if let Some(obj) = result.as_object_mut() {
        for k in ["apiVersion", "kind"] {
            if let Some(v) = config.get(k) {
                obj.insert(k.into(), v.clone());
            }
        }
    }

    if a.manager == KUBECTL && result.pointer(LAST_APPLIED_PTR).is_some() {
        // Keep client-side apply's record in step, so a later `kubectl apply` (client-side)
        // computes its patch from what was applied last.
        let recorded = last_applied_of(&config);
        if let Some(ann) = result
            .pointer_mut("/metadata/annotations")
            .and_then(Value::as_object_mut)
        {
            ann.insert(LAST_APPLIED.into(), Value::String(recorded));
        }
    }
    if let Some(normalize) = a.normalize {
        normalize(&mut result);
    }
    let changed = live
        .map(|l| strip_managed(l) != strip_managed(&result))
        .unwrap_or(true);
    match entries.iter_mut().find(|e| own(e)) {
        Some(e) => {
            if e.fields != applied || changed || e.api_version != a.api_version {
                e.time = a.now.to_string();
            }
            e.fields = applied;
            e.api_version = a.api_version.to_string();
        }
        None => entries.push(Entry {
            manager: a.manager.to_string(),
            operation: Operation::Apply,
            api_version: a.api_version.to_string(),
            time: a.now.to_string(),
            subresource: a.subresource.to_string(),
            fields: applied,
        }),
    }
    managed::write(&mut result, &entries);
    Ok(result)
}

/// The field manager of `kubectl apply --server-side`.
const KUBECTL: &str = "kubectl";
/// Client-side apply's record of the last applied configuration.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
const LAST_APPLIED_PTR: &str =
    "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration";

/// Moving from client-side to server-side apply: conflicts of kubectl's server-side apply
/// are overridden when every conflicting field is in the object's last-applied
/// configuration, i.e. was set by a client-side apply.
fn last_applied_allows(
    live: &Value,
    conflicts: &[(usize, FieldPath)],
    cursor: Cursor<'_>,
    manager: &str,
) -> bool {
    if manager != KUBECTL {
        return false;
    }
    let Some(last) = live
        .pointer(LAST_APPLIED_PTR)
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
    else {
        return false;
    };
    let allowed = fields_of_object(&last, cursor);
    conflicts.iter().all(|(_, p)| allowed.contains(p))
}

/// The applied configuration as the last-applied annotation records it: JSON with sorted
/// keys (as Go encodes maps), without the annotation itself, ending in a newline.
fn last_applied_of(config: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&m[k])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut c = config.clone();
    if let Some(ann) = c
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        ann.shift_remove(LAST_APPLIED);
    }
    format!("{}\n", sorted(&c))
}

fn single(path: &FieldPath) -> FieldSet {
    let mut s = FieldSet::new();
    s.insert(path.clone());
    s
}

fn strip_managed(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.shift_remove("managedFields");
    }
    v
}

fn find_conflicts(
    live: &Value,
    config: &Value,
    applied: &FieldSet,
    entries: &[Entry],
    own: &dyn Fn(&Entry) -> bool,
) -> Vec<(usize, FieldPath)> {
    let mut out = vec![];
    for path in applied.iter() {
        let live_value = value_at(live, path);
        let differs = if applied.is_interior(path) {
            live_value.is_none()
        } else {
            live_value != value_at(config, path)
        };
        if !differs {
            continue;
        }
        for (idx, e) in entries.iter().enumerate() {
            if !own(e) && e.fields.contains(path) {
                out.push((idx, path.clone()));
            }
        }
    }
    out
}

fn conflict_error(conflicts: &[(usize, FieldPath)], entries: &[Entry]) -> ApiError {
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(idx, path)| {
            json!({
                "reason": "FieldManagerConflict",
                "message": format!("conflict with {}", entries[*idx].describe()),
                "field": path_string(path),
            })
        })
        .collect();
    let message = if conflicts.len() == 1 {
        let (idx, path) = &conflicts[0];
        format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            entries[*idx].describe(),
            path_string(path)
        )
    } else {
        let mut managers: Vec<String> = conflicts
            .iter()
            .map(|(i, _)| entries[*i].describe())
            .collect();
        managers.sort();
        managers.dedup();
        let mut lines = vec![];
        for m in &managers {
            lines.push(format!("conflicts with {m}:"));
            for (idx, path) in conflicts {
                if entries[*idx].describe() == *m {
                    lines.push(format!("- {}", path_string(path)));
                }
            }
        }
        format!(
            "Apply failed with {} conflicts: {}",
            conflicts.len(),
            lines.join("\n")
        )
    };
    ApiError::new(409, "Conflict", message).with_details(json!({ "causes": causes }))
}

/// Merges `src` into `dst` following the merge rules of the schema.
pub fn merge(dst: &mut Value, src: &Value, cursor: Cursor<'_>) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) if !cursor.map_atomic() => merge_maps(d, s, cursor),
        (Value::Array(d), Value::Array(s)) => match cursor.list_type(s) {
            ListType::Set => {
                for v in s {
                    if !d.contains(v) {
                        d.push(v.clone());
                    }
                }
            }
            ListType::Map(keys) => {
                let items = cursor.items();
                for item in s {
                    let key = item_key(item, &keys);
                    let found = key.as_ref().and_then(|k| {
                        d.iter()
                            .position(|x| item_key(x, &keys).as_ref() == Some(k))
                    });
                    match found {
                        Some(i) => merge(&mut d[i], item, items),
                        None => d.push(item.clone()),
                    }
                }
            }
            ListType::Atomic => *d = s.clone(),
        },
        (d, s) => *d = s.clone(),
    }
}

fn merge_maps(d: &mut Map<String, Value>, s: &Map<String, Value>, cursor: Cursor<'_>) {
    for (k, v) in s {
        match d.get_mut(k) {
            Some(dv) => merge(dv, v, cursor.field(k)),
            None => {
                d.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::SchemaSource;

    fn req<'a>(manager: &'a str, force: bool) -> Apply<'a> {
        Apply {
            manager,
            force,
            api_version: "apps/v1",
            now: "2026-01-01T00:00:00Z",
            ignore_status: true,
            subresource: "",
            normalize: None,
        }
    }

    #[test]
    fn removes_only_unshared_fields() {
        let src = SchemaSource::Builtin;
        let c = Cursor::root(&src);
        let first = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "1", "b": "2"}});
        let live = apply(None, &first, c, &req("one", false)).unwrap();
        let live = apply(
            Some(&live),
            &json!({"metadata": {"name": "x"}, "data": {"b": "2"}}),
            c,
            &req("two", false),
        )
        .unwrap();
        let after = apply(
            Some(&live),
            &json!({"metadata": {"name": "x"}, "data": {}}),
            c,
            &req("one", false),
        )
        .unwrap();
        assert_eq!(after["data"], json!({"b": "2"}));
    }

    #[test]
    fn conflicting_value_is_refused_unless_forced() {
        let src = SchemaSource::Builtin;
        let c = Cursor::root(&src);
        let cfg = |n: i64| json!({"metadata": {"name": "x"}, "spec": {"replicas": n}});
        let live = apply(None, &cfg(1), c, &req("one", false)).unwrap();
        let err = apply(Some(&live), &cfg(2), c, &req("two", false)).unwrap_err();
        assert_eq!(err.code, 409);
        assert_eq!(
            err.message,
            "Apply failed with 1 conflict: conflict with \"one\": .spec.replicas"
        );
        let forced = apply(Some(&live), &cfg(2), c, &req("two", true)).unwrap();
        let owners = managed::read(&forced);
        assert_eq!(owners.len(), 1);
        assert_eq!(owners[0].manager, "two");
    }
}
