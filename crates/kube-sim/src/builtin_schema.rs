//! Structural schemas of built-in kinds, generated from the Kubernetes API types of
//! `k8s-openapi` (its `schemars` feature): what field validation (`fieldValidation=Strict`,
//! `Warn`) and pruning check unknown fields against. Generated once per kind, on first use.

use std::sync::{Arc, OnceLock};

use k8s_openapi::api::{admissionregistration, apps, autoscaling, batch, coordination, core};
use k8s_openapi::api::{discovery, networking, node, policy, rbac, scheduling, storage};
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration;
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::Value;

/// The built-in kinds with a schema here, as (group, version, kind).
const KINDS: &[(&str, &str, &str)] = &[
    ("", "v1", "Namespace"),
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "Service"),
    ("", "v1", "ServiceAccount"),
    ("", "v1", "PersistentVolumeClaim"),
    ("", "v1", "Node"),
    ("", "v1", "Pod"),
    ("", "v1", "Event"),
    ("apps", "v1", "Deployment"),
    ("apps", "v1", "StatefulSet"),
    ("apps", "v1", "DaemonSet"),
    ("apps", "v1", "ReplicaSet"),
    ("batch", "v1", "Job"),
    ("batch", "v1", "CronJob"),
    ("autoscaling", "v2", "HorizontalPodAutoscaler"),
    ("autoscaling", "v1", "HorizontalPodAutoscaler"),
    ("policy", "v1", "PodDisruptionBudget"),
    ("storage.k8s.io", "v1", "StorageClass"),
    ("coordination.k8s.io", "v1", "Lease"),
    ("rbac.authorization.k8s.io", "v1", "Role"),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
    ("networking.k8s.io", "v1", "NetworkPolicy"),
    ("networking.k8s.io", "v1", "Ingress"),
    ("scheduling.k8s.io", "v1", "PriorityClass"),
    ("", "v1", "ResourceQuota"),
    ("", "v1", "LimitRange"),
    ("", "v1", "PersistentVolume"),
    ("", "v1", "Endpoints"),
    ("discovery.k8s.io", "v1", "EndpointSlice"),
    ("networking.k8s.io", "v1", "IngressClass"),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
    ),
    ("apiregistration.k8s.io", "v1", "APIService"),
    ("storage.k8s.io", "v1", "CSIDriver"),
    ("node.k8s.io", "v1", "RuntimeClass"),
];

static SCHEMAS: [OnceLock<Option<Arc<Value>>>; KINDS.len()] =
    [const { OnceLock::new() }; KINDS.len()];

/// The schema of built-in `group/version` `kind`, or `None` for kinds without one here.
pub fn schema(group: &str, version: &str, kind: &str) -> Option<Arc<Value>> {
    let i = KINDS
        .iter()
        .position(|(g, v, k)| *g == group && *v == version && *k == kind)?;
    SCHEMAS[i]
        .get_or_init(|| generate(group, version, kind, true).map(Arc::new))
        .clone()
}

/// The schema of built-in `group/version` `kind` with every API type as a named definition
/// under `$defs` (`io.k8s.api.apps.v1.DeploymentSpec`, ...), for messages that name Go types.
/// Not cached: callers compile it once.
pub fn named_schema(group: &str, version: &str, kind: &str) -> Option<Value> {
    generate(group, version, kind, false)
}

fn of<T: JsonSchema>(inline: bool) -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = inline;
            s.meta_schema = None;
        })
        .into_generator();
    let mut v = generator.into_root_schema_for::<T>().to_value();
    strip_descriptions(&mut v);
    v
}

fn strip_descriptions(v: &mut Value) {
    match v {
        Value::Object(m) => {
            // A documentation string, not a field named `description` (PriorityClass has one).
            if m.get("description").is_some_and(Value::is_string) {
                m.shift_remove("description");
            }
            for child in m.values_mut() {
                strip_descriptions(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_descriptions),
        _ => {}
    }
}

fn generate(group: &str, version: &str, kind: &str, inline: bool) -> Option<Value> {
    Some(match (group, version, kind) {
        ("", "v1", "Namespace") => of::<core::v1::Namespace>(inline),
        ("", "v1", "ConfigMap") => of::<core::v1::ConfigMap>(inline),
        ("", "v1", "Secret") => of::<core::v1::Secret>(inline),
        ("", "v1", "Service") => of::<core::v1::Service>(inline),
        ("", "v1", "ServiceAccount") => of::<core::v1::ServiceAccount>(inline),
        ("", "v1", "PersistentVolumeClaim") => of::<core::v1::PersistentVolumeClaim>(inline),
        ("", "v1", "Node") => of::<core::v1::Node>(inline),
        ("", "v1", "Pod") => of::<core::v1::Pod>(inline),
        ("", "v1", "Event") => of::<core::v1::Event>(inline),
        ("apps", "v1", "Deployment") => of::<apps::v1::Deployment>(inline),
        ("apps", "v1", "StatefulSet") => of::<apps::v1::StatefulSet>(inline),
        ("apps", "v1", "DaemonSet") => of::<apps::v1::DaemonSet>(inline),
        ("apps", "v1", "ReplicaSet") => of::<apps::v1::ReplicaSet>(inline),
        ("batch", "v1", "Job") => of::<batch::v1::Job>(inline),
        ("batch", "v1", "CronJob") => of::<batch::v1::CronJob>(inline),
        ("autoscaling", "v2", "HorizontalPodAutoscaler") => {
            of::<autoscaling::v2::HorizontalPodAutoscaler>(inline)
        }
        ("autoscaling", "v1", "HorizontalPodAutoscaler") => {
            of::<autoscaling::v1::HorizontalPodAutoscaler>(inline)
        }
        ("policy", "v1", "PodDisruptionBudget") => of::<policy::v1::PodDisruptionBudget>(inline),
        ("storage.k8s.io", "v1", "StorageClass") => of::<storage::v1::StorageClass>(inline),
        ("coordination.k8s.io", "v1", "Lease") => of::<coordination::v1::Lease>(inline),
        ("rbac.authorization.k8s.io", "v1", "Role") => of::<rbac::v1::Role>(inline),
        ("rbac.authorization.k8s.io", "v1", "RoleBinding") => of::<rbac::v1::RoleBinding>(inline),
        ("rbac.authorization.k8s.io", "v1", "ClusterRole") => of::<rbac::v1::ClusterRole>(inline),
        ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding") => {
            of::<rbac::v1::ClusterRoleBinding>(inline)
        }
        ("networking.k8s.io", "v1", "NetworkPolicy") => of::<networking::v1::NetworkPolicy>(inline),
        ("networking.k8s.io", "v1", "Ingress") => of::<networking::v1::Ingress>(inline),
        ("scheduling.k8s.io", "v1", "PriorityClass") => of::<scheduling::v1::PriorityClass>(inline),
        ("", "v1", "ResourceQuota") => of::<core::v1::ResourceQuota>(inline),
        ("", "v1", "LimitRange") => of::<core::v1::LimitRange>(inline),
        ("", "v1", "PersistentVolume") => of::<core::v1::PersistentVolume>(inline),
        ("", "v1", "Endpoints") => of::<core::v1::Endpoints>(inline),
        ("discovery.k8s.io", "v1", "EndpointSlice") => of::<discovery::v1::EndpointSlice>(inline),
        ("networking.k8s.io", "v1", "IngressClass") => of::<networking::v1::IngressClass>(inline),
        ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration") => {
            of::<admissionregistration::v1::ValidatingWebhookConfiguration>(inline)
        }
        ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration") => {
            of::<admissionregistration::v1::MutatingWebhookConfiguration>(inline)
        }
        ("apiregistration.k8s.io", "v1", "APIService") => {
            of::<apiregistration::v1::APIService>(inline)
        }
        ("storage.k8s.io", "v1", "CSIDriver") => of::<storage::v1::CSIDriver>(inline),
        ("node.k8s.io", "v1", "RuntimeClass") => of::<node::v1::RuntimeClass>(inline),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::schema;

    #[test]
    fn built_in_schemas_describe_nested_fields() {
        let s = schema("apps", "v1", "Deployment").unwrap();
        let containers =
            s.pointer("/properties/spec/properties/template/properties/spec/properties/containers/items/properties")
                .and_then(|p| p.as_object())
                .expect("containers are described inline");
        assert!(containers.contains_key("imagePullPolicy"));
        assert!(schema("", "v1", "ConfigMap").is_some());
        assert!(schema("example.com", "v1", "Thing").is_none());
    }
}
