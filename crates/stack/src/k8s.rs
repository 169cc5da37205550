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
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
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

/// Kinds that live outside namespaces.
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "StorageClass"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "PriorityClass"
            | "IngressClass"
            | "CSIDriver"
            | "VolumeSnapshotClass"
            | "MutatingWebhookConfiguration"
            | "ValidatingWebhookConfiguration"
            | "APIService"
            | "RuntimeClass"
    )
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
        for bad in ["10GB", "ten", "", "Gi", "1.2.3", "5 Gi"] {
            assert!(check_quantity(bad).is_err(), "{bad}");
        }
        assert!(check_quantity("10GB").unwrap_err().contains("Gi"));
    }
}
