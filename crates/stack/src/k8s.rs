//! Kubernetes naming and quantity rules, and the API groups a k3s cluster
//! serves without any CRD.

/// RFC 1123 label: at most 63 lower-case alphanumerics or '-', alphanumeric at both ends.
pub fn check_label(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if s.len() > 63 {
        return Err(format!(
            "it is {} characters long, at most 63 are allowed",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "it contains {c:?}; only lower-case letters, digits and '-' are allowed"
        ));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err("it must start and end with a letter or digit".into());
    }
    Ok(())
}

/// RFC 1035 label (Service names): an RFC 1123 label that starts with a letter.
pub fn check_dns1035(s: &str) -> Result<(), String> {
    check_label(s)?;
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("it must start with a letter".into());
    }
    Ok(())
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn check_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err(format!(
            "it is {} characters long, at most 253 are allowed",
            s.len()
        ));
    }
    for label in s.split('.') {
        check_label(label)?;
    }
    Ok(())
}

/// A Kubernetes resource quantity: a decimal number with an optional suffix
/// (`Ki Mi Gi Ti Pi Ei`, `n u m k M G T P E`, or an exponent `e3`).
pub fn check_quantity(s: &str) -> Result<(), String> {
    if s.starts_with('-') {
        return Err("it is negative".into());
    }
    let body = s.strip_prefix('+').unwrap_or(s);
    let digits_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(digits_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return Err("it must start with a number".into());
    }
    const SUFFIXES: &[&str] = &[
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
    ];
    if SUFFIXES.contains(&suffix) {
        return Ok(());
    }
    if let Some(exp) = suffix.strip_prefix(['e', 'E']) {
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if !exp.is_empty() && exp.chars().all(|c| c.is_ascii_digit()) {
            return Ok(());
        }
    }
    let hint = match suffix {
        "GB" | "gb" | "G" | "g" | "Gb" => " (did you mean Gi?)",
        "MB" | "mb" | "Mb" => " (did you mean Mi?)",
        _ => "",
    };
    Err(format!("unknown suffix `{suffix}`{hint}"))
}

/// The value of a valid quantity as a number (for comparing requests with
/// limits); `None` when it does not parse.
pub fn quantity_value(s: &str) -> Option<f64> {
    check_quantity(s).ok()?;
    let body = s.strip_prefix('+').unwrap_or(s);
    let end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(end);
    let n: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        exp => 10f64.powi(exp[1..].parse().ok()?),
    };
    Some(n * factor)
}

/// API groups a k3s cluster serves out of the box (no CRD needed).
pub const BUILTIN_GROUPS: &[&str] = &[
    "",
    "v1",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
    "storage.k8s.io",
    "apiextensions.k8s.io",
    "coordination.k8s.io",
    "scheduling.k8s.io",
    "discovery.k8s.io",
    "admissionregistration.k8s.io",
    "certificates.k8s.io",
    "node.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "apiregistration.k8s.io",
];

/// API groups k3s itself adds through its own CRDs (the Helm controller and addons).
pub const K3S_GROUPS: &[&str] = &["helm.cattle.io", "k3s.cattle.io"];

/// The group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// A kind the API server (or k3s itself) serves without any CRD of the stack.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinKind {
    /// The kind.
    pub kind: &'static str,
    /// Every `apiVersion` it is served at.
    pub api_versions: &'static [&'static str],
    /// Whether it lives outside namespaces.
    pub cluster_scoped: bool,
}

const fn kind(
    kind: &'static str,
    api_versions: &'static [&'static str],
    cluster_scoped: bool,
) -> BuiltinKind {
    BuiltinKind {
        kind,
        api_versions,
        cluster_scoped,
    }
}

/// The kinds a k3s v1.31 cluster serves out of the box.
pub const BUILTIN_KINDS: &[BuiltinKind] = &[
    kind("Binding", &["v1"], false),
    kind("ComponentStatus", &["v1"], true),
    kind("ConfigMap", &["v1"], false),
    kind("Endpoints", &["v1"], false),
    kind("Event", &["v1", "events.k8s.io/v1"], false),
    kind("LimitRange", &["v1"], false),
    kind("Namespace", &["v1"], true),
    kind("Node", &["v1"], true),
    kind("PersistentVolume", &["v1"], true),
    kind("PersistentVolumeClaim", &["v1"], false),
    kind("Pod", &["v1"], false),
    kind("PodTemplate", &["v1"], false),
    kind("ReplicationController", &["v1"], false),
    kind("ResourceQuota", &["v1"], false),
    kind("Secret", &["v1"], false),
    kind("Service", &["v1"], false),
    kind("ServiceAccount", &["v1"], false),
    kind("ControllerRevision", &["apps/v1"], false),
    kind("DaemonSet", &["apps/v1"], false),
    kind("Deployment", &["apps/v1"], false),
    kind("ReplicaSet", &["apps/v1"], false),
    kind("StatefulSet", &["apps/v1"], false),
    kind(
        "HorizontalPodAutoscaler",
        &["autoscaling/v2", "autoscaling/v1"],
        false,
    ),
    kind("CronJob", &["batch/v1"], false),
    kind("Job", &["batch/v1"], false),
    kind("PodDisruptionBudget", &["policy/v1"], false),
    kind("ClusterRole", &["rbac.authorization.k8s.io/v1"], true),
    kind(
        "ClusterRoleBinding",
        &["rbac.authorization.k8s.io/v1"],
        true,
    ),
    kind("Role", &["rbac.authorization.k8s.io/v1"], false),
    kind("RoleBinding", &["rbac.authorization.k8s.io/v1"], false),
    kind("Ingress", &["networking.k8s.io/v1"], false),
    kind("IngressClass", &["networking.k8s.io/v1"], true),
    kind("NetworkPolicy", &["networking.k8s.io/v1"], false),
    kind("CSIDriver", &["storage.k8s.io/v1"], true),
    kind("CSINode", &["storage.k8s.io/v1"], true),
    kind("CSIStorageCapacity", &["storage.k8s.io/v1"], false),
    kind("StorageClass", &["storage.k8s.io/v1"], true),
    kind("VolumeAttachment", &["storage.k8s.io/v1"], true),
    kind(
        "CustomResourceDefinition",
        &["apiextensions.k8s.io/v1"],
        true,
    ),
    kind("Lease", &["coordination.k8s.io/v1"], false),
    kind("PriorityClass", &["scheduling.k8s.io/v1"], true),
    kind("EndpointSlice", &["discovery.k8s.io/v1"], false),
    kind(
        "MutatingWebhookConfiguration",
        &["admissionregistration.k8s.io/v1"],
        true,
    ),
    kind(
        "ValidatingWebhookConfiguration",
        &["admissionregistration.k8s.io/v1"],
        true,
    ),
    kind(
        "ValidatingAdmissionPolicy",
        &["admissionregistration.k8s.io/v1"],
        true,
    ),
    kind(
        "ValidatingAdmissionPolicyBinding",
        &["admissionregistration.k8s.io/v1"],
        true,
    ),
    kind(
        "CertificateSigningRequest",
        &["certificates.k8s.io/v1"],
        true,
    ),
    kind("RuntimeClass", &["node.k8s.io/v1"], true),
    kind(
        "FlowSchema",
        &[
            "flowcontrol.apiserver.k8s.io/v1",
            "flowcontrol.apiserver.k8s.io/v1beta3",
        ],
        true,
    ),
    kind(
        "PriorityLevelConfiguration",
        &[
            "flowcontrol.apiserver.k8s.io/v1",
            "flowcontrol.apiserver.k8s.io/v1beta3",
        ],
        true,
    ),
    kind("APIService", &["apiregistration.k8s.io/v1"], true),
    kind("HelmChart", &["helm.cattle.io/v1"], false),
    kind("HelmChartConfig", &["helm.cattle.io/v1"], false),
    kind("Addon", &["k3s.cattle.io/v1"], false),
    kind("ETCDSnapshotFile", &["k3s.cattle.io/v1"], true),
];

/// Whether `group` is served by the cluster itself (Kubernetes or k3s).
pub fn is_builtin_group(group: &str) -> bool {
    BUILTIN_GROUPS.contains(&group) || K3S_GROUPS.contains(&group)
}

/// Checks a built-in group's `apiVersion` and kind: `Ok(Some(kind))` for a
/// built-in kind at a version it is served at, `Ok(None)` for a group served
/// by a CRD, `Err` with the reason otherwise.
pub fn check_builtin_kind(
    api_version: &str,
    kind: &str,
) -> Result<Option<&'static BuiltinKind>, String> {
    let group = group_of(api_version);
    if !is_builtin_group(group) {
        return Ok(None);
    }
    if let Some(k) = BUILTIN_KINDS.iter().find(|k| k.kind == kind) {
        if k.api_versions.contains(&api_version) {
            return Ok(Some(k));
        }
        let article = if kind.starts_with(['A', 'E', 'I', 'O', 'U']) {
            "an"
        } else {
            "a"
        };
        return Err(format!(
            "{article} {kind} is {}, not {api_version}",
            k.api_versions.join(" or ")
        ));
    }
    let in_group: Vec<&str> = BUILTIN_KINDS
        .iter()
        .filter(|k| k.api_versions.iter().any(|v| group_of(v) == group))
        .map(|k| k.kind)
        .collect();
    let hint = crate::diag::did_you_mean(kind, in_group.iter().copied())
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    Err(format!("{api_version} serves no kind {kind}{hint}"))
}

/// Whether a built-in kind lives outside namespaces.
pub fn is_cluster_scoped(kind: &str) -> bool {
    BUILTIN_KINDS
        .iter()
        .any(|k| k.kind == kind && k.cluster_scoped)
}

/// The name part of a label key or a label value: at most 63 characters,
/// alphanumerics, '-', '_' and '.', alphanumeric at both ends.
fn check_label_name(s: &str, what: &str) -> Result<(), String> {
    if s.len() > 63 {
        return Err(format!(
            "the {what} is {} characters long, at most 63 are allowed",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!("the {what} contains {c:?}"));
    }
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !(s.is_empty() || ends_ok(s.chars().next()) && ends_ok(s.chars().last())) {
        return Err(format!(
            "the {what} must start and end with a letter or digit"
        ));
    }
    Ok(())
}

/// A label (or annotation) key: `[PREFIX/]NAME`.
pub fn check_label_key(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Err("the prefix before '/' is empty".into());
        }
        check_subdomain(p)
            .map_err(|why| format!("its prefix `{p}` is not a DNS subdomain: {why}"))?;
    }
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    check_label_name(name, "name")
}

/// A label value (may be empty).
pub fn check_label_value(s: &str) -> Result<(), String> {
    check_label_name(s, "value")
}

/// A node taint: `KEY[=VALUE]:EFFECT`.
pub fn check_taint(s: &str) -> Result<(), String> {
    let Some((kv, effect)) = s.rsplit_once(':') else {
        return Err("it has no `:Effect`".into());
    };
    if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect) {
        return Err(format!("unknown effect `{effect}`"));
    }
    let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
    check_label_key(key)?;
    check_label_value(value)
}

/// An environment variable name as the kubelet passes it from a ConfigMap or
/// Secret: letters, digits, '_', '-' and '.', not starting with a digit.
pub fn check_env_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!("it contains {c:?}"));
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("it starts with a digit".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_label("my-service-1").is_ok());
        assert!(check_label("My").is_err());
        assert!(check_label("-a").is_err());
        assert!(check_label(&"a".repeat(64)).is_err());
        assert!(check_dns1035("1abc").is_err());
        assert!(check_subdomain("node-1.example.com").is_ok());
    }

    #[test]
    fn quantities() {
        for ok in ["10Gi", "100m", "0.5", "1e3", "2", "128Mi", "1.5G"] {
            assert!(check_quantity(ok).is_ok(), "{ok}");
        }
        for bad in ["10GB", "ten", "", "Gi", "1.2.3", "5 Gi", "-1Gi"] {
            assert!(check_quantity(bad).is_err(), "{bad}");
        }
        assert!(check_quantity("10GB").unwrap_err().contains("Gi"));
        assert_eq!(quantity_value("500m"), Some(0.5));
        assert_eq!(quantity_value("1Ki"), Some(1024.0));
        assert_eq!(quantity_value("1e3"), Some(1000.0));
        assert!(quantity_value("1Gi") > quantity_value("1000Mi"));
    }

    #[test]
    fn labels_taints_env_paths_durations() {
        assert!(check_label_key("node-role.kubernetes.io/worker").is_ok());
        assert!(check_label_key("zone").is_ok());
        for bad in ["-zone", "a/b/c", "/x", "Example.com/x", &"k".repeat(64)] {
            assert!(check_label_key(bad).is_err(), "{bad}");
        }
        assert!(check_label_value("").is_ok());
        assert!(check_label_value("a b").is_err());
        assert!(check_taint("dedicated=db:NoSchedule").is_ok());
        assert!(check_taint("gpu:NoExecute").is_ok());
        assert!(check_taint("dedicated=db").is_err());
        assert!(check_taint("dedicated=db:Never").is_err());
        assert!(check_env_name("LOG_LEVEL").is_ok());
        assert!(check_env_name("1X").is_err());
        assert!(check_env_name("A B").is_err());
        assert!(crate::syntax::check_http_path("/health").is_ok());
        assert!(crate::syntax::check_http_path("health").is_err());
        assert!(crate::syntax::check_http_path("/he alth").is_err());
        for ok in ["15s", "1m30s", "15d", "0", "500ms", "1h"] {
            assert!(crate::syntax::check_duration(ok).is_ok(), "{ok}");
        }
        for bad in ["", "15", "s", "30s1m", "1x", "1.5s"] {
            assert!(crate::syntax::check_duration(bad).is_err(), "{bad}");
        }
        assert!(crate::syntax::check_k3s_version("v1.31.4+k3s1").is_ok());
        assert!(crate::syntax::check_k3s_version("v1.31.4-rc1+k3s1").is_ok());
        assert!(crate::syntax::check_k3s_version("1.31.4").is_err());
        assert!(crate::syntax::check_k3s_version("v1.31+k3s1").is_err());
    }

    #[test]
    fn builtin_kinds() {
        assert!(check_builtin_kind("apps/v1", "Deployment")
            .unwrap()
            .is_some());
        assert!(check_builtin_kind("v1", "Deployment")
            .unwrap_err()
            .contains("a Deployment is apps/v1"));
        assert!(check_builtin_kind("apps/v1", "Deploymnet")
            .unwrap_err()
            .contains("did you mean Deployment?"));
        assert!(check_builtin_kind("cert-manager.io/v1", "Certificate")
            .unwrap()
            .is_none());
        assert!(is_cluster_scoped("ClusterRole"));
        assert!(!is_cluster_scoped("Role"));
    }
}
