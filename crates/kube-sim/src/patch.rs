//! Non-apply patches: JSON patch, JSON merge patch and strategic merge patch.

use serde_json::{Map, Value};

use crate::schema::{item_key, Cursor, ListType};
use crate::status::{ApiError, ApiResult};

/// The patch formats accepted on PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/json-patch+json`.
    Json,
    /// `application/merge-patch+json`.
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply).
    Apply,
}

impl PatchKind {
    /// Maps a Content-Type to a patch kind.
    pub fn from_content_type(ct: &str) -> Option<PatchKind> {
        let base = ct.split(';').next().unwrap_or("").trim();
        match base {
            "application/json-patch+json" => Some(PatchKind::Json),
            "application/merge-patch+json" => Some(PatchKind::Merge),
            "application/strategic-merge-patch+json" => Some(PatchKind::Strategic),
            "application/apply-patch+yaml"
            | "application/apply-patch+json"
            | "application/apply-patch+cbor" => Some(PatchKind::Apply),
            _ => None,
        }
    }
}

/// Applies a JSON, merge or strategic merge patch to `target`.
pub fn patch(
    target: &Value,
    body: &Value,
    kind: PatchKind,
    cursor: Cursor<'_>,
) -> ApiResult<Value> {
    let mut out = target.clone();
    match kind {
        PatchKind::Json => {
            let p: json_patch::Patch = serde_json::from_value(body.clone())
                .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
            json_patch::patch(&mut out, &p).map_err(|e| {
                ApiError::new(
                    422,
                    "Invalid",
                    format!("the server rejected our request due to an error in our request: {e}"),
                )
            })?;
        }
        PatchKind::Merge => {
            if !body.is_object() {
                return Err(ApiError::bad_request("merge patch must be a JSON object"));
            }
            json_patch::merge(&mut out, body);
        }
        PatchKind::Strategic => {
            let Some(b) = body.as_object() else {
                return Err(ApiError::bad_request(
                    "strategic merge patch must be a JSON object",
                ));
            };
            strategic(&mut out, b, cursor);
        }
        PatchKind::Apply => {
            return Err(ApiError::internal(
                "apply patches are handled by server-side apply",
            ))
        }
    }
    Ok(out)
}

fn strategic(dst: &mut Value, patch: &Map<String, Value>, cursor: Cursor<'_>) {
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut p = patch.clone();
        p.shift_remove("$patch");
        *dst = Value::Object(p);
        return;
    }
    if !dst.is_object() {
        *dst = Value::Object(Map::new());
    }
    let retain: Option<Vec<String>> = patch.get("$retainKeys").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    });
    let d = dst.as_object_mut().expect("checked above");
    for (k, v) in patch {
        if k.starts_with('$') {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(del)) = (d.get_mut(field), v.as_array()) {
                list.retain(|x| !del.contains(x));
            }
            continue;
        }
        if k.starts_with("$setElementOrder/") {
            continue;
        }
        if v.is_null() {
            d.shift_remove(k);
            continue;
        }
        let child = cursor.field(k);
        match (d.get_mut(k), v) {
            (Some(existing @ Value::Object(_)), Value::Object(pm)) => {
                strategic(existing, pm, child)
            }
            (Some(Value::Array(existing)), Value::Array(items)) => {
                strategic_list(existing, items, child)
            }
            (_, Value::Object(pm)) => {
                let mut fresh = Value::Object(Map::new());
                strategic(&mut fresh, pm, child);
                d.insert(k.clone(), fresh);
            }
            (_, v) => {
                d.insert(k.clone(), strip_directives(v));
            }
        }
    }
    if let Some(keep) = retain {
        d.retain(|k, _| keep.contains(k));
    }
}

fn strategic_list(existing: &mut Vec<Value>, items: &[Value], cursor: Cursor<'_>) {
    let all: Vec<Value> = existing.iter().chain(items.iter()).cloned().collect();
    match cursor.list_type(&all) {
        ListType::Map(keys) => {
            let merge_key = &keys[..1];
            let item_cursor = cursor.items();
            for item in items {
                let Some(obj) = item.as_object() else {
                    continue;
                };
                let key = item_key(item, merge_key);
                let pos = key.as_ref().and_then(|k| {
                    existing
                        .iter()
                        .position(|x| item_key(x, merge_key).as_ref() == Some(k))
                });
                match obj.get("$patch").and_then(Value::as_str) {
                    Some("delete") => {
                        if let Some(i) = pos {
                            existing.remove(i);
                        }
                    }
                    _ => match pos {
                        Some(i) => strategic(&mut existing[i], obj, item_cursor),
                        None => existing.push(strip_directives(item)),
                    },
                }
            }
        }
        ListType::Set => {
            for v in items {
                if !existing.contains(v) {
                    existing.push(v.clone());
                }
            }
        }
        ListType::Atomic => *existing = items.iter().map(strip_directives).collect(),
    }
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| !k.starts_with('$') && !v.is_null())
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::SchemaSource;
    use serde_json::json;

    #[test]
    fn strategic_merges_containers_by_name() {
        let src = SchemaSource::Builtin;
        let live = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}});
        let p = json!({"spec": {"containers": [{"name": "b", "image": "z"}, {"name": "a", "$patch": "delete"}]}});
        let out = patch(&live, &p, PatchKind::Strategic, Cursor::root(&src)).unwrap();
        assert_eq!(
            out["spec"]["containers"],
            json!([{"name": "b", "image": "z"}])
        );
    }
}
