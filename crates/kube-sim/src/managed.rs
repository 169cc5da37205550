//! `metadata.managedFields`: which manager owns which fields, and how updates move ownership.

use serde_json::{json, Value};

use crate::fieldset::{fields_of_object, value_at, FieldSet};
use crate::schema::Cursor;

/// The operation recorded in a managedFields entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Server-side apply.
    Apply,
    /// Any other write (create, update, non-apply patch).
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One managedFields entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Manager name.
    pub manager: String,
    /// Apply or Update.
    pub operation: Operation,
    /// API version the manager used.
    pub api_version: String,
    /// RFC 3339 time of the last change to this entry.
    pub time: String,
    /// Subresource (`status`, `scale`) or empty.
    pub subresource: String,
    /// Owned fields.
    pub fields: FieldSet,
}

impl Entry {
    /// Whether this entry belongs to the same manager identity as `other`.
    pub fn same_identity(
        &self,
        manager: &str,
        op: Operation,
        api_version: &str,
        sub: &str,
    ) -> bool {
        self.manager == manager
            && self.operation == op
            && self.subresource == sub
            && (op == Operation::Apply || self.api_version == api_version)
    }

    /// Conflict-message rendering of the manager, like the API server's.
    pub fn describe(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            s = format!("{s} with subresource {:?}", self.subresource);
        }
        if self.operation == Operation::Update {
            s = format!("{s} using {}", self.api_version);
        }
        s
    }
}

/// Reads the entries of an object.
pub fn read(obj: &Value) -> Vec<Entry> {
    let Some(list) = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return vec![];
    };
    list.iter()
        .filter_map(|e| {
            Some(Entry {
                manager: e.get("manager")?.as_str().unwrap_or_default().to_string(),
                operation: if e.get("operation").and_then(Value::as_str) == Some("Apply") {
                    Operation::Apply
                } else {
                    Operation::Update
                },
                api_version: e
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                time: e
                    .get("time")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                subresource: e
                    .get("subresource")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                fields: e
                    .get("fieldsV1")
                    .map(FieldSet::from_fields_v1)
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The object whose managedFields an update starts from. A request may replace them: a
/// single empty entry (`[{}]`) resets them, a non-empty list that decodes replaces them
/// (how kubectl moves client-side apply fields to server-side apply); an empty list or an
/// unreadable one keeps the live ones, so clients unaware of the field cannot drop them.
pub fn requested_base(old: &Value, requested: Option<&Value>) -> Value {
    let mut base = old.clone();
    let Some(list) = requested.and_then(Value::as_array) else {
        return base;
    };
    let reset = list.len() == 1 && list[0].as_object().is_some_and(|m| m.is_empty());
    let wanted = if reset {
        vec![]
    } else {
        let entries = read(&json!({ "metadata": { "managedFields": list } }));
        if entries.len() != list.len() || entries.iter().all(|e| e.fields.is_empty()) {
            return base;
        }
        entries
    };
    if let Some(meta) = base.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.shift_remove("managedFields");
    }
    write(&mut base, &wanted);
    base
}

/// Writes entries into an object (dropping empty ones; no entries removes the field).
pub fn write(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation.as_str(),
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": e.fields.to_fields_v1(),
            });
            if !e.subresource.is_empty() {
                v["subresource"] = json!(e.subresource);
            }
            v
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            meta.shift_remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// The identity of a writer.
#[derive(Debug, Clone)]
pub struct Writer<'a> {
    /// Manager name.
    pub manager: &'a str,
    /// API version of the request.
    pub api_version: &'a str,
    /// Subresource written (empty for the main resource).
    pub subresource: &'a str,
    /// Current time (RFC 3339).
    pub now: &'a str,
}

/// Records a non-apply write from `old` (None on create) to `new`: the writer takes the fields
/// it changed, other managers lose them, and removed fields leave every set.
pub fn track_update(old: Option<&Value>, new: &mut Value, cursor: Cursor<'_>, w: &Writer<'_>) {
    let mut entries = old.map(read).unwrap_or_default();
    let new_fields = fields_of_object(new, cursor);
    let (changed, removed) = match old {
        None => (new_fields, FieldSet::new()),
        Some(old) => {
            let old_fields = fields_of_object(old, cursor);
            let mut changed = FieldSet::new();
            for p in new_fields.iter() {
                let interior = new_fields.is_interior(p);
                let before = value_at(old, p);
                let differs = match before {
                    None => true,
                    Some(b) => !interior && Some(b) != value_at(new, p),
                };
                if differs {
                    changed.insert(p.clone());
                }
            }
            (changed, old_fields.difference(&new_fields))
        }
    };
    let changed = match w.subresource {
        // A status write changes status, and metadata only where the type's status strategy
        // lets it through (a Deployment's revision annotation).
        "status" => {
            let mut s = changed.only_under("status");
            s.extend(&changed.only_under("metadata"));
            s
        }
        _ => changed,
    };
    for e in entries.iter_mut() {
        e.fields.remove_all(&changed);
        e.fields.remove_all(&removed);
    }
    if !changed.is_empty() {
        match entries
            .iter_mut()
            .find(|e| e.same_identity(w.manager, Operation::Update, w.api_version, w.subresource))
        {
            Some(e) => {
                e.fields.extend(&changed);
                e.time = w.now.to_string();
            }
            None => entries.push(Entry {
                manager: w.manager.to_string(),
                operation: Operation::Update,
                api_version: w.api_version.to_string(),
                time: w.now.to_string(),
                subresource: w.subresource.to_string(),
                fields: changed,
            }),
        }
    }
    write(new, &entries);
}
