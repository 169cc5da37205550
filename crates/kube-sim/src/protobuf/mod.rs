//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded into the
//! JSON a client would have sent, so they go through the same defaulting and validation.
//! client-go sends protobuf for every built-in kind whatever discovery says (kubectl's typed
//! `create` generators, `autoscale`, `auth can-i`), so decoding is the only way to serve them.
//!
//! Decoding is driven by a table of every message's fields ([`table`]); quantities,
//! int-or-strings, times and embedded JSON have their own JSON forms ([`special`]).
//!
//! Go encodes every non-pointer field, zero or not, and pointers only when set; its JSON omits
//! zero values of `omitempty` fields. The wire cannot tell the two apart, so an optional
//! field's zero value (`""`, `0`, `false`) is dropped as Go's JSON drops it, except for the
//! pointer fields in [`KEEP_ZERO`], where zero is a value (`replicas: 0`, `suspend: false`).

mod special;
mod table;
mod wire;

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::status::{ApiError, ApiResult};
use table::{Card, Field};
use wire::Wire;

const MAGIC: &[u8] = b"k8s\0";

/// Optional fields Go declares as pointers whose zero value means something, by JSON name.
const KEEP_ZERO: &[&str] = &[
    "activeDeadlineSeconds",
    "allocateLoadBalancerNodePorts",
    "allowPrivilegeEscalation",
    "automountServiceAccountToken",
    "averageUtilization",
    "backoffLimit",
    "backoffLimitPerIndex",
    "completions",
    "defaultMode",
    "deletionGracePeriodSeconds",
    "enableServiceLinks",
    "expirationSeconds",
    "failedJobsHistoryLimit",
    "fsGroup",
    "hostUsers",
    "immutable",
    "manualSelector",
    "maxFailedIndexes",
    "maxSurge",
    "maxUnavailable",
    "minAvailable",
    "minReplicas",
    "mode",
    "optional",
    "parallelism",
    "partition",
    "priority",
    "privileged",
    "progressDeadlineSeconds",
    "readOnlyRootFilesystem",
    "replicas",
    "revisionHistoryLimit",
    "runAsGroup",
    "runAsNonRoot",
    "runAsUser",
    "setHostnameAsFQDN",
    "shareProcessNamespace",
    "stabilizationWindowSeconds",
    "startingDeadlineSeconds",
    "storageClassName",
    "successfulJobsHistoryLimit",
    "suspend",
    "terminationGracePeriodSeconds",
    "ttlSecondsAfterFinished",
];

/// Decodes a protobuf body into JSON. A kind without a message is a 415 naming `content_type`;
/// a body that does not decode is a 400.
pub fn decode(body: &[u8], content_type: &str) -> ApiResult<Value> {
    let bad = |e: &str| ApiError::bad_request(format!("unable to decode the protobuf body: {e}"));
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("it does not start with the \"k8s\\x00\" prefix"))?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for (n, w) in wire::fields(envelope).ok_or_else(|| bad("malformed envelope"))? {
        match (n, w) {
            (1, Wire::Bytes(type_meta)) => {
                for (tn, tw) in wire::fields(type_meta).ok_or_else(|| bad("malformed type"))? {
                    match (tn, tw) {
                        (1, Wire::Bytes(v)) => api_version = String::from_utf8_lossy(v).into(),
                        (2, Wire::Bytes(v)) => kind = String::from_utf8_lossy(v).into(),
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(r)) => raw = r,
            _ => {}
        }
    }
    let name = table::kind(&api_version, &kind)
        .ok_or_else(|| ApiError::unsupported_media_type(content_type))?;
    let decoded = message(name, raw).map_err(|e| bad(&e))?;
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), json!(api_version));
    obj.insert("kind".into(), json!(kind));
    if let Value::Object(fields) = decoded {
        obj.extend(fields);
    }
    Ok(Value::Object(obj))
}

/// Decodes message `name` into JSON.
fn message(name: &str, buf: &[u8]) -> Result<Value, String> {
    if let Some(v) = special::decode(name, buf)? {
        return Ok(v);
    }
    let spec = table::message(name).ok_or_else(|| format!("unknown message {name}"))?;
    let mut out = Map::new();
    for (n, w) in wire::fields(buf).ok_or_else(|| format!("malformed {name}"))? {
        // Fields this table does not know (newer than it) are skipped, as Go skips them.
        let Some(f) = spec.get(&n) else { continue };
        match f.card {
            Card::One if f.inline => {
                if let Value::Object(inner) = message(f.ty, bytes(f, w)?)? {
                    out.extend(inner);
                }
            }
            Card::One => {
                let v = value(f, w)?;
                if keep(f, &v) {
                    out.insert(f.name.into(), v);
                } else {
                    out.shift_remove(f.name);
                }
            }
            Card::Many => {
                let values = match w {
                    Wire::Bytes(b) if is_number(f.ty) => wire::packed(b, f.ty == "double")
                        .ok_or_else(|| format!("malformed packed {}", f.name))?
                        .into_iter()
                        .map(|w| value(f, w))
                        .collect::<Result<Vec<_>, _>>()?,
                    w => vec![value(f, w)?],
                };
                let list = out.entry(f.name).or_insert_with(|| json!([]));
                if let Some(list) = list.as_array_mut() {
                    list.extend(values);
                }
            }
            Card::Map => {
                let (k, v) = entry(f, bytes(f, w)?)?;
                let map = out.entry(f.name).or_insert_with(|| json!({}));
                if let Some(map) = map.as_object_mut() {
                    map.insert(k, v);
                }
            }
        }
    }
    Ok(Value::Object(out))
}

fn is_number(ty: &str) -> bool {
    matches!(ty, "int32" | "int64" | "bool" | "double")
}

fn bytes<'a>(f: &Field, w: Wire<'a>) -> Result<&'a [u8], String> {
    match w {
        Wire::Bytes(b) => Ok(b),
        _ => Err(format!("{}: expected a length-delimited value", f.name)),
    }
}

/// One value of field `f`.
fn value(f: &Field, w: Wire<'_>) -> Result<Value, String> {
    Ok(match (f.ty, w) {
        ("string", Wire::Bytes(b)) => json!(String::from_utf8_lossy(b)),
        ("bytes", Wire::Bytes(b)) => json!(base64::engine::general_purpose::STANDARD.encode(b)),
        // Negative numbers are sign-extended to 64 bits on the wire.
        ("int32", Wire::Varint(x)) => json!(x as i32),
        ("int64", Wire::Varint(x)) => json!(x as i64),
        ("bool", Wire::Varint(x)) => json!(x != 0),
        ("double", Wire::Fixed64(x)) => json!(f64::from_bits(x)),
        (ty, Wire::Bytes(b)) if !is_number(ty) => message(ty, b)?,
        _ => return Err(format!("{}: unexpected wire type for {}", f.name, f.ty)),
    })
}

/// A map entry: key (1) and value (2).
fn entry(f: &Field, buf: &[u8]) -> Result<(String, Value), String> {
    let mut key = String::new();
    let mut val = None;
    for (n, w) in wire::fields(buf).ok_or_else(|| format!("malformed {} entry", f.name))? {
        match (n, w) {
            (1, Wire::Bytes(k)) => key = String::from_utf8_lossy(k).into_owned(),
            (2, w) => val = Some(value(f, w)?),
            _ => {}
        }
    }
    let zero = match f.ty {
        "string" | "bytes" => json!(""),
        _ => json!({}),
    };
    Ok((key, val.unwrap_or(zero)))
}

/// Whether a decoded single value appears in the JSON (see the module documentation).
fn keep(f: &Field, v: &Value) -> bool {
    let zero = match v {
        Value::Null => return false,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(b) => !b,
        Value::Array(_) | Value::Object(_) => false,
    };
    !zero || f.required || KEEP_ZERO.contains(&f.name)
}

#[cfg(test)]
mod tests;
