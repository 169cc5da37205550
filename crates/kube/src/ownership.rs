//! Who owns what: an object's `managedFields` (FieldsV1 sets) read so that a
//! drifted attribute can name the field manager that wrote it and when.

use serde_json::Value;
use strata_engine::path::Segment;
use strata_engine::provider::FieldOwner;

/// One `managedFields` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedEntry {
    /// The field manager (`strata`, `kubectl`, `kubectl-edit`, ...).
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// When it last wrote (RFC 3339).
    pub time: Option<String>,
    /// The subresource it wrote through (`scale`, `status`), if any.
    pub subresource: Option<String>,
    /// The FieldsV1 set.
    pub fields: Value,
}

/// An object's managed fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ManagedFields(pub Vec<ManagedEntry>);

impl ManagedFields {
    /// Reads `metadata.managedFields` of an object.
    pub fn of(obj: &Value) -> Self {
        let entries = obj["metadata"]["managedFields"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| entry(e, e["fieldsV1"].clone()))
                    .collect()
            })
            .unwrap_or_default();
        ManagedFields(entries)
    }

    /// Like [`ManagedFields::of`], but moves the entries out of `obj`, which
    /// is left without `metadata.managedFields`: cheaper when the object is
    /// only compared afterwards.
    pub fn take(obj: &mut Value) -> Self {
        let Some(Value::Array(list)) = obj
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
            .and_then(|m| m.remove("managedFields"))
        else {
            return ManagedFields::default();
        };
        let entries = list
            .into_iter()
            .filter_map(|mut e| {
                let fields = e.get_mut("fieldsV1").map(Value::take).unwrap_or_default();
                entry(&e, fields)
            })
            .collect();
        ManagedFields(entries)
    }

    /// Every manager other than `me` that owns something, in order of appearance.
    pub fn others(&self, me: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in &self.0 {
            if e.manager != me && !out.contains(&e.manager) {
                out.push(e.manager.clone());
            }
        }
        out
    }

    /// True when `manager` owns the field at `path` of `live` (also when it
    /// owns an atomic value above it).
    pub fn owns(&self, manager: &str, live: &Value, path: &[Segment]) -> bool {
        self.0
            .iter()
            .any(|e| e.manager == manager && contains(&e.fields, live, path))
    }
}

/// The most recent writer other than `me` of the field at `path` in `live`.
pub fn owner_at(
    managed: &ManagedFields,
    live: &Value,
    path: &[Segment],
    me: &str,
) -> Option<FieldOwner> {
    managed
        .0
        .iter()
        .filter(|e| e.manager != me && contains(&e.fields, live, path))
        .max_by(|a, b| a.time.cmp(&b.time))
        .map(|e| FieldOwner {
            manager: e.manager.clone(),
            time: e.time.clone(),
        })
}

/// True when the FieldsV1 set `set` covers `path` of `live`.
fn contains(set: &Value, live: &Value, path: &[Segment]) -> bool {
    let mut node = set;
    let mut value = live;
    for seg in path {
        let Some(children) = node.as_object() else {
            return false;
        };
        if children.is_empty() {
            // A leaf: the whole value below is owned (an atomic map or list).
            return true;
        }
        let next = match seg {
            Segment::Key(k) => {
                let next = children.get(&format!("f:{k}"));
                value = value.get(k).unwrap_or(&Value::Null);
                next
            }
            Segment::Index(i) => {
                let element = value.get(*i).unwrap_or(&Value::Null);
                let next = children
                    .iter()
                    .find_map(|(key, child)| element_matches(key, element, *i).then_some(child));
                value = element;
                next
            }
        };
        match next {
            Some(n) => node = n,
            None => return false,
        }
    }
    true
}

/// True when a FieldsV1 list key (`k:{..}`, `v:..`, `i:N`) names `element`.
fn element_matches(key: &str, element: &Value, index: usize) -> bool {
    if let Some(k) = key.strip_prefix("k:") {
        let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(k) else {
            return false;
        };
        fields.iter().all(|(f, v)| element.get(f) == Some(v))
    } else if let Some(v) = key.strip_prefix("v:") {
        serde_json::from_str::<Value>(v).is_ok_and(|v| v == *element)
    } else if let Some(i) = key.strip_prefix("i:") {
        i.parse::<usize>() == Ok(index)
    } else {
        false
    }
}

/// One FieldsV1 entry of `managedFields`, with its field set given apart.
fn entry(e: &Value, fields: Value) -> Option<ManagedEntry> {
    if e.get("fieldsType").and_then(Value::as_str) != Some("FieldsV1") {
        return None;
    }
    Some(ManagedEntry {
        manager: e["manager"].as_str().unwrap_or("unknown").to_string(),
        operation: e["operation"].as_str().unwrap_or_default().to_string(),
        time: e["time"].as_str().map(str::to_string),
        subresource: e["subresource"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(segs: &[Segment]) -> Vec<Segment> {
        segs.to_vec()
    }

    #[test]
    fn finds_the_manager_of_a_keyed_list_element() {
        let live = json!({
            "metadata": {"managedFields": [
                {"manager": "strata", "operation": "Apply", "time": "2026-11-27T10:00:00Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:name": {}}}}}}}},
                {"manager": "kubectl-edit", "operation": "Update", "time": "2026-11-27T10:42:00Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {"f:image": {}}}}}}}}
            ]},
            "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:2"}]}}}
        });
        let mf = ManagedFields::of(&live);
        let p = path(&[
            Segment::Key("spec".into()),
            Segment::Key("template".into()),
            Segment::Key("spec".into()),
            Segment::Key("containers".into()),
            Segment::Index(0),
            Segment::Key("image".into()),
        ]);
        let o = owner_at(&mf, &live, &p, "strata").unwrap();
        assert_eq!(o.manager, "kubectl-edit");
        assert_eq!(o.time.as_deref(), Some("2026-11-27T10:42:00Z"));
        assert!(mf.owns("strata", &live, &p[..5]));
        assert!(!mf.owns("strata", &live, &p));
        assert_eq!(mf.others("strata"), vec!["kubectl-edit".to_string()]);
    }

    #[test]
    fn atomic_values_are_owned_whole() {
        let live = json!({
            "metadata": {"managedFields": [
                {"manager": "kubectl", "operation": "Update", "subresource": "scale", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:spec": {"f:args": {}}}}
            ]},
            "spec": {"args": ["a", "b"]}
        });
        let mf = ManagedFields::of(&live);
        let p = path(&[
            Segment::Key("spec".into()),
            Segment::Key("args".into()),
            Segment::Index(1),
        ]);
        assert_eq!(
            owner_at(&mf, &live, &p, "strata").unwrap().manager,
            "kubectl"
        );
        assert_eq!(mf.0[0].subresource.as_deref(), Some("scale"));
    }
}
