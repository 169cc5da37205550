//! The `serviceaccounts/{name}/token` subresource (`kubectl create token`): a TokenRequest is
//! validated and answered as `pkg/registry/core/serviceaccount/storage/token.go` answers it,
//! with a JWT carrying the claims a real service account token carries. Its signature is
//! random: kube-sim authenticates only its own credential, so the token is not accepted back.

use base64::Engine;
use serde_json::{json, Value};

use crate::meta;
use crate::resources::{ResKey, ResourceType};
use crate::status::{ApiError, ApiResult};
use crate::store::State;
use crate::web::Request;

/// The API server's audiences, as k3s configures them (`--api-audiences`).
const AUDIENCES: &[&str] = &["https://kubernetes.default.svc.cluster.local", "k3s"];
const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
const GROUP: &str = "authentication.k8s.io";
const MIN_SECONDS: i64 = 10 * 60;
const MAX_SECONDS: i64 = 1 << 32;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn invalid(name: &str, field: &str, value: &Value, message: &str) -> ApiError {
    ApiError::invalid(
        GROUP,
        "TokenRequest",
        name,
        &[(
            field.to_string(),
            "FieldValueInvalid",
            format!("Invalid value: {value}: {message}"),
        )],
    )
}

/// Whether `rt` has the `token` subresource (service accounts).
pub fn serves(rt: &ResourceType) -> bool {
    rt.group.is_empty() && rt.plural == "serviceaccounts"
}

/// Checks the object a token is bound to (a Pod running as the service account, a Node or a
/// Secret) and returns its claim (`pod`, `node` or `secret`: name and uid).
fn bound_object(st: &State, r: &Value, ns: &str, sa: &str) -> ApiResult<(&'static str, Value)> {
    let text = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (api_version, kind, name, uid) =
        (text("apiVersion"), text("kind"), text("name"), text("uid"));
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
    let (plural, claim, obj_ns) = match (group, kind.as_str()) {
        ("", "Pod") => ("pods", "pod", ns),
        ("", "Node") => ("nodes", "node", ""),
        ("", "Secret") => ("secrets", "secret", ns),
        _ => {
            return Err(ApiError::bad_request(format!(
                "cannot bind token to object of type {group}/{version}, Kind={kind}"
            )))
        }
    };
    let obj = st
        .get(&ResKey::new("", plural), obj_ns, &name)
        .ok_or_else(|| ApiError::not_found("", plural, &name))?;
    if claim == "pod"
        && obj
            .pointer("/spec/serviceAccountName")
            .and_then(Value::as_str)
            != Some(sa)
    {
        return Err(ApiError::bad_request(format!(
            "cannot bind token for serviceaccount {sa:?} to pod running with different serviceaccount name."
        )));
    }
    let actual = meta::uid(obj);
    if !uid.is_empty() && uid != actual {
        return Err(ApiError::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {kind} {name:?}: the UID in the bound object reference ({uid}) does not match the UID in record. The object might have been deleted and then recreated"),
        )
        .with_details(json!({ "name": name, "kind": kind })));
    }
    Ok((claim, json!({ "name": name, "uid": actual })))
}

/// Answers a TokenRequest for service account `name` in `ns` (201 with the token).
pub fn create(st: &State, req: &Request, ns: &str, name: &str) -> ApiResult<Value> {
    let mut tr = req.body_value()?;
    if !tr.is_object() {
        return Err(ApiError::bad_request("the object must be a JSON object"));
    }
    for (field, want, what) in [("name", name, "name"), ("namespace", ns, "namespace")] {
        let given = tr
            .pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_str);
        if let Some(given) = given.filter(|g| !g.is_empty() && *g != want) {
            return Err(invalid(
                name,
                &format!("metadata.{field}"),
                &json!(given),
                &format!("must match the service account {what} if specified"),
            ));
        }
    }
    let sa = st
        .get(&ResKey::new("", "serviceaccounts"), ns, name)
        .ok_or_else(|| ApiError::not_found("", "serviceaccounts", name))?;
    let spec = tr
        .as_object_mut()
        .map(|o| o.entry("spec").or_insert_with(|| json!({})))
        .filter(|s| s.is_object())
        .ok_or_else(|| ApiError::bad_request("spec must be an object"))?;
    let seconds = match spec.get("expirationSeconds") {
        None | Some(Value::Null) => 3600,
        Some(v) => v
            .as_i64()
            .ok_or_else(|| ApiError::bad_request("spec.expirationSeconds must be an integer"))?,
    };
    spec["expirationSeconds"] = json!(seconds);
    let audiences = match spec.get("audiences").and_then(Value::as_array) {
        Some(a) if !a.is_empty() => a.clone(),
        _ => AUDIENCES.iter().map(|a| json!(a)).collect(),
    };
    spec["audiences"] = json!(audiences);
    let bound = spec
        .get("boundObjectRef")
        .filter(|r| r.is_object())
        .cloned();
    // Static validation reports no name, as the registry calls it.
    if seconds < MIN_SECONDS {
        let msg = "may not specify a duration less than 10 minutes";
        return Err(invalid("", "spec.expirationSeconds", &json!(seconds), msg));
    }
    if seconds > MAX_SECONDS {
        let msg = "may not specify a duration larger than 2^32 seconds";
        return Err(invalid("", "spec.expirationSeconds", &json!(seconds), msg));
    }
    let mut claims_k8s = json!({
        "namespace": ns,
        "serviceaccount": { "name": name, "uid": meta::uid(sa) },
    });
    if let Some(r) = bound {
        let (key, claim) = bound_object(st, &r, ns, name)?;
        claims_k8s[key] = claim;
    }
    let now = std::time::SystemTime::now();
    let iat = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let exp = iat.saturating_add(seconds.unsigned_abs());
    let claims = json!({
        "aud": audiences,
        "exp": exp,
        "iat": iat,
        "iss": ISSUER,
        "jti": meta::new_uid(),
        "kubernetes.io": claims_k8s,
        "nbf": iat,
        "sub": format!("system:serviceaccount:{ns}:{name}"),
    });
    let header = json!({ "alg": "RS256", "kid": "kube-sim" });
    let signature: Vec<u8> = (0..16)
        .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
        .collect();
    let token = format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(&signature)
    );
    let expires = now + std::time::Duration::from_secs(seconds.unsigned_abs());
    tr["apiVersion"] = json!("authentication.k8s.io/v1");
    tr["kind"] = json!("TokenRequest");
    let m = meta::meta_mut(&mut tr);
    for (k, v) in [("name", name), ("namespace", ns)] {
        if m.get(k).and_then(Value::as_str).is_none_or(str::is_empty) {
            m.insert(k.into(), json!(v));
        }
    }
    m.insert(
        "creationTimestamp".into(),
        json!(humantime::format_rfc3339_seconds(now).to_string()),
    );
    tr["status"] = json!({
        "token": token,
        "expirationTimestamp": humantime::format_rfc3339_seconds(expires).to_string(),
    });
    Ok(tr)
}
