//! Defaulting as the API server does it: every write of a built-in kind gets the same defaults
//! the real types' `SetDefaults_*` functions and registry strategies add, custom resources get
//! the `default`s of their CRD's structural schema, and quantities come back canonical.
//!
//! Defaulting is a pure function of the object (allocations, such as a Service's cluster IP,
//! happen once at creation and are carried over on update), so an identical second apply
//! changes nothing. Server-side apply records only the fields the applier sent, so defaulted
//! fields belong to no manager, as on a real server.

mod custom;
mod misc;
mod pod;
mod service;
mod workloads;

use serde_json::{Map, Value};

use crate::resources::{ResourceType, SchemaSource};
use crate::store::State;

/// Applies the defaults of `rt`'s kind to `obj`.
pub fn apply(rt: &ResourceType, obj: &mut Value) {
    if let SchemaSource::Crd(schema) = &rt.schema {
        custom::apply(obj, schema);
        return;
    }
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") => workloads::deployment(obj),
        ("apps", "StatefulSet") => workloads::stateful_set(obj),
        ("apps", "DaemonSet") => workloads::daemon_set(obj),
        ("apps", "ReplicaSet") => workloads::replica_set(obj),
        ("batch", "Job") => workloads::job(obj),
        ("batch", "CronJob") => workloads::cron_job(obj),
        ("", "Pod") => {
            if let Some(spec) = obj.get_mut("spec") {
                pod::spec(spec);
            }
        }
        ("", "Service") => service::defaults(obj),
        ("", "Namespace") => misc::namespace(obj),
        ("", "Secret") => misc::secret(obj),
        ("", "PersistentVolumeClaim") => {
            if let Some(spec) = obj.get_mut("spec") {
                misc::pvc_spec(spec);
            }
        }
        ("autoscaling", "HorizontalPodAutoscaler") => misc::hpa(obj, &rt.version),
        ("networking.k8s.io", "NetworkPolicy") => misc::network_policy(obj),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            misc::role_binding(obj)
        }
        ("storage.k8s.io", "StorageClass") => misc::storage_class(obj),
        ("scheduling.k8s.io", "PriorityClass") => misc::priority_class(obj),
        _ => {}
    }
}

/// Carries values the server allocated (a Service's cluster IPs and node ports) from `old`
/// into an update that omits them, as the real registry does before validation.
pub fn keep_allocated(rt: &ResourceType, old: &Value, new: &mut Value) {
    if rt.group.is_empty() && rt.kind == "Service" {
        service::keep_allocated(old, new);
    }
}

/// Allocations made when an object is created (cluster IP, node ports).
pub fn allocate(st: &State, rt: &ResourceType, obj: &mut Value) {
    if rt.group.is_empty() && rt.kind == "Service" {
        service::allocate(st, obj);
    }
}

/// The object map of `v`, turning a missing (null) value into an empty object. `None` when
/// `v` holds something else, which validation reports.
fn object(v: &mut Value) -> Option<&mut Map<String, Value>> {
    if v.is_null() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut()
}

/// The child object `key` of `m`, created when missing.
fn child<'a>(m: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    object(m.entry(key).or_insert(Value::Null))
}

/// Sets `key` to `value` when it is missing or null.
fn default(m: &mut Map<String, Value>, key: &str, value: Value) {
    match m.get(key) {
        None | Some(Value::Null) => {
            m.insert(key.to_string(), value);
        }
        Some(_) => {}
    }
}

/// Whether `m[key]` is missing, null or an empty string.
fn unset(m: &Map<String, Value>, key: &str) -> bool {
    match m.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}

/// Canonicalises every quantity in the map `m[key]` (resource lists).
fn quantities(m: &mut Map<String, Value>, key: &str) {
    let Some(list) = m.get_mut(key).and_then(Value::as_object_mut) else {
        return;
    };
    for v in list.values_mut() {
        canonical(v);
    }
}

/// Canonicalises one quantity value in place (numbers are written as strings, as the server
/// serialises quantities).
fn canonical(v: &mut Value) {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return,
    };
    if let Some(c) = crate::quantity::canonical(&text) {
        *v = Value::String(c);
    }
}
