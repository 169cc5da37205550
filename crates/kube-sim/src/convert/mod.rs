//! Versions of built-in kinds served next to their storage version, and the conversions
//! between them: objects are stored in the storage (preferred) version and converted to the
//! version of each request on the way in and out, as the API server does.

mod hpa;

use serde_json::Value;

use crate::builtins::Builtin;
use crate::resources::ResourceType;
use crate::status::{ApiError, ApiResult};

/// Built-in kinds served in a version that is not their storage version.
#[rustfmt::skip]
pub(crate) const OTHER_VERSIONS: &[Builtin] = &[
    Builtin { group: "autoscaling", version: "v1", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers", namespaced: true, short: &["hpa"], status: true, scale: false, generation: true, all: true },
];

/// Whether objects of `rt` are converted between `rt`'s version and a storage version.
pub fn applies(rt: &ResourceType) -> bool {
    rt.crd.is_none() && !rt.preferred
}

/// Converts an object written in `rt`'s version to the storage version. A round-trip
/// annotation that does not decode is a 500, as the real conversion's error is.
pub fn to_storage(rt: &ResourceType, obj: Value) -> ApiResult<Value> {
    if !applies(rt) {
        return Ok(obj);
    }
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("autoscaling", "HorizontalPodAutoscaler") => hpa::v1_to_v2(obj).map_err(|e| {
            ApiError::new(
                500,
                "InternalError",
                format!("Internal error occurred: {e}"),
            )
        }),
        _ => Ok(obj),
    }
}

/// The stored object as `rt`'s version shows it.
pub fn from_storage(rt: &ResourceType, obj: &Value) -> Value {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("autoscaling", "HorizontalPodAutoscaler") if applies(rt) => hpa::v2_to_v1(obj),
        _ => obj.clone(),
    }
}
