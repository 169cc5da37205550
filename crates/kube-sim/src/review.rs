//! Access reviews (`authorization.k8s.io/v1`): the server's single credential is a cluster
//! administrator, so every well-formed `SelfSubjectAccessReview` is allowed.

use serde_json::{json, Value};

use crate::resources::ResourceType;
use crate::status::{ApiError, ApiResult};
use crate::web::Request;

/// Answers a `SelfSubjectAccessReview` create: the review echoed back with `status.allowed`.
pub fn self_subject(req: &Request, rt: &ResourceType) -> ApiResult<Value> {
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
