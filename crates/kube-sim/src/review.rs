//! Access reviews (`authorization.k8s.io/v1`): the server's single credential is a cluster
//! administrator, so every well-formed `SelfSubjectAccessReview` is allowed and a
//! `SelfSubjectRulesReview` lists what RBAC grants a member of `system:masters`.

use serde_json::{json, Value};

use crate::resources::ResourceType;
use crate::status::{ApiError, ApiResult};
use crate::web::Request;

/// Answers the create of a review kind.
pub fn create(req: &Request, rt: &ResourceType) -> ApiResult<Value> {
    match rt.kind.as_str() {
        "SelfSubjectRulesReview" => self_subject_rules(req, rt),
        _ => self_subject(req, rt),
    }
}

/// The rules of the cluster roles bound to the administrator: `cluster-admin` (through
/// `system:masters`), then `system:basic-user`, `system:discovery` and
/// `system:public-info-viewer` (through `system:authenticated`), in the order of their
/// bindings' names, as the RBAC rule resolver lists them.
fn admin_rules() -> Value {
    json!({
        "resourceRules": [
            { "verbs": ["*"], "apiGroups": ["*"], "resources": ["*"] },
            { "verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"] },
            { "verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"] },
        ],
        "nonResourceRules": [
            { "verbs": ["*"], "nonResourceURLs": ["*"] },
            { "verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"] },
            { "verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"] },
        ],
        "incomplete": false,
    })
}

/// Answers a `SelfSubjectRulesReview` create: the rules in `spec.namespace` (required, a 400
/// without it, as the registry answers). Like the real registry, the answer does not echo the
/// spec.
fn self_subject_rules(req: &Request, rt: &ResourceType) -> ApiResult<Value> {
    let body = req.body_value()?;
    let namespace = body
        .pointer("/spec/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    if namespace.is_empty() {
        return Err(ApiError::bad_request("no namespace on request"));
    }
    Ok(json!({
        "kind": rt.kind,
        "apiVersion": rt.api_version(),
        "metadata": { "creationTimestamp": null },
        "spec": {},
        "status": admin_rules(),
    }))
}

/// Answers a `SelfSubjectAccessReview` create: the review echoed back with `status.allowed`.
fn self_subject(req: &Request, rt: &ResourceType) -> ApiResult<Value> {
    let body = req.body_value()?;
    let spec = body.get("spec").cloned().unwrap_or_else(|| json!({}));
    let resource = spec.get("resourceAttributes").is_some_and(|v| !v.is_null());
    let non_resource = spec
        .get("nonResourceAttributes")
        .is_some_and(|v| !v.is_null());
    if resource == non_resource {
        // The real validator reports the union on `spec` with nonResourceAttributes as value.
        let shown =
            serde_json::to_string(&spec["nonResourceAttributes"]).unwrap_or_else(|_| "null".into());
        return Err(ApiError::invalid(
            &rt.group,
            &rt.kind,
            "",
            &[(
                "spec".to_string(),
                "FieldValueInvalid",
                format!("Invalid value: {shown}: exactly one of nonResourceAttributes or resourceAttributes must be specified"),
            )],
        ));
    }
    Ok(json!({
        "kind": rt.kind,
        "apiVersion": rt.api_version(),
        "metadata": { "creationTimestamp": null },
        "spec": spec,
        "status": { "allowed": true },
    }))
}
