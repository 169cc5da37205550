//! Kubernetes `Status` errors: every failed request answers with one of these.

use serde_json::{json, Value};

/// An API error that renders as a `Status` object with the matching HTTP code.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// Machine-readable reason (`NotFound`, `Conflict`, ...).
    pub reason: &'static str,
    /// Human-readable message, worded like the real API server.
    pub message: String,
    /// Optional `details` object.
    pub details: Option<Box<Value>>,
    /// Optional `Retry-After` seconds header.
    pub retry_after: Option<u64>,
}

/// Result type of request handlers.
pub type ApiResult<T> = Result<T, ApiError>;

/// Formats `plural.group` the way the API server names resources in messages.
pub fn qualified(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

fn details(group: &str, plural: &str, name: &str) -> Value {
    let mut d = json!({ "name": name, "kind": plural });
    if !group.is_empty() {
        d["group"] = json!(group);
    }
    d
}

impl ApiError {
    /// Builds an error from its parts.
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    /// Attaches a `details` object.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// 404 for a named object.
    pub fn not_found(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", qualified(group, plural)),
        )
        .with_details(details(group, plural, name))
    }

    /// 404 for an unknown path or resource type.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    /// 409 AlreadyExists.
    pub fn already_exists(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", qualified(group, plural)),
        )
        .with_details(details(group, plural, name))
    }

    /// 409 Conflict for a stale resourceVersion or precondition.
    pub fn conflict(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                qualified(group, plural)
            ),
        )
        .with_details(details(group, plural, name))
    }

    /// 422 Invalid with field causes `(field, reason, message)`.
    pub fn invalid(group: &str, kind: &str, name: &str, causes: &[(String, &str, String)]) -> Self {
        // The message lists each distinct error once, as Go's
        // ErrorList.ToAggregate does; the causes keep every one.
        let mut list: Vec<String> = Vec::with_capacity(causes.len());
        for line in causes.iter().map(|(f, _, m)| format!("{f}: {m}")) {
            if !list.contains(&line) {
                list.push(line);
            }
        }
        let message = if list.len() == 1 {
            format!(
                "{kind}.{} \"{name}\" is invalid: {}",
                group_or_core(group),
                list[0]
            )
        } else {
            format!(
                "{kind}.{} \"{name}\" is invalid: [{}]",
                group_or_core(group),
                list.join(", ")
            )
        };
        let message = message.replace(".core \"", " \"");
        let causes: Vec<Value> = causes
            .iter()
            .map(|(f, r, m)| json!({ "reason": r, "message": m, "field": f }))
            .collect();
        let mut d = json!({ "name": name, "kind": kind, "causes": causes });
        if !group.is_empty() {
            d["group"] = json!(group);
        }
        Self::new(422, "Invalid", message).with_details(d)
    }

    /// 403 Forbidden.
    pub fn forbidden(group: &str, plural: &str, name: &str, why: &str) -> Self {
        Self::new(
            403,
            "Forbidden",
            format!(
                "{} \"{name}\" is forbidden: {why}",
                qualified(group, plural)
            ),
        )
        .with_details(details(group, plural, name))
    }

    /// 403 for a create into a namespace that is being deleted.
    pub fn namespace_terminating(group: &str, plural: &str, name: &str, namespace: &str) -> Self {
        let mut d = details(group, plural, name);
        d["causes"] = json!([{
            "reason": "NamespaceTerminating",
            "message": format!("namespace {namespace} is being terminated"),
            "field": "metadata.namespace"
        }]);
        Self::new(
            403,
            "Forbidden",
            format!(
                "{} \"{name}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
                qualified(group, plural)
            ),
        )
        .with_details(d)
    }

    /// 401 Unauthorized.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// 400 BadRequest.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 405 MethodNotAllowed.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    /// 415 UnsupportedMediaType.
    pub fn unsupported_media_type(ct: &str) -> Self {
        Self::new(415, "UnsupportedMediaType", format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got {ct})"))
    }

    /// 500 InternalError.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    /// 410 Expired for a watch or continue token that is too old.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// Renders the `Status` object.
    pub fn to_status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        });
        if self.reason.is_empty() {
            // An error that is no Status (reason Unknown) has no reason at all.
            if let Some(m) = s.as_object_mut() {
                m.shift_remove("reason");
            }
        }
        if let Some(d) = &self.details {
            s["details"] = (**d).clone();
        }
        if let Some(r) = self.retry_after {
            let d = s.as_object_mut().expect("status is an object");
            let det = d.entry("details").or_insert_with(|| json!({}));
            det["retryAfterSeconds"] = json!(r);
        }
        s["code"] = json!(self.code);
        s
    }
}

fn group_or_core(group: &str) -> &str {
    if group.is_empty() {
        "core"
    } else {
        group
    }
}

/// A `Status` object reporting success (used by some deletes).
pub fn success_status(group: &str, plural: &str, name: &str, uid: &str) -> Value {
    let mut d = details(group, plural, name);
    d["uid"] = json!(uid);
    json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": d })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_lists_each_distinct_error_once_and_keeps_every_cause() {
        let dup = (
            "spec".to_string(),
            "FieldValueInvalid",
            "Invalid value: 1: too small".to_string(),
        );
        let other = (
            "spec.b".to_string(),
            "FieldValueRequired",
            "Required value".to_string(),
        );
        let e = ApiError::invalid("example.com", "Widget", "w", &[dup.clone(), dup.clone()]);
        assert_eq!(
            e.message,
            "Widget.example.com \"w\" is invalid: spec: Invalid value: 1: too small"
        );
        assert_eq!(
            e.details.as_ref().unwrap()["causes"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let e = ApiError::invalid("", "Pod", "p", &[dup.clone(), other, dup]);
        assert_eq!(
            e.message,
            "Pod \"p\" is invalid: [spec: Invalid value: 1: too small, spec.b: Required value]"
        );
        assert_eq!(
            e.details.as_ref().unwrap()["causes"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
    }
}
