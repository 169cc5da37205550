//! The table of built-in kinds the server serves (before any CRD is added).

/// One built-in kind: where it is served and which subresources and bookkeeping it has.
pub(crate) struct Builtin {
    /// API group, empty for the core group.
    pub(crate) group: &'static str,
    /// Version.
    pub(crate) version: &'static str,
    /// Kind.
    pub(crate) kind: &'static str,
    /// Lower-case plural.
    pub(crate) plural: &'static str,
    /// Whether objects live in namespaces.
    pub(crate) namespaced: bool,
    /// Short names.
    pub(crate) short: &'static [&'static str],
    /// Whether a `/status` subresource exists.
    pub(crate) status: bool,
    /// Whether a `/scale` subresource exists.
    pub(crate) scale: bool,
    /// Whether `metadata.generation` is maintained.
    pub(crate) generation: bool,
    /// Whether the kind is in the `all` category.
    pub(crate) all: bool,
}

#[allow(clippy::too_many_arguments)]
const fn b(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    status: bool,
    scale: bool,
    generation: bool,
    all: bool,
) -> Builtin {
    Builtin {
        group,
        version,
        kind,
        plural,
        namespaced,
        short,
        status,
        scale,
        generation,
        all,
    }
}

/// Built-in kinds: group, version, kind, plural, namespaced, short names, status, scale,
/// generation, `all` category.
#[rustfmt::skip]
pub(crate) const BUILTINS: &[Builtin] = &[
    b("", "v1", "Namespace", "namespaces", false, &["ns"], true, false, false, false),
    b("", "v1", "ConfigMap", "configmaps", true, &["cm"], false, false, false, false),
    b("", "v1", "Secret", "secrets", true, &[], false, false, false, false),
    b("", "v1", "Service", "services", true, &["svc"], true, false, false, true),
    b("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"], false, false, false, false),
    b("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, &["pvc"], true, false, false, false),
    b("", "v1", "Node", "nodes", false, &["no"], true, false, false, false),
    b("", "v1", "Pod", "pods", true, &["po"], true, false, false, true),
    b("", "v1", "Event", "events", true, &["ev"], false, false, false, false),
    b("apps", "v1", "Deployment", "deployments", true, &["deploy"], true, true, true, true),
    b("apps", "v1", "StatefulSet", "statefulsets", true, &["sts"], true, true, true, true),
    b("apps", "v1", "DaemonSet", "daemonsets", true, &["ds"], true, false, true, true),
    b("apps", "v1", "ReplicaSet", "replicasets", true, &["rs"], true, true, true, true),
    b("batch", "v1", "Job", "jobs", true, &[], true, false, true, true),
    b("batch", "v1", "CronJob", "cronjobs", true, &["cj"], true, false, true, true),
    b("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, &["hpa"], true, false, true, true),
    b("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, &["pdb"], true, false, true, false),
    b("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, &["sc"], false, false, false, false),
    b("coordination.k8s.io", "v1", "Lease", "leases", true, &[], false, false, false, false),
    b("rbac.authorization.k8s.io", "v1", "Role", "roles", true, &[], false, false, false, false),
    b("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, &[], false, false, false, false),
    b("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, &[], false, false, false, false),
    b("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, &[], false, false, false, false),
    b("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, &["netpol"], false, false, true, false),
    b("networking.k8s.io", "v1", "Ingress", "ingresses", true, &["ing"], true, false, true, false),
    b("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, &["pc"], false, false, false, false),
    b("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, &["crd", "crds"], true, false, true, false),
    b("", "v1", "ResourceQuota", "resourcequotas", true, &["quota"], true, false, false, false),
    b("", "v1", "LimitRange", "limitranges", true, &["limits"], false, false, false, false),
    b("", "v1", "PersistentVolume", "persistentvolumes", false, &["pv"], true, false, false, false),
    b("", "v1", "Endpoints", "endpoints", true, &["ep"], false, false, false, false),
    b("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, &[], false, false, false, false),
    b("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, &[], false, false, false, false),
    b("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false, &[], false, false, true, false),
    b("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false, &[], false, false, true, false),
    b("apiregistration.k8s.io", "v1", "APIService", "apiservices", false, &[], true, false, false, false),
    b("storage.k8s.io", "v1", "CSIDriver", "csidrivers", false, &[], false, false, false, false),
    b("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", false, &[], false, false, false, false),
    b("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false, &[], false, false, false, false),
    b("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", false, &[], false, false, false, false),
];
