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
        .get_or_init(|| visit_kind(group, version, kind, &mut Inline).map(Arc::new))
        .clone()
}

/// The schema of built-in `group/version` `kind` with every API type as a named definition
/// under `$defs` (`io.k8s.api.apps.v1.DeploymentSpec`, ...), for messages that name Go types.
/// Not cached: callers compile it once.
pub fn named_schema(group: &str, version: &str, kind: &str) -> Option<Value> {
    visit_kind(group, version, kind, &mut Named)
}

/// Something done with the Rust type of a built-in kind (see [`visit_kind`]).
pub trait KindVisitor {
    /// What a visit gives.
    type Output;
    /// Visits the type `T` of the kind.
    fn visit<T: JsonSchema>(&mut self) -> Self::Output;
}

/// Generates a kind's structural schema: inline, without descriptions.
struct Inline;

impl KindVisitor for Inline {
    type Output = Value;
    fn visit<T: JsonSchema>(&mut self) -> Value {
        of::<T>(true)
    }
}

/// Generates a kind's schema with its API types as named definitions, without descriptions.
struct Named;

impl KindVisitor for Named {
    type Output = Value;
    fn visit<T: JsonSchema>(&mut self) -> Value {
        of::<T>(false)
    }
}

/// Whether built-in `group/version` `kind` has a Rust type here.
pub fn known(group: &str, version: &str, kind: &str) -> bool {
    KINDS
        .iter()
        .any(|(g, v, k)| *g == group && *v == version && *k == kind)
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

/// Calls `visitor` with the Rust type of built-in `group/version` `kind`, or returns `None` for
/// kinds without one here.
pub fn visit_kind<V: KindVisitor>(
    group: &str,
    version: &str,
    kind: &str,
    visitor: &mut V,
) -> Option<V::Output> {
    Some(match (group, version, kind) {
        ("", "v1", "Namespace") => visitor.visit::<core::v1::Namespace>(),
        ("", "v1", "ConfigMap") => visitor.visit::<core::v1::ConfigMap>(),
        ("", "v1", "Secret") => visitor.visit::<core::v1::Secret>(),
        ("", "v1", "Service") => visitor.visit::<core::v1::Service>(),
        ("", "v1", "ServiceAccount") => visitor.visit::<core::v1::ServiceAccount>(),
        ("", "v1", "PersistentVolumeClaim") => visitor.visit::<core::v1::PersistentVolumeClaim>(),
        ("", "v1", "Node") => visitor.visit::<core::v1::Node>(),
        ("", "v1", "Pod") => visitor.visit::<core::v1::Pod>(),
        ("", "v1", "Event") => visitor.visit::<core::v1::Event>(),
        ("apps", "v1", "Deployment") => visitor.visit::<apps::v1::Deployment>(),
        ("apps", "v1", "StatefulSet") => visitor.visit::<apps::v1::StatefulSet>(),
        ("apps", "v1", "DaemonSet") => visitor.visit::<apps::v1::DaemonSet>(),
        ("apps", "v1", "ReplicaSet") => visitor.visit::<apps::v1::ReplicaSet>(),
        ("batch", "v1", "Job") => visitor.visit::<batch::v1::Job>(),
        ("batch", "v1", "CronJob") => visitor.visit::<batch::v1::CronJob>(),
        ("autoscaling", "v2", "HorizontalPodAutoscaler") => {
            visitor.visit::<autoscaling::v2::HorizontalPodAutoscaler>()
        }
        ("autoscaling", "v1", "HorizontalPodAutoscaler") => {
            visitor.visit::<autoscaling::v1::HorizontalPodAutoscaler>()
        }
        ("policy", "v1", "PodDisruptionBudget") => {
            visitor.visit::<policy::v1::PodDisruptionBudget>()
        }
        ("storage.k8s.io", "v1", "StorageClass") => visitor.visit::<storage::v1::StorageClass>(),
        ("coordination.k8s.io", "v1", "Lease") => visitor.visit::<coordination::v1::Lease>(),
        ("rbac.authorization.k8s.io", "v1", "Role") => visitor.visit::<rbac::v1::Role>(),
        ("rbac.authorization.k8s.io", "v1", "RoleBinding") => {
            visitor.visit::<rbac::v1::RoleBinding>()
        }
        ("rbac.authorization.k8s.io", "v1", "ClusterRole") => {
            visitor.visit::<rbac::v1::ClusterRole>()
        }
        ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding") => {
            visitor.visit::<rbac::v1::ClusterRoleBinding>()
        }
        ("networking.k8s.io", "v1", "NetworkPolicy") => {
            visitor.visit::<networking::v1::NetworkPolicy>()
        }
        ("networking.k8s.io", "v1", "Ingress") => visitor.visit::<networking::v1::Ingress>(),
        ("scheduling.k8s.io", "v1", "PriorityClass") => {
            visitor.visit::<scheduling::v1::PriorityClass>()
        }
        ("", "v1", "ResourceQuota") => visitor.visit::<core::v1::ResourceQuota>(),
        ("", "v1", "LimitRange") => visitor.visit::<core::v1::LimitRange>(),
        ("", "v1", "PersistentVolume") => visitor.visit::<core::v1::PersistentVolume>(),
        ("", "v1", "Endpoints") => visitor.visit::<core::v1::Endpoints>(),
        ("discovery.k8s.io", "v1", "EndpointSlice") => {
            visitor.visit::<discovery::v1::EndpointSlice>()
        }
        ("networking.k8s.io", "v1", "IngressClass") => {
            visitor.visit::<networking::v1::IngressClass>()
        }
        ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration") => {
            visitor.visit::<admissionregistration::v1::ValidatingWebhookConfiguration>()
        }
        ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration") => {
            visitor.visit::<admissionregistration::v1::MutatingWebhookConfiguration>()
        }
        ("apiregistration.k8s.io", "v1", "APIService") => {
            visitor.visit::<apiregistration::v1::APIService>()
        }
        ("storage.k8s.io", "v1", "CSIDriver") => visitor.visit::<storage::v1::CSIDriver>(),
        ("node.k8s.io", "v1", "RuntimeClass") => visitor.visit::<node::v1::RuntimeClass>(),
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
