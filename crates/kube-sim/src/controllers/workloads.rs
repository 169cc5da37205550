//! Workload status without pods: StatefulSets, DaemonSets and Jobs report progress at once and
//! become available (or complete) after the configured rollout delay. (Deployments have real
//! ReplicaSets and pods: see `deployments.rs`.)

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::meta;
use crate::resources::ResKey;
use crate::store::State;

const MANAGER: &str = "kube-controller-manager";

/// Tracks when each object's current generation was first seen.
#[derive(Default)]
pub struct Rollouts {
    seen: HashMap<String, (i64, Instant)>,
}

fn condition(t: &str, status: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({ "type": t, "status": status, "lastUpdateTime": now, "lastTransitionTime": now, "reason": reason, "message": message })
}

/// Keeps condition timestamps when type, status and reason are unchanged.
fn keep_times(old: Option<&Value>, mut new: Value) -> Value {
    let old_conds = old
        .and_then(|o| o.get("conditions"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(conds) = new.get_mut("conditions").and_then(Value::as_array_mut) {
        for c in conds.iter_mut() {
            if let Some(prev) = old_conds.iter().find(|p| {
                p["type"] == c["type"] && p["status"] == c["status"] && p["reason"] == c["reason"]
            }) {
                *c = prev.clone();
            }
        }
    }
    if let (Some(o), Some(n)) = (old, new.as_object_mut()) {
        for k in ["startTime", "completionTime"] {
            if let (Some(v), true) = (o.get(k), n.contains_key(k)) {
                n.insert(k.into(), v.clone());
            }
        }
    }
    new
}

fn statefulset(obj: &Value, gen: i64, ready: bool) -> Value {
    let r = obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let rev = format!("{}-{}", meta::name(obj), gen);
    let ready_n = if ready { r } else { 0 };
    json!({
        "observedGeneration": gen, "replicas": r, "readyReplicas": ready_n, "currentReplicas": r, "updatedReplicas": r,
        "availableReplicas": ready_n, "currentRevision": rev, "updateRevision": rev, "collisionCount": 0,
    })
}

fn daemonset(nodes: i64, gen: i64, ready: bool) -> Value {
    let mut s = json!({
        "observedGeneration": gen, "currentNumberScheduled": nodes, "desiredNumberScheduled": nodes,
        "numberMisscheduled": 0, "updatedNumberScheduled": nodes,
        "numberReady": if ready { nodes } else { 0 },
    });
    if ready {
        s["numberAvailable"] = json!(nodes);
    } else {
        s["numberUnavailable"] = json!(nodes);
    }
    s
}

fn job(obj: &Value, ready: bool, now: &str) -> Value {
    let completions = obj
        .pointer("/spec/completions")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    if ready {
        json!({
            "startTime": now, "completionTime": now, "succeeded": completions, "ready": 0, "terminating": 0,
            "conditions": [
                condition("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", now),
                condition("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now),
            ],
        })
    } else {
        json!({ "startTime": now, "active": 1, "ready": 0, "terminating": 0 })
    }
}

impl Rollouts {
    /// One round; returns whether anything changed.
    pub fn pass(&mut self, st: &mut State, delay: Duration) -> bool {
        let nodes = st.list(&ResKey::new("", "nodes"), None).count() as i64;
        let now = meta::now();
        let mut changed = false;
        let mut live = std::collections::HashSet::new();
        for (group, plural) in [
            ("apps", "statefulsets"),
            ("apps", "daemonsets"),
            ("batch", "jobs"),
        ] {
            let key = ResKey::new(group, plural);
            let Some(rt) = super::type_of(st, &key) else {
                continue;
            };
            let objs: Vec<Value> = st
                .list(&key, None)
                .filter(|o| !meta::is_deleting(o))
                .cloned()
                .collect();
            for obj in objs {
                let uid = meta::uid(&obj).to_string();
                live.insert(uid.clone());
                let gen = obj
                    .pointer("/metadata/generation")
                    .and_then(Value::as_i64)
                    .unwrap_or(1);
                let entry = self.seen.entry(uid).or_insert((gen, Instant::now()));
                if entry.0 != gen {
                    *entry = (gen, Instant::now());
                }
                let ready = entry.1.elapsed() >= delay;
                let already_done =
                    plural == "jobs" && obj.pointer("/status/completionTime").is_some();
                if already_done {
                    continue;
                }
                let status = match plural {
                    "statefulsets" => statefulset(&obj, gen, ready),
                    "daemonsets" => daemonset(nodes, gen, ready),
                    _ => job(&obj, ready, &now),
                };
                let status = keep_times(obj.get("status"), status);
                if obj.get("status") != Some(&status) {
                    changed |= super::write_status(st, &rt, &obj, status, MANAGER).is_ok();
                }
            }
        }
        self.seen.retain(|uid, _| live.contains(uid));
        changed
    }
}
