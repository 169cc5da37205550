//! Defaults of the workload kinds (`apps/v1` and `batch/v1`).

use serde_json::{json, Map, Value};

use super::{child, default, object, pod};

fn spec(obj: &mut Value) -> Option<&mut Map<String, Value>> {
    child(obj.as_object_mut()?, "spec")
}

fn template(s: &mut Map<String, Value>) {
    if let Some(t) = s.get_mut("template") {
        pod::template(t);
    }
}

/// `apps/v1` Deployment.
pub fn deployment(obj: &mut Value) {
    let Some(s) = spec(obj) else { return };
    default(s, "replicas", json!(1));
    if let Some(strategy) = child(s, "strategy") {
        default(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type") == Some(&json!("RollingUpdate")) {
            if let Some(ru) = child(strategy, "rollingUpdate") {
                default(ru, "maxUnavailable", json!("25%"));
                default(ru, "maxSurge", json!("25%"));
            }
        }
    }
    default(s, "revisionHistoryLimit", json!(10));
    default(s, "progressDeadlineSeconds", json!(600));
    template(s);
}

/// `apps/v1` ReplicaSet.
pub fn replica_set(obj: &mut Value) {
    let Some(s) = spec(obj) else { return };
    default(s, "replicas", json!(1));
    template(s);
}

/// `apps/v1` StatefulSet.
pub fn stateful_set(obj: &mut Value) {
    let Some(s) = spec(obj) else { return };
    default(s, "replicas", json!(1));
    default(s, "podManagementPolicy", json!("OrderedReady"));
    if let Some(strategy) = child(s, "updateStrategy") {
        default(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type") == Some(&json!("RollingUpdate")) {
            if let Some(ru) = child(strategy, "rollingUpdate") {
                default(ru, "partition", json!(0));
            }
        }
    }
    default(s, "revisionHistoryLimit", json!(10));
    if let Some(p) = child(s, "persistentVolumeClaimRetentionPolicy") {
        default(p, "whenDeleted", json!("Retain"));
        default(p, "whenScaled", json!("Retain"));
    }
    if let Some(claims) = s
        .get_mut("volumeClaimTemplates")
        .and_then(Value::as_array_mut)
    {
        for c in claims.iter_mut().filter_map(Value::as_object_mut) {
            default(c, "apiVersion", json!("v1"));
            default(c, "kind", json!("PersistentVolumeClaim"));
            if let Some(spec) = c.get_mut("spec") {
                super::misc::pvc_spec(spec);
            }
            if let Some(status) = child(c, "status") {
                default(status, "phase", json!("Pending"));
            }
        }
    }
    template(s);
}

/// `apps/v1` DaemonSet.
pub fn daemon_set(obj: &mut Value) {
    let Some(s) = spec(obj) else { return };
    if let Some(strategy) = child(s, "updateStrategy") {
        default(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type") == Some(&json!("RollingUpdate")) {
            if let Some(ru) = child(strategy, "rollingUpdate") {
                default(ru, "maxUnavailable", json!(1));
                default(ru, "maxSurge", json!(0));
            }
        }
    }
    default(s, "revisionHistoryLimit", json!(10));
    template(s);
}

/// `batch/v1` Job: counts, backoff, completion mode, and (unless `manualSelector`) the
/// generated selector and template labels naming the Job's uid.
pub fn job(obj: &mut Value) {
    let uid = obj
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let template_labels = obj
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()));
    if let Some(m) = obj.as_object_mut().and_then(|o| child(o, "metadata")) {
        let empty = m
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty);
        if let (true, Some(l)) = (empty, template_labels) {
            m.insert("labels".into(), l);
        }
    }
    let Some(s) = spec(obj) else { return };
    if s.get("completions").is_none_or(Value::is_null)
        && s.get("parallelism").is_none_or(Value::is_null)
    {
        s.insert("completions".into(), json!(1));
    }
    default(s, "parallelism", json!(1));
    if s.get("backoffLimitPerIndex").is_none_or(Value::is_null) {
        default(s, "backoffLimit", json!(6));
    } else {
        default(s, "backoffLimit", json!(i32::MAX));
    }
    default(s, "completionMode", json!("NonIndexed"));
    default(s, "suspend", json!(false));
    let replacement = if s.get("podFailurePolicy").is_some_and(|p| !p.is_null()) {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    default(s, "podReplacementPolicy", json!(replacement));
    let manual = s.get("manualSelector") == Some(&Value::Bool(true));
    if !manual && !uid.is_empty() {
        if s.get("selector").is_none_or(Value::is_null) {
            s.insert(
                "selector".into(),
                json!({ "matchLabels": { "batch.kubernetes.io/controller-uid": uid } }),
            );
        }
        if let Some(labels) = s
            .get_mut("template")
            .and_then(object)
            .and_then(|t| child(t, "metadata"))
            .and_then(|m| child(m, "labels"))
        {
            for (k, v) in [
                ("batch.kubernetes.io/controller-uid", &uid),
                ("batch.kubernetes.io/job-name", &name),
                ("controller-uid", &uid),
                ("job-name", &name),
            ] {
                labels.entry(k).or_insert_with(|| json!(v));
            }
        }
    }
    template(s);
}

/// `batch/v1` CronJob.
pub fn cron_job(obj: &mut Value) {
    let Some(s) = spec(obj) else { return };
    default(s, "concurrencyPolicy", json!("Allow"));
    default(s, "suspend", json!(false));
    default(s, "successfulJobsHistoryLimit", json!(3));
    default(s, "failedJobsHistoryLimit", json!(1));
    if let Some(t) = s.get_mut("jobTemplate").and_then(object) {
        if let Some(js) = child(t, "spec") {
            template(js);
        }
    }
}
