//! A Deployment's status as the real controller computes it (`calculateStatus` and the
//! checks of `syncRolloutStatus`): counts summed over its ReplicaSets, the Available
//! condition, and whether the rollout completed, progressed or timed out.

use serde_json::{json, Value};

use super::deploy_util::{self as u, int, spec_replicas};

/// The sum of an integer field over ReplicaSets.
pub fn sum(sets: &[&Value], ptr: &str) -> i64 {
    sets.iter().map(|rs| int(rs, ptr)).sum()
}

/// `DeploymentComplete`.
pub fn complete(d: &Value, status: &Value) -> bool {
    let want = spec_replicas(d);
    int(status, "/updatedReplicas") == want
        && int(status, "/replicas") == want
        && int(status, "/availableReplicas") == want
        && int(status, "/observedGeneration") >= int(d, "/metadata/generation")
}

/// `DeploymentProgressing`: more pods updated, ready or available, or fewer old ones.
pub fn progressing(old: &Value, new: &Value) -> bool {
    let olds = |s: &Value| int(s, "/replicas") - int(s, "/updatedReplicas");
    int(new, "/updatedReplicas") > int(old, "/updatedReplicas")
        || olds(new) < olds(old)
        || int(new, "/readyReplicas") > int(old, "/readyReplicas")
        || int(new, "/availableReplicas") > int(old, "/availableReplicas")
}

/// `DeploymentTimedOut`: no progress recorded for `progressDeadlineSeconds`.
pub fn timed_out(d: &Value, status: &Value) -> bool {
    let Some(cond) = u::get_condition(status, "Progressing") else {
        return false;
    };
    match cond["reason"].as_str() {
        Some("NewReplicaSetAvailable") => return false,
        Some("ProgressDeadlineExceeded") => return true,
        _ => {}
    }
    let deadline = int(d, "/spec/progressDeadlineSeconds");
    let Some(from) = cond["lastUpdateTime"]
        .as_str()
        .and_then(|t| humantime::parse_rfc3339(t).ok())
    else {
        return false;
    };
    from + std::time::Duration::from_secs(deadline.max(0) as u64) < std::time::SystemTime::now()
}

/// `calculateStatus`: counts summed over the sets, and the Available condition.
pub fn calculate_status(d: &Value, all: &[&Value], new: Option<&Value>, now: &str) -> Value {
    let available = sum(all, "/status/availableReplicas");
    let total: i64 = all.iter().map(|rs| spec_replicas(rs)).sum();
    let new: Vec<&Value> = new.into_iter().collect();
    let mut status = u::omit_zero(&[
        ("observedGeneration", int(d, "/metadata/generation")),
        ("replicas", sum(all, "/status/replicas")),
        ("updatedReplicas", sum(&new, "/status/replicas")),
        ("readyReplicas", sum(all, "/status/readyReplicas")),
        ("availableReplicas", available),
        ("unavailableReplicas", (total - available).max(0)),
    ]);
    let terminating: Option<i64> = all
        .iter()
        .map(|rs| {
            rs.pointer("/status/terminatingReplicas")
                .and_then(Value::as_i64)
        })
        .sum();
    if let Some(t) = terminating {
        status.insert("terminatingReplicas".into(), json!(t));
    }
    if let Some(c) = d.pointer("/status/conditions") {
        status.insert("conditions".into(), c.clone());
    }
    if let Some(c) = d.pointer("/status/collisionCount") {
        status.insert("collisionCount".into(), c.clone());
    }
    let mut status = Value::Object(status);
    let cond = if available >= spec_replicas(d) - u::max_unavailable(d) {
        u::condition(
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            now,
        )
    } else {
        u::condition(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            now,
        )
    };
    u::set_condition(&mut status, cond);
    // Conditions come before collisionCount, as the real type orders its fields.
    if let Some(m) = status.as_object_mut() {
        if let Some(c) = m.shift_remove("collisionCount") {
            m.insert("collisionCount".into(), c);
        }
    }
    status
}
