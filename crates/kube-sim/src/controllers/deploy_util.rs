//! What the deployment and replica set controllers share, after the real
//! `pkg/controller/deployment/util`: revisions and the annotations that carry them, the
//! pod-template-hash, rolling-update fenceposts, Deployment conditions, controller references
//! and the writes the controllers make.

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use crate::meta;
use crate::resources::ResKey;
use crate::status::ApiResult;
use crate::store::State;
use crate::write::{self, Ctx, Propagation};

/// Field manager of the controllers' writes.
pub const MANAGER: &str = "kube-controller-manager";
/// The revision of a Deployment and of each of its ReplicaSets.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// Revisions a re-used ReplicaSet served before.
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// `spec.replicas` of the Deployment when it last sized the ReplicaSet.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// `spec.replicas` plus maxSurge of the Deployment when it last sized the ReplicaSet.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// The label that tells the ReplicaSets (and pods) of one Deployment apart.
pub const HASH_LABEL: &str = "pod-template-hash";
/// The longest `revision-history` annotation the controller writes (its default flag).
const MAX_REV_HISTORY_CHARS: usize = 2000;

/// The Deployment resource.
pub fn deployments() -> ResKey {
    ResKey::new("apps", "deployments")
}

/// The ReplicaSet resource.
pub fn replicasets() -> ResKey {
    ResKey::new("apps", "replicasets")
}

/// The Pod resource.
pub fn pods() -> ResKey {
    ResKey::new("", "pods")
}

/// An integer at a JSON pointer, 0 when absent.
pub fn int(obj: &Value, ptr: &str) -> i64 {
    obj.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

/// `spec.replicas` (defaulted to 1 by the server, so absent only in odd objects).
pub fn spec_replicas(obj: &Value) -> i64 {
    obj.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// An annotation's value.
pub fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// Sets an annotation; returns whether it changed.
pub fn set_annotation(obj: &mut Value, key: &str, value: &str) -> bool {
    if annotation(obj, key) == Some(value) {
        return false;
    }
    let m = meta::meta_mut(obj);
    let a = m.entry("annotations").or_insert_with(|| json!({}));
    if !a.is_object() {
        *a = json!({});
    }
    a[key] = json!(value);
    true
}

/// The uid in the controller reference of `obj`, if any.
pub fn controller_uid(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller") == Some(&Value::Bool(true)))?
        .get("uid")?
        .as_str()
}

/// The controller reference a controller puts on what it creates (`metav1.NewControllerRef`).
pub fn controller_ref(owner: &Value, kind: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": kind, "name": meta::name(owner), "uid": meta::uid(owner),
        "controller": true, "blockOwnerDeletion": true,
    })
}

/// Adoption as `ClaimObject` does it: objects of `key` in the owner's namespace without a
/// controller, not being deleted, whose labels the owner's selector matches, get the owner's
/// controller reference. Returns whether any was adopted.
pub fn adopt_orphans(st: &mut State, key: &ResKey, owner: &Value, kind: &str) -> bool {
    let selector = owner.pointer("/spec/selector");
    let selects = selector.is_some_and(|s| {
        ["matchLabels", "matchExpressions"].iter().any(|k| {
            s.get(*k).is_some_and(|v| match v {
                Value::Object(m) => !m.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => false,
            })
        })
    });
    if !selects || meta::is_deleting(owner) {
        return false;
    }
    let orphans: Vec<Value> = st
        .list(key, Some(meta::namespace(owner)))
        .filter(|o| {
            controller_uid(o).is_none()
                && !meta::is_deleting(o)
                && crate::validate::selector_matches(selector, o.pointer("/metadata/labels"))
        })
        .cloned()
        .collect();
    let mut adopted = false;
    for mut o in orphans {
        let m = meta::meta_mut(&mut o);
        let refs = m.entry("ownerReferences").or_insert_with(|| json!([]));
        if let Some(a) = refs.as_array_mut() {
            a.push(controller_ref(owner, kind));
        }
        adopted |= update_as(st, key, o, MANAGER, "").is_ok();
    }
    adopted
}

/// The revision annotation as a number; `None` when it does not parse (such sets are skipped).
pub fn revision(rs: &Value) -> Option<i64> {
    match annotation(rs, REVISION) {
        None => Some(0),
        Some(v) => v.parse().ok(),
    }
}

/// Oldest first, ties by name (`controller.ReplicaSetsByCreationTimestamp`).
pub fn by_creation(a: &Value, b: &Value) -> Ordering {
    let t = |o: &Value| {
        o.pointer("/metadata/creationTimestamp")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    t(a).cmp(&t(b))
        .then_with(|| meta::name(a).cmp(meta::name(b)))
}

/// Whether two pod templates are equal once the pod-template-hash label is ignored.
pub fn equal_ignore_hash(a: Option<&Value>, b: Option<&Value>) -> bool {
    let strip = |t: Option<&Value>| {
        let mut t = t.cloned().unwrap_or(Value::Null);
        if let Some(labels) = t
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            labels.shift_remove(HASH_LABEL);
            if labels.is_empty() {
                if let Some(m) = t.get_mut("metadata").and_then(Value::as_object_mut) {
                    m.shift_remove("labels");
                }
            }
        }
        t
    };
    strip(a) == strip(b)
}

/// FNV-1a, 32 bits: what `controller.ComputeHash` feeds the template into.
struct Fnv32a(u32);

impl Fnv32a {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u32::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0193);
        }
    }

    /// Feeds a JSON value with object keys in sorted order, so the hash does not depend on
    /// the order a manifest listed them in.
    fn value(&mut self, v: &Value) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                self.write(b"{");
                for k in keys {
                    self.write(k.as_bytes());
                    self.write(b":");
                    self.value(&m[k]);
                    self.write(b",");
                }
                self.write(b"}");
            }
            Value::Array(a) => {
                self.write(b"[");
                for x in a {
                    self.value(x);
                    self.write(b",");
                }
                self.write(b"]");
            }
            other => self.write(other.to_string().as_bytes()),
        }
    }
}

/// `rand.SafeEncodeString`: each byte mapped onto consonants and digits, so that hashes
/// never spell words.
fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char)
        .collect()
}

/// The pod-template-hash of a template (`controller.ComputeHash`): FNV-1a of the template,
/// then of the collision count, printed in decimal and safely encoded. The real hash feeds
/// Go's printed form of the typed template, which differs, so the values differ from a real
/// server's, but have their shape and stability.
pub fn template_hash(template: &Value, collision_count: Option<i64>) -> String {
    let mut h = Fnv32a(0x811c_9dc5);
    h.value(template);
    if let Some(c) = collision_count {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&(c as u32).to_le_bytes());
        h.write(&bytes);
    }
    safe_encode(&h.0.to_string())
}

/// `intstr.GetScaledValueFromIntOrPercent`.
fn scaled(v: Option<&Value>, total: i64, round_up: bool) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(p) if round_up => (p * total + 99).div_euclid(100),
            Some(p) => (p * total).div_euclid(100),
            None => s.parse().unwrap_or(0),
        },
        _ => 0,
    }
}

/// Whether the Deployment rolls pods over gradually (the default) rather than recreating them.
pub fn is_rolling(d: &Value) -> bool {
    d.pointer("/spec/strategy/type")
        .and_then(Value::as_str)
        .unwrap_or("RollingUpdate")
        == "RollingUpdate"
}

/// `ResolveFenceposts`: maxSurge rounded up and maxUnavailable rounded down, never both 0.
fn fenceposts(d: &Value) -> (i64, i64) {
    let desired = spec_replicas(d);
    let ru = d.pointer("/spec/strategy/rollingUpdate");
    let pct = json!("25%");
    let surge = scaled(
        Some(ru.and_then(|r| r.get("maxSurge")).unwrap_or(&pct)),
        desired,
        true,
    );
    let unavailable = scaled(
        Some(ru.and_then(|r| r.get("maxUnavailable")).unwrap_or(&pct)),
        desired,
        false,
    );
    if surge == 0 && unavailable == 0 {
        return (0, 1);
    }
    (surge, unavailable)
}

/// `MaxSurge`: how many pods above `spec.replicas` a rolling update may run.
pub fn max_surge(d: &Value) -> i64 {
    if !is_rolling(d) {
        return 0;
    }
    fenceposts(d).0
}

/// `MaxUnavailable`: how many pods below `spec.replicas` a rolling update may go.
pub fn max_unavailable(d: &Value) -> i64 {
    let replicas = spec_replicas(d);
    if !is_rolling(d) || replicas == 0 {
        return 0;
    }
    fenceposts(d).1.min(replicas)
}

/// `SetReplicasAnnotations`; returns whether anything changed.
pub fn set_replicas_annotations(rs: &mut Value, desired: i64, max: i64) -> bool {
    let a = set_annotation(rs, DESIRED_REPLICAS, &desired.to_string());
    let b = set_annotation(rs, MAX_REPLICAS, &max.to_string());
    a || b
}

/// Annotations the Deployment does not hand down to its ReplicaSets (and a rollback keeps).
pub fn skip_copy(key: &str) -> bool {
    matches!(
        key,
        "kubectl.kubernetes.io/last-applied-configuration"
            | REVISION
            | REVISION_HISTORY
            | DESIRED_REPLICAS
            | MAX_REPLICAS
            | "deprecated.deployment.rollback.to"
    )
}

/// `SetNewReplicaSetAnnotations`: copies the Deployment's annotations, raises the revision
/// (remembering the one it had when a rollback re-uses the set) and, for a set about to be
/// created, records the replica counts. Returns whether anything changed.
pub fn set_new_rs_annotations(d: &Value, rs: &mut Value, new_revision: i64, exists: bool) -> bool {
    let mut changed = false;
    if let Some(a) = d
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
    {
        for (k, v) in a {
            if let (false, Some(v)) = (skip_copy(k), v.as_str()) {
                changed |= set_annotation(rs, k, v);
            }
        }
    }
    let old = annotation(rs, REVISION).map(str::to_string);
    let old_int = match old.as_deref() {
        None | Some("") => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(v) => v,
            Err(_) => return false,
        },
    };
    if old_int < new_revision {
        set_annotation(rs, REVISION, &new_revision.to_string());
        changed = true;
        if let Some(old) = old {
            let history = annotation(rs, REVISION_HISTORY).unwrap_or("").to_string();
            if history.is_empty() {
                set_annotation(rs, REVISION_HISTORY, &old);
            } else {
                let mut revs: Vec<&str> = history.split(',').collect();
                let mut total = history.len() + old.len() + 1;
                let mut start = 0;
                while total > MAX_REV_HISTORY_CHARS && start < revs.len() {
                    total -= revs[start].len() + 1;
                    start += 1;
                }
                if total <= MAX_REV_HISTORY_CHARS {
                    revs = revs.split_off(start);
                    revs.push(&old);
                    set_annotation(rs, REVISION_HISTORY, &revs.join(","));
                }
            }
        }
    }
    if !exists {
        let r = spec_replicas(d);
        changed |= set_replicas_annotations(rs, r, r + max_surge(d));
    }
    changed
}

/// Whether the Deployment reports stalled rollouts (`HasProgressDeadline`).
pub fn has_progress_deadline(d: &Value) -> bool {
    d.pointer("/spec/progressDeadlineSeconds")
        .and_then(Value::as_i64)
        .is_some_and(|s| s != i64::from(i32::MAX))
}

/// A Deployment condition stamped `now`.
pub fn condition(kind: &str, status: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({
        "type": kind, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
        "reason": reason, "message": message,
    })
}

/// The condition of a type in a status.
pub fn get_condition<'a>(status: &'a Value, kind: &str) -> Option<&'a Value> {
    status
        .get("conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

/// Removes the condition of a type.
pub fn remove_condition(status: &mut Value, kind: &str) {
    if let Some(a) = status.get_mut("conditions").and_then(Value::as_array_mut) {
        a.retain(|c| c["type"] != kind);
    }
}

/// `SetDeploymentCondition`: nothing when status and reason are unchanged, the transition
/// time kept when only the reason changes, and the condition moved to the end.
pub fn set_condition(status: &mut Value, mut cond: Value) {
    if let Some(cur) = get_condition(status, cond["type"].as_str().unwrap_or("")) {
        if cur["status"] == cond["status"] && cur["reason"] == cond["reason"] {
            return;
        }
        if cur["status"] == cond["status"] {
            cond["lastTransitionTime"] = cur["lastTransitionTime"].clone();
        }
    }
    remove_condition(status, cond["type"].as_str().unwrap_or(""));
    if !status.is_object() {
        *status = json!({});
    }
    let list = status
        .as_object_mut()
        .map(|m| m.entry("conditions").or_insert_with(|| json!([])));
    if let Some(Value::Array(a)) = list {
        a.push(cond);
    }
}

fn ctx<'a>(manager: &'a str, subresource: &'a str) -> Ctx<'a> {
    Ctx {
        manager,
        subresource,
        dry_run: false,
        track: true,
    }
}

/// Replaces the stored object `new` names (its resourceVersion is taken from the store: the
/// controllers hold the lock, nothing can have changed in between). `subresource` is "" or
/// "status".
pub fn update_as(
    st: &mut State,
    key: &ResKey,
    mut new: Value,
    manager: &str,
    subresource: &'static str,
) -> ApiResult<Value> {
    let rt = super::type_of(st, key)
        .ok_or_else(|| crate::status::ApiError::internal("type not served"))?;
    let old = st
        .get(key, meta::namespace(&new), meta::name(&new))
        .cloned()
        .ok_or_else(|| {
            crate::status::ApiError::not_found(&rt.group, &rt.plural, meta::name(&new))
        })?;
    meta::meta_mut(&mut new).insert(
        "resourceVersion".into(),
        json!(meta::resource_version(&old)),
    );
    write::update(st, &rt, &old, new, &ctx(manager, subresource)).map(|(v, _)| v)
}

/// Creates an object in namespace `ns` as `manager`.
pub fn create_as(
    st: &mut State,
    key: &ResKey,
    ns: &str,
    obj: Value,
    manager: &str,
) -> ApiResult<Value> {
    let rt = super::type_of(st, key)
        .ok_or_else(|| crate::status::ApiError::internal("type not served"))?;
    write::create(st, &rt, ns, obj, &ctx(manager, ""))
}

/// Deletes an object (background propagation, as the controllers do).
pub fn delete(st: &mut State, key: &ResKey, ns: &str, name: &str) -> bool {
    let Some(rt) = super::type_of(st, key) else {
        return false;
    };
    write::delete(st, &rt, ns, name, Propagation::Background, false).is_ok()
}

/// A JSON object without the entries whose value is 0, as Go's `omitempty` prints counts.
pub fn omit_zero(pairs: &[(&str, i64)]) -> Map<String, Value> {
    pairs
        .iter()
        .filter(|(_, v)| *v != 0)
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_look_like_real_ones_and_ignore_key_order() {
        let a = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}});
        let b = json!({"spec": {"containers": [{"image": "nginx", "name": "web"}]}, "metadata": {"labels": {"app": "web"}}});
        let h = template_hash(&a, None);
        assert_eq!(h, template_hash(&b, None));
        assert_ne!(h, template_hash(&a, Some(1)));
        assert!(
            h.len() <= 10 && h.chars().all(|c| "456789bcdf".contains(c)),
            "{h}"
        );
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailable_down() {
        let d = |r: i64, s: Value, u: Value| json!({"spec": {"replicas": r, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": s, "maxUnavailable": u}}}});
        assert_eq!(max_surge(&d(1, json!("25%"), json!("25%"))), 1);
        assert_eq!(max_unavailable(&d(1, json!("25%"), json!("25%"))), 0);
        assert_eq!(max_surge(&d(10, json!("25%"), json!("25%"))), 3);
        assert_eq!(max_unavailable(&d(10, json!("25%"), json!("25%"))), 2);
        assert_eq!(max_unavailable(&d(3, json!(0), json!("10%"))), 1);
    }

    #[test]
    fn rollback_raises_the_revision_and_keeps_the_old_one() {
        let d = json!({"metadata": {"annotations": {"team": "a", REVISION: "2"}}, "spec": {"replicas": 2}});
        let mut rs = json!({"metadata": {"annotations": {REVISION: "1"}}});
        assert!(set_new_rs_annotations(&d, &mut rs, 3, true));
        assert_eq!(annotation(&rs, REVISION), Some("3"));
        assert_eq!(annotation(&rs, REVISION_HISTORY), Some("1"));
        assert_eq!(annotation(&rs, "team"), Some("a"));
        assert!(set_new_rs_annotations(&d, &mut rs, 5, true));
        assert_eq!(annotation(&rs, REVISION_HISTORY), Some("1,3"));
        assert!(!set_new_rs_annotations(&d, &mut rs, 4, true));
    }
}
