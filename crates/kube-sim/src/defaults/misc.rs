//! Defaults of the smaller kinds: Namespace, Secret, PersistentVolumeClaim,
//! HorizontalPodAutoscaler, NetworkPolicy, role bindings, StorageClass and PriorityClass.

use base64::Engine;
use serde_json::{json, Map, Value};

use super::{child, default, quantities};

/// The `kubernetes.io/metadata.name` label every Namespace carries.
pub fn namespace(obj: &mut Value) {
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if name.is_empty() {
        return;
    }
    if let Some(labels) = obj
        .as_object_mut()
        .and_then(|o| child(o, "metadata"))
        .and_then(|m| child(m, "labels"))
    {
        labels.insert("kubernetes.io/metadata.name".into(), json!(name));
    }
}

/// `type: Opaque`, and `stringData` folded into `data` (base64) and dropped.
pub fn secret(obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else { return };
    let t = o.get("type").and_then(Value::as_str).unwrap_or("");
    if t.is_empty() {
        o.insert("type".into(), json!("Opaque"));
    }
    let Some(Value::Object(string_data)) = o.shift_remove("stringData") else {
        return;
    };
    if string_data.is_empty() {
        return;
    }
    let Some(data) = child(o, "data") else { return };
    for (k, v) in string_data {
        if let Some(text) = v.as_str() {
            let encoded = base64::engine::general_purpose::STANDARD.encode(text);
            data.insert(k, json!(encoded));
        }
    }
}

/// A claim's `volumeMode` and canonical storage quantities.
pub fn pvc_spec(spec: &mut Value) {
    let Some(s) = spec.as_object_mut() else {
        return;
    };
    default(s, "volumeMode", json!("Filesystem"));
    if let Some(r) = s.get_mut("resources").and_then(Value::as_object_mut) {
        quantities(r, "requests");
        quantities(r, "limits");
    }
}

/// `minReplicas: 1`, a CPU target of 80% when no metric is given, and (in v2) the scaling
/// rules of a `behavior` filled in from the defaults.
pub fn hpa(obj: &mut Value, version: &str) {
    let Some(s) = obj.as_object_mut().and_then(|o| child(o, "spec")) else {
        return;
    };
    default(s, "minReplicas", json!(1));
    if version == "v1" {
        return;
    }
    let no_metrics = s
        .get("metrics")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if no_metrics {
        s.insert(
            "metrics".into(),
            json!([{ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 80 } } }]),
        );
    }
    if let Some(metrics) = s.get_mut("metrics").and_then(Value::as_array_mut) {
        for m in metrics.iter_mut().filter_map(Value::as_object_mut) {
            for source in m.values_mut().filter_map(Value::as_object_mut) {
                if let Some(target) = source.get_mut("target").and_then(Value::as_object_mut) {
                    for k in ["value", "averageValue"] {
                        if let Some(q) = target.get_mut(k) {
                            super::canonical(q);
                        }
                    }
                }
            }
        }
    }
    let Some(behavior) = s.get_mut("behavior").and_then(Value::as_object_mut) else {
        return;
    };
    let up = json!({
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            { "type": "Pods", "value": 4, "periodSeconds": 15 },
            { "type": "Percent", "value": 100, "periodSeconds": 15 },
        ],
    });
    let down = json!({
        "stabilizationWindowSeconds": 300,
        "selectPolicy": "Max",
        "policies": [{ "type": "Percent", "value": 100, "periodSeconds": 15 }],
    });
    for (key, defaults) in [("scaleUp", up), ("scaleDown", down)] {
        if let (Some(rules), Value::Object(d)) = (child(behavior, key), defaults) {
            for (k, v) in d {
                default(rules, &k, v);
            }
        }
    }
}

/// `policyTypes` (Ingress, plus Egress when egress rules exist) and port protocols.
pub fn network_policy(obj: &mut Value) {
    let Some(s) = obj.as_object_mut().and_then(|o| child(o, "spec")) else {
        return;
    };
    let no_types = s
        .get("policyTypes")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if no_types {
        let egress = s
            .get("egress")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty());
        let types = if egress {
            json!(["Ingress", "Egress"])
        } else {
            json!(["Ingress"])
        };
        s.insert("policyTypes".into(), types);
    }
    for dir in ["ingress", "egress"] {
        for rule in s
            .get_mut(dir)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            for p in rule
                .get_mut("ports")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object_mut)
            {
                default(p, "protocol", json!("TCP"));
            }
        }
    }
}

/// Subjects of kind User or Group belong to the RBAC API group.
pub fn role_binding(obj: &mut Value) {
    for s in obj
        .get_mut("subjects")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
    {
        let kind = s.get("kind").and_then(Value::as_str).unwrap_or("");
        if matches!(kind, "User" | "Group") {
            set_if_empty(s, "apiGroup", json!("rbac.authorization.k8s.io"));
        }
    }
}

fn set_if_empty(m: &mut Map<String, Value>, key: &str, value: Value) {
    if super::unset(m, key) {
        m.insert(key.into(), value);
    }
}

/// `reclaimPolicy: Delete` and `volumeBindingMode: Immediate`.
pub fn storage_class(obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else { return };
    default(o, "reclaimPolicy", json!("Delete"));
    default(o, "volumeBindingMode", json!("Immediate"));
}

/// `preemptionPolicy: PreemptLowerPriority`.
pub fn priority_class(obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else { return };
    default(o, "preemptionPolicy", json!("PreemptLowerPriority"));
}
