//! ConfigMap and Secret validation: key syntax, a key in both `data` and `binaryData`, the
//! keys a Secret's type requires, and the base64 check of decoding.

use serde_json::{Map, Value};

use super::{q, text, Errs};

/// The messages of Go's `IsConfigMapKey` (also used for Secret keys).
pub fn config_key(key: &str) -> Vec<String> {
    let mut errs = vec![];
    if key.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    let ok = !key.is_empty()
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    if !ok {
        errs.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')".to_string());
    }
    if key == "." {
        errs.push("must not be '.'".to_string());
    } else if key == ".." {
        errs.push("must not be '..'".to_string());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".to_string());
    }
    errs
}

fn keys(m: &Map<String, Value>, field: &str, errs: &mut Errs) {
    if let Some(map) = m.get(field).and_then(Value::as_object) {
        for k in map.keys() {
            for msg in config_key(k) {
                errs.invalid(format!("{field}[{k}]"), q(k), &msg);
            }
        }
    }
}

/// `v1` ConfigMap.
pub fn config_map(o: &Map<String, Value>, errs: &mut Errs) {
    let binary = o.get("binaryData").and_then(Value::as_object);
    if let Some(data) = o.get("data").and_then(Value::as_object) {
        for k in data.keys() {
            for msg in config_key(k) {
                errs.invalid(format!("data[{k}]"), q(k), &msg);
            }
            if binary.is_some_and(|b| b.contains_key(k)) {
                errs.invalid(
                    format!("data[{k}]"),
                    q(k),
                    "duplicate of key present in binaryData",
                );
            }
        }
    }
    keys(o, "binaryData", errs);
}

/// `v1` Secret.
pub fn secret(o: &Map<String, Value>, errs: &mut Errs) {
    keys(o, "data", errs);
    let data = o.get("data").and_then(Value::as_object);
    let has = |k: &str| data.is_some_and(|d| d.contains_key(k));
    let required: &[&str] = match text(o, "type") {
        "kubernetes.io/tls" => &["tls.crt", "tls.key"],
        "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
        "kubernetes.io/dockercfg" => &[".dockercfg"],
        _ => &[],
    };
    for k in required {
        if !has(k) {
            errs.required(format!("data[{k}]"));
        }
    }
}

/// Where Go's standard base64 decoder would stop on `s`, if anywhere.
pub fn base64_error(s: &str) -> Option<usize> {
    use base64::Engine;
    match base64::engine::general_purpose::STANDARD.decode(s) {
        Ok(_) => None,
        Err(base64::DecodeError::InvalidByte(at, _)) => Some(at),
        Err(base64::DecodeError::InvalidLastSymbol(at, _)) => Some(at),
        Err(base64::DecodeError::InvalidLength(len)) => Some(len - len % 4),
        Err(base64::DecodeError::InvalidPadding) => Some(s.len().saturating_sub(1)),
    }
}
