//! Making live objects comparable: [`normalize`] drops what the server
//! writes for itself (managedFields, resourceVersion, uid, timestamps,
//! status, ...); [`project`] keeps only the attributes a manifest sets, so a
//! live object can be compared with what Strata last applied without every
//! server default showing up as drift.

use crate::ownership::{owner_at, ManagedFields};
use serde_json::{Map, Value};
use strata_engine::path::Segment;
use strata_engine::provider::FieldOwner;
use strata_engine::AttrPath;

/// Metadata the server maintains; never part of a comparison.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];

/// Removes server-maintained fields and status, in place.
pub fn normalize(obj: &mut Value) {
    if let Some(m) = obj.as_object_mut() {
        m.remove("status");
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            for k in SERVER_METADATA {
                meta.remove(*k);
            }
        }
    }
}

/// The live object seen through a manifest.
#[derive(Debug, Default)]
pub struct Projection {
    /// The live values at the manifest's attributes, in the manifest's shape.
    pub attributes: Value,
    /// Owners (other than Strata) of the projected attributes.
    pub owners: Vec<(AttrPath, FieldOwner)>,
}

/// Projects `live` onto the attributes `manifest` sets. Lists of objects are
/// matched by their merge key (`name`, `containerPort`, `mountPath`, ...) so
/// an element inserted by someone else does not shift every index; an element
/// that is gone shows as `null`. Values the server writes in another form
/// (quantities like `1024Mi` → `1Gi`, omitted zero values) keep the manifest's
/// form when they mean the same.
pub fn project(manifest: &Value, live: &Value, managed: &ManagedFields, me: &str) -> Projection {
    let mut out = Projection::default();
    let mut walk = Walk {
        live_root: live,
        managed,
        me,
        owners: &mut out.owners,
    };
    out.attributes = walk
        .node(manifest, Some(live), &mut Vec::new(), &mut Vec::new())
        .unwrap_or(Value::Null);
    out
}

struct Walk<'a> {
    live_root: &'a Value,
    managed: &'a ManagedFields,
    me: &'a str,
    owners: &'a mut Vec<(AttrPath, FieldOwner)>,
}

impl Walk<'_> {
    /// The projection of `want` (a manifest node) onto `live`; `None` when
    /// the attribute is absent live and not a zero value in the manifest.
    /// `at` is the node's path in the manifest, `live_path` in the live
    /// object (list items may sit at other indices there).
    fn node(
        &mut self,
        want: &Value,
        live: Option<&Value>,
        at: &mut Vec<Segment>,
        live_path: &mut Vec<Segment>,
    ) -> Option<Value> {
        match (want, live) {
            (Value::Object(w), Some(Value::Object(l))) => {
                let mut m = Map::new();
                for (k, wv) in w {
                    live_path.push(Segment::Key(k.clone()));
                    at.push(Segment::Key(k.clone()));
                    if let Some(v) = self.node(wv, l.get(k), at, live_path) {
                        m.insert(k.clone(), v);
                    }
                    at.pop();
                    live_path.pop();
                }
                Some(Value::Object(m))
            }
            (Value::Array(w), Some(Value::Array(l)))
                if w.iter().all(Value::is_object) && !w.is_empty() =>
            {
                let key = merge_key(w, l);
                let mut items = Vec::with_capacity(w.len());
                for (i, wv) in w.iter().enumerate() {
                    let found = match &key {
                        Some(k) => l.iter().position(|lv| same_key(wv, lv, k)),
                        None => (i < l.len()).then_some(i),
                    };
                    match found {
                        Some(j) => {
                            live_path.push(Segment::Index(j));
                            at.push(Segment::Index(i));
                            let v = self.node(wv, Some(&l[j]), at, live_path);
                            at.pop();
                            live_path.pop();
                            items.push(v.unwrap_or(Value::Null));
                        }
                        None => items.push(Value::Null),
                    }
                }
                Some(Value::Array(items))
            }
            (w, None) if is_zero(w) => Some(w.clone()),
            (_, None) => {
                self.note_owner(at, live_path);
                None
            }
            (w, Some(l)) => {
                let v = if same_meaning(w, l) {
                    w.clone()
                } else {
                    l.clone()
                };
                if v != *w {
                    self.note_owner(at, live_path);
                }
                Some(v)
            }
        }
    }

    fn note_owner(&mut self, at: &[Segment], live_path: &[Segment]) {
        if let Some(owner) = owner_at(self.managed, self.live_root, live_path, self.me) {
            self.owners.push((AttrPath(at.to_vec()), owner));
        }
    }
}

/// The key that identifies elements of a list of objects, if one does.
fn merge_key(want: &[Value], live: &[Value]) -> Option<&'static str> {
    const KEYS: &[&str] = &[
        "name",
        "containerPort",
        "mountPath",
        "devicePath",
        "ip",
        "type",
        "port",
    ];
    KEYS.iter().copied().find(|k| {
        want.iter()
            .chain(live)
            .all(|v| v.get(*k).is_some_and(|x| !x.is_null()))
            && unique(want, k)
    })
}

fn unique(items: &[Value], key: &str) -> bool {
    let mut seen: Vec<&Value> = Vec::new();
    for v in items {
        let k = &v[key];
        if seen.contains(&k) {
            return false;
        }
        seen.push(k);
    }
    true
}

fn same_key(a: &Value, b: &Value, key: &str) -> bool {
    a.get(key) == b.get(key)
}

/// Zero values the API server omits when it writes an object back.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// True when two scalars mean the same to the API server: equal, or equal
/// quantities written differently (`1000m` and `1`, `1024Mi` and `1Gi`).
fn same_meaning(want: &Value, live: &Value) -> bool {
    if want == live {
        return true;
    }
    match (want, live) {
        (Value::String(a), Value::String(b)) => match (quantity(a), quantity(b)) {
            (Some(x), Some(y)) => (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs()) * 4.0,
            _ => false,
        },
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a)) => {
            quantity(b).is_some_and(|q| Some(q) == a.as_f64())
        }
        _ => false,
    }
}

/// A Kubernetes quantity (`500m`, `1.5Gi`, `2e3`) as a number, or `None`
/// when the text is not one.
pub fn quantity(s: &str) -> Option<f64> {
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let s = s.trim();
    let (digits, scale) = SUFFIXES
        .iter()
        .find_map(|(suf, scale)| s.strip_suffix(suf).map(|d| (d, *scale)))
        .unwrap_or((s, 1.0));
    let first = digits.chars().next()?;
    if !(first.is_ascii_digit() || matches!(first, '+' | '-' | '.')) {
        return None;
    }
    digits.parse::<f64>().ok().map(|n| n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_compare_by_value() {
        assert!(same_meaning(&json!("1000m"), &json!("1")));
        assert!(same_meaning(&json!("1024Mi"), &json!("1Gi")));
        assert!(!same_meaning(&json!("1Gi"), &json!("1G")));
        assert!(!same_meaning(&json!("web"), &json!("db")));
        assert_eq!(quantity("Always"), None);
        assert_eq!(quantity("1.5k"), Some(1500.0));
    }

    #[test]
    fn projection_keeps_only_manifest_attributes_and_matches_lists_by_key() {
        let manifest = json!({
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "web:1", "resources": {"limits": {"memory": "1024Mi"}}}],
                     "hostNetwork": false}
        });
        let live = json!({
            "metadata": {"name": "web", "uid": "x", "labels": {"app": "web", "extra": "1"}},
            "spec": {"containers": [
                {"name": "sidecar", "image": "envoy"},
                {"name": "app", "image": "web:2", "imagePullPolicy": "IfNotPresent", "resources": {"limits": {"memory": "1Gi"}}}
            ], "dnsPolicy": "ClusterFirst"}
        });
        let p = project(&manifest, &live, &ManagedFields::default(), "strata");
        assert_eq!(
            p.attributes,
            json!({
                "metadata": {"name": "web", "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "web:2", "resources": {"limits": {"memory": "1024Mi"}}}],
                         "hostNetwork": false}
            })
        );
    }

    #[test]
    fn removed_elements_show_as_null() {
        let manifest = json!({"ports": [{"name": "a", "port": 1}, {"name": "b", "port": 2}]});
        let live = json!({"ports": [{"name": "b", "port": 2}]});
        let p = project(&manifest, &live, &ManagedFields::default(), "strata");
        assert_eq!(
            p.attributes,
            json!({"ports": [null, {"name": "b", "port": 2}]})
        );
    }

    #[test]
    fn normalize_drops_server_fields() {
        let mut v = json!({"metadata": {"name": "a", "uid": "u", "resourceVersion": "3", "managedFields": []}, "status": {"x": 1}, "data": {}});
        normalize(&mut v);
        assert_eq!(v, json!({"metadata": {"name": "a"}, "data": {}}));
    }
}
