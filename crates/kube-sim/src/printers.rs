//! Table columns of the built-in kinds whose rows kubectl users read most, after the API
//! server's printers (`pkg/printers/internalversion`): Deployments, ReplicaSets and Pods.
//! Other built-in kinds print Name and Age only.

use serde_json::{json, Value};

/// Column definitions and one row's cells (without Name and Age, which every table has:
/// the columns returned go between them, then the wide ones after Age).
pub struct Printer {
    /// Columns between Name and Age.
    pub columns: Vec<Value>,
    /// Columns after Age, shown by `-o wide` (priority 1).
    pub wide: Vec<Value>,
    /// Cells for `columns` then `wide`.
    pub cells: fn(&Value) -> (Vec<Value>, Vec<Value>),
}

fn col(name: &str, kind: &str, description: &str, priority: u8) -> Value {
    json!({ "name": name, "type": kind, "format": "", "description": description, "priority": priority })
}

fn int(o: &Value, ptr: &str) -> i64 {
    o.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

fn none_if_empty(s: String) -> Value {
    json!(if s.is_empty() {
        "<none>".to_string()
    } else {
        s
    })
}

/// Containers, Images and Selector of a workload's template.
fn template_wide(o: &Value) -> Vec<Value> {
    let containers = o
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let join = |k: &str| {
        containers
            .iter()
            .filter_map(|c| c[k].as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    let selector = o
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            let mut pairs: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            pairs.sort();
            pairs.join(",")
        })
        .unwrap_or_default();
    vec![
        json!(join("name")),
        json!(join("image")),
        none_if_empty(selector),
    ]
}

fn workload_wide() -> Vec<Value> {
    vec![
        col(
            "Containers",
            "string",
            "Names of each container in the template.",
            1,
        ),
        col(
            "Images",
            "string",
            "Images referenced by each container in the template.",
            1,
        ),
        col("Selector", "string", "Label selector for pods.", 1),
    ]
}

fn deployment(o: &Value) -> (Vec<Value>, Vec<Value>) {
    let ready = format!(
        "{}/{}",
        int(o, "/status/readyReplicas"),
        int(o, "/spec/replicas")
    );
    (
        vec![
            json!(ready),
            json!(int(o, "/status/updatedReplicas")),
            json!(int(o, "/status/availableReplicas")),
        ],
        template_wide(o),
    )
}

fn replica_set(o: &Value) -> (Vec<Value>, Vec<Value>) {
    (
        vec![
            json!(int(o, "/spec/replicas")),
            json!(int(o, "/status/replicas")),
            json!(int(o, "/status/readyReplicas")),
        ],
        template_wide(o),
    )
}

/// `printPod`'s Ready, Status and Restarts, simplified to what kube-sim's pods go through.
fn pod(o: &Value) -> (Vec<Value>, Vec<Value>) {
    let statuses = o
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let total = o
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let ready = statuses.iter().filter(|c| c["ready"] == true).count();
    let restarts: i64 = statuses.iter().map(|c| int(c, "/restartCount")).sum();
    let mut reason = o
        .pointer("/status/reason")
        .or_else(|| o.pointer("/status/phase"))
        .and_then(Value::as_str)
        .unwrap_or("Pending")
        .to_string();
    for c in statuses.iter().rev() {
        if let Some(r) = c.pointer("/state/waiting/reason").and_then(Value::as_str) {
            reason = r.to_string();
        } else if let Some(r) = c
            .pointer("/state/terminated/reason")
            .and_then(Value::as_str)
        {
            reason = r.to_string();
        }
    }
    if o.pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
    {
        reason = "Terminating".into();
    }
    let text = |ptr: &str| {
        none_if_empty(
            o.pointer(ptr)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        )
    };
    (
        vec![
            json!(format!("{ready}/{total}")),
            json!(reason),
            json!(restarts.to_string()),
        ],
        vec![
            text("/status/podIP"),
            text("/spec/nodeName"),
            text("/status/nominatedNodeName"),
            json!("<none>"),
        ],
    )
}

/// The printer of a built-in kind, if it has more than Name and Age.
pub fn for_kind(group: &str, kind: &str) -> Option<Printer> {
    match (group, kind) {
        ("apps", "Deployment") => Some(Printer {
            columns: vec![
                col("Ready", "string", "Number of the pod with ready state", 0),
                col("Up-to-date", "string", "Total number of non-terminating pods targeted by this deployment that have the desired template spec.", 0),
                col("Available", "string", "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.", 0),
            ],
            wide: workload_wide(),
            cells: deployment,
        }),
        ("apps", "ReplicaSet") => Some(Printer {
            columns: vec![
                col("Desired", "integer", "Replicas is the number of desired pods.", 0),
                col("Current", "integer", "Replicas is the most recently observed number of non-terminating pods.", 0),
                col("Ready", "integer", "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.", 0),
            ],
            wide: workload_wide(),
            cells: replica_set,
        }),
        ("", "Pod") => Some(Printer {
            columns: vec![
                col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic.", 0),
                col("Status", "string", "The aggregate status of the containers in this pod.", 0),
                col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0),
            ],
            wide: vec![
                col("IP", "string", "podIP address allocated to the pod.", 1),
                col("Node", "string", "NodeName indicates in which node this pod is scheduled.", 1),
                col("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node.", 1),
                col("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
            ],
            cells: pod,
        }),
        _ => None,
    }
}
