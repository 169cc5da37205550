//! Decoding the few Kubernetes protobuf bodies kubectl's typed commands send (`create
//! namespace|configmap|secret|deployment`, and the SelfSubjectAccessReview of `auth can-i`).
//! Other kinds are answered with 415 Unsupported Media Type. client-go sends protobuf for
//! every built-in kind whatever discovery says, so decoding is the only way to serve them.

use base64::Engine;
use serde_json::{json, Map, Value};

const MAGIC: &[u8] = b"k8s\0";

enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

fn fields(buf: &[u8]) -> Option<Vec<(u64, Wire<'_>)>> {
    let mut pos = 0;
    let mut out = vec![];
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let wire = match key & 7 {
            0 => Wire::Varint(varint(buf, &mut pos)?),
            1 => {
                pos += 8;
                Wire::Fixed
            }
            2 => {
                let len = varint(buf, &mut pos)? as usize;
                let bytes = buf.get(pos..pos.checked_add(len)?)?;
                pos += len;
                Wire::Bytes(bytes)
            }
            5 => {
                pos += 4;
                Wire::Fixed
            }
            _ => return None,
        };
        out.push((key >> 3, wire));
    }
    (pos == buf.len()).then_some(out)
}

fn text(b: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(b).into_owned())
}

fn map_entry(b: &[u8], binary: bool) -> Option<(String, Value)> {
    let mut key = String::new();
    let mut value = Value::String(String::new());
    for (n, w) in fields(b)? {
        match (n, w) {
            (1, Wire::Bytes(k)) => key = String::from_utf8_lossy(k).into_owned(),
            (2, Wire::Bytes(v)) if binary => {
                value = json!(base64::engine::general_purpose::STANDARD.encode(v))
            }
            (2, Wire::Bytes(v)) => value = text(v),
            _ => {}
        }
    }
    Some((key, value))
}

fn insert_entry(
    obj: &mut Map<String, Value>,
    field: &str,
    entry: &[u8],
    binary: bool,
) -> Option<()> {
    let (k, v) = map_entry(entry, binary)?;
    let m = obj.entry(field).or_insert_with(|| json!({}));
    m.as_object_mut()?.insert(k, v);
    Some(())
}

fn object_meta(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    for (n, w) in fields(b)? {
        let Wire::Bytes(v) = w else { continue };
        match n {
            1 => drop(m.insert("name".into(), text(v))),
            2 => drop(m.insert("generateName".into(), text(v))),
            3 => drop(m.insert("namespace".into(), text(v))),
            11 => insert_entry(&mut m, "labels", v, false)?,
            12 => insert_entry(&mut m, "annotations", v, false)?,
            14 => {
                let list = m.entry("finalizers").or_insert_with(|| json!([]));
                list.as_array_mut()?.push(text(v));
            }
            _ => {}
        }
    }
    Some(Value::Object(m))
}

/// A message of string fields, named by field number (1-based index into `names`).
fn strings(b: &[u8], names: &[&str]) -> Option<Value> {
    let mut m = Map::new();
    for (n, w) in fields(b)? {
        if let (Some(name), Wire::Bytes(v)) = (names.get((n as usize).wrapping_sub(1)), w) {
            m.insert(name.to_string(), text(v));
        }
    }
    Some(Value::Object(m))
}

/// `SelfSubjectAccessReviewSpec`: resource attributes (1) or non-resource attributes (2).
fn review_spec(b: &[u8]) -> Option<Value> {
    const RESOURCE: &[&str] = &[
        "namespace",
        "verb",
        "group",
        "version",
        "resource",
        "subresource",
        "name",
    ];
    let mut m = Map::new();
    for (n, w) in fields(b)? {
        match (n, w) {
            (1, Wire::Bytes(v)) => {
                drop(m.insert("resourceAttributes".into(), strings(v, RESOURCE)?))
            }
            (2, Wire::Bytes(v)) => drop(m.insert(
                "nonResourceAttributes".into(),
                strings(v, &["path", "verb"])?,
            )),
            _ => {}
        }
    }
    Some(Value::Object(m))
}

/// A string field's value, or `None` for the empty strings protobuf encodes for unset fields.
fn non_empty(b: &[u8]) -> Option<Value> {
    (!b.is_empty()).then(|| text(b))
}

/// `LabelSelector`: its `matchLabels` (1); match expressions are not decoded.
fn label_selector(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    for (n, w) in fields(b)? {
        if let (1, Wire::Bytes(v)) = (n, w) {
            insert_entry(&mut m, "matchLabels", v, false)?;
        }
    }
    Some(Value::Object(m))
}

/// `Container`: name (1), image (2), command (3), args (4) and ports (6) — what `kubectl
/// create deployment` sets.
fn container(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    for (n, w) in fields(b)? {
        let Wire::Bytes(v) = w else { continue };
        match n {
            1 | 2 => {
                if let Some(s) = non_empty(v) {
                    m.insert(if n == 1 { "name" } else { "image" }.into(), s);
                }
            }
            3 | 4 => {
                let key = if n == 3 { "command" } else { "args" };
                let list = m.entry(key).or_insert_with(|| json!([]));
                list.as_array_mut()?.push(text(v));
            }
            6 => {
                let mut port = Map::new();
                for (pn, pw) in fields(v)? {
                    match (pn, pw) {
                        (1, Wire::Bytes(s)) if !s.is_empty() => {
                            drop(port.insert("name".into(), text(s)))
                        }
                        (3, Wire::Varint(x)) => drop(port.insert("containerPort".into(), json!(x))),
                        (4, Wire::Bytes(s)) if !s.is_empty() => {
                            drop(port.insert("protocol".into(), text(s)))
                        }
                        _ => {}
                    }
                }
                let list = m.entry("ports").or_insert_with(|| json!([]));
                list.as_array_mut()?.push(Value::Object(port));
            }
            _ => {}
        }
    }
    Some(Value::Object(m))
}

/// `PodTemplateSpec`: metadata (1) and the pod spec's containers (2 → 2).
fn pod_template(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    for (n, w) in fields(b)? {
        let Wire::Bytes(v) = w else { continue };
        match n {
            1 => drop(m.insert("metadata".into(), object_meta(v)?)),
            2 => {
                let mut containers = vec![];
                for (sn, sw) in fields(v)? {
                    if let (2, Wire::Bytes(c)) = (sn, sw) {
                        containers.push(container(c)?);
                    }
                }
                m.insert("spec".into(), json!({ "containers": containers }));
            }
            _ => {}
        }
    }
    Some(Value::Object(m))
}

/// `DeploymentSpec`: replicas (1), selector (2) and template (3).
fn deployment_spec(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    for (n, w) in fields(b)? {
        match (n, w) {
            (1, Wire::Varint(x)) => drop(m.insert("replicas".into(), json!(x))),
            (2, Wire::Bytes(v)) => drop(m.insert("selector".into(), label_selector(v)?)),
            (3, Wire::Bytes(v)) => drop(m.insert("template".into(), pod_template(v)?)),
            _ => {}
        }
    }
    Some(Value::Object(m))
}

fn message(kind: &str, b: &[u8]) -> Option<Value> {
    let mut obj = Map::new();
    for (n, w) in fields(b)? {
        match (kind, n, w) {
            (_, 1, Wire::Bytes(v)) => drop(obj.insert("metadata".into(), object_meta(v)?)),
            ("ConfigMap", 2, Wire::Bytes(v)) => insert_entry(&mut obj, "data", v, false)?,
            ("ConfigMap", 3, Wire::Bytes(v)) => insert_entry(&mut obj, "binaryData", v, true)?,
            ("ConfigMap", 4, Wire::Varint(x)) | ("Secret", 5, Wire::Varint(x)) => {
                drop(obj.insert("immutable".into(), json!(x != 0)))
            }
            ("Secret", 2, Wire::Bytes(v)) => insert_entry(&mut obj, "data", v, true)?,
            ("Secret", 3, Wire::Bytes(v)) => drop(obj.insert("type".into(), text(v))),
            ("Secret", 4, Wire::Bytes(v)) => insert_entry(&mut obj, "stringData", v, false)?,
            ("Deployment", 2, Wire::Bytes(v)) => {
                drop(obj.insert("spec".into(), deployment_spec(v)?))
            }
            ("SelfSubjectAccessReview", 2, Wire::Bytes(v)) => {
                drop(obj.insert("spec".into(), review_spec(v)?))
            }
            ("SelfSubjectRulesReview", 2, Wire::Bytes(v)) => {
                drop(obj.insert("spec".into(), strings(v, &["namespace"])?))
            }
            ("Namespace", 2, Wire::Bytes(v)) => {
                let finalizers: Vec<Value> = fields(v)?
                    .into_iter()
                    .filter_map(|(n, w)| match (n, w) {
                        (1, Wire::Bytes(f)) => Some(text(f)),
                        _ => None,
                    })
                    .collect();
                obj.insert("spec".into(), json!({ "finalizers": finalizers }));
            }
            _ => {}
        }
    }
    Some(Value::Object(obj))
}

/// Decodes a `application/vnd.kubernetes.protobuf` body into JSON, or `None` when it is not
/// one of the supported kinds.
pub fn decode(body: &[u8]) -> Option<Value> {
    let envelope = body.strip_prefix(MAGIC)?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for (n, w) in fields(envelope)? {
        match (n, w) {
            (1, Wire::Bytes(tm)) => {
                for (tn, tw) in fields(tm)? {
                    if let Wire::Bytes(v) = tw {
                        match tn {
                            1 => api_version = String::from_utf8_lossy(v).into_owned(),
                            2 => kind = String::from_utf8_lossy(v).into_owned(),
                            _ => {}
                        }
                    }
                }
            }
            (2, Wire::Bytes(r)) => raw = r,
            _ => {}
        }
    }
    let known = match api_version.as_str() {
        "v1" => matches!(kind.as_str(), "ConfigMap" | "Secret" | "Namespace"),
        "apps/v1" => kind == "Deployment",
        "authorization.k8s.io/v1" => {
            matches!(
                kind.as_str(),
                "SelfSubjectAccessReview" | "SelfSubjectRulesReview"
            )
        }
        _ => false,
    };
    if !known {
        return None;
    }
    let mut obj = message(&kind, raw)?;
    obj["apiVersion"] = json!(api_version);
    obj["kind"] = json!(kind);
    Some(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![(n << 3 | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn decodes_a_configmap() {
        let entry = [field(1, b"k"), field(2, b"v")].concat();
        let meta = field(1, b"cfg");
        let cm = [field(1, &meta), field(2, &entry)].concat();
        let type_meta = [field(1, b"v1"), field(2, b"ConfigMap")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &cm)].concat();
        let v = decode(&body).unwrap();
        assert_eq!(
            v,
            json!({"metadata": {"name": "cfg"}, "data": {"k": "v"}, "apiVersion": "v1", "kind": "ConfigMap"})
        );
    }

    #[test]
    fn decodes_a_self_subject_access_review() {
        let attrs = [
            field(1, b"ns"),
            field(2, b"create"),
            field(3, b"apps"),
            field(5, b"deployments"),
        ]
        .concat();
        let review = [field(1, &[]), field(2, &field(1, &attrs))].concat();
        let type_meta = [
            field(1, b"authorization.k8s.io/v1"),
            field(2, b"SelfSubjectAccessReview"),
        ]
        .concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &review)].concat();
        let v = decode(&body).unwrap();
        assert_eq!(
            v["spec"],
            json!({"resourceAttributes": {"namespace": "ns", "verb": "create", "group": "apps", "resource": "deployments"}})
        );
    }
}
