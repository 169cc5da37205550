//! The replica set controller, after the real one (`pkg/controller/replicaset`): each
//! ReplicaSet keeps `spec.replicas` pods from its template (named `<replicaset>-<5 random
//! characters>` through `generateName`, controlled by the set) and reports how many exist,
//! carry the template's labels, are ready and are available. Pods without a controller that
//! its selector matches are adopted.

use std::time::{Duration, SystemTime};

use serde_json::{json, Map, Value};

use super::deploy_util::{self as u, int, pods, replicasets, spec_replicas, MANAGER};
use crate::meta;
use crate::store::State;

/// At most this many pods are created for one set in one round (the real `burstReplicas`).
const BURST: i64 = 500;

/// One round over all ReplicaSets; returns whether anything was written.
pub fn pass(st: &mut State) -> bool {
    let key = replicasets();
    if st.list(&key, None).next().is_none() {
        return false;
    }
    let before = st.rv;
    let all: Vec<(String, String)> = st
        .list(&key, None)
        .map(|rs| (meta::namespace(rs).to_string(), meta::name(rs).to_string()))
        .collect();
    for (ns, name) in all {
        if let Some(rs) = st.get(&key, &ns, &name).cloned() {
            sync(st, &rs);
        }
    }
    st.rv != before
}

fn owned_pods(st: &State, rs: &Value) -> Vec<Value> {
    let uid = meta::uid(rs);
    st.list(&pods(), Some(meta::namespace(rs)))
        .filter(|p| u::controller_uid(p) == Some(uid))
        .cloned()
        .collect()
}

fn is_active(p: &Value) -> bool {
    !meta::is_deleting(p)
        && !matches!(
            p.pointer("/status/phase").and_then(Value::as_str),
            Some("Succeeded" | "Failed")
        )
}

fn ready_condition(p: &Value) -> Option<&Value> {
    p.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// `IsPodAvailable`: ready for at least `minReadySeconds`.
fn is_available(p: &Value, min_ready: i64, now: SystemTime) -> bool {
    let Some(cond) = ready_condition(p) else {
        return false;
    };
    if min_ready <= 0 {
        return true;
    }
    cond["lastTransitionTime"]
        .as_str()
        .and_then(|t| humantime::parse_rfc3339(t).ok())
        .is_some_and(|t| t + Duration::from_secs(min_ready as u64) <= now)
}

/// `syncReplicaSet`: pods created or deleted towards `spec.replicas`, then the status.
fn sync(st: &mut State, rs: &Value) {
    u::adopt_orphans(st, &pods(), rs, "ReplicaSet");
    let mut owned = owned_pods(st, rs);
    if !meta::is_deleting(rs) && manage(st, rs, &owned) {
        owned = owned_pods(st, rs);
    }
    let active: Vec<&Value> = owned.iter().filter(|p| is_active(p)).collect();
    let terminating = owned
        .iter()
        .filter(|p| meta::is_deleting(p) && is_active_phase(p))
        .count() as i64;
    let template_labels = rs
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let fully_labeled = active
        .iter()
        .filter(|p| {
            template_labels
                .iter()
                .all(|(k, v)| p.pointer("/metadata/labels").and_then(|l| l.get(k)) == Some(v))
        })
        .count() as i64;
    let ready = active
        .iter()
        .filter(|p| ready_condition(p).is_some())
        .count() as i64;
    let min_ready = int(rs, "/spec/minReadySeconds");
    let now = SystemTime::now();
    let available = active
        .iter()
        .filter(|p| is_available(p, min_ready, now))
        .count() as i64;
    let mut status = Map::new();
    status.insert("replicas".into(), json!(active.len()));
    status.extend(u::omit_zero(&[
        ("fullyLabeledReplicas", fully_labeled),
        ("readyReplicas", ready),
        ("availableReplicas", available),
    ]));
    status.insert("terminatingReplicas".into(), json!(terminating));
    status.extend(u::omit_zero(&[(
        "observedGeneration",
        int(rs, "/metadata/generation"),
    )]));
    if let Some(c) = rs.pointer("/status/conditions") {
        status.insert("conditions".into(), c.clone());
    }
    let status = Value::Object(status);
    if rs.get("status") != Some(&status) {
        let mut next = rs.clone();
        next["status"] = status;
        let _ = u::update_as(st, &replicasets(), next, MANAGER, "status");
    }
}

fn is_active_phase(p: &Value) -> bool {
    !matches!(
        p.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

/// `manageReplicas`; returns whether pods were created or deleted.
fn manage(st: &mut State, rs: &Value, owned: &[Value]) -> bool {
    let active: Vec<&Value> = owned.iter().filter(|p| is_active(p)).collect();
    let diff = active.len() as i64 - spec_replicas(rs);
    let mut changed = false;
    if diff < 0 {
        for _ in 0..(-diff).min(BURST) {
            let pod = pod_from_template(rs);
            if u::create_as(st, &pods(), meta::namespace(rs), pod, MANAGER).is_err() {
                break;
            }
            changed = true;
        }
    } else if diff > 0 {
        let mut doomed = active;
        doomed.sort_by_key(|p| deletion_rank(p));
        for p in doomed.into_iter().take(diff as usize) {
            changed |= u::delete(st, &pods(), meta::namespace(p), meta::name(p));
        }
    }
    changed
}

/// Which pods go first on scale-down (`ActivePods` ordering, simplified): unscheduled before
/// scheduled, pending before running, not ready before ready, then the newest.
fn deletion_rank(p: &Value) -> (bool, u8, bool, std::cmp::Reverse<String>) {
    let scheduled = p
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let phase = match p.pointer("/status/phase").and_then(Value::as_str) {
        Some("Pending") | None => 0,
        Some("Unknown") => 1,
        _ => 2,
    };
    let created = p
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    (
        scheduled,
        phase,
        ready_condition(p).is_some(),
        std::cmp::Reverse(created),
    )
}

/// `GetPodFromTemplate`: the template's labels, annotations, finalizers and spec, named after
/// the set and controlled by it.
fn pod_from_template(rs: &Value) -> Value {
    let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let mut m = Map::new();
    m.insert("generateName".into(), json!(format!("{}-", meta::name(rs))));
    for k in ["labels", "annotations", "finalizers"] {
        if let Some(v) = template.pointer(&format!("/metadata/{k}")) {
            m.insert(k.into(), v.clone());
        }
    }
    m.insert(
        "ownerReferences".into(),
        json!([u::controller_ref(rs, "ReplicaSet")]),
    );
    json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": m,
        "spec": template.get("spec").cloned().unwrap_or(json!({})),
    })
}
