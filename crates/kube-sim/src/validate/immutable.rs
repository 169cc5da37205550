//! Fields that may not change once set: a Deployment's (and ReplicaSet's, DaemonSet's)
//! selector, a StatefulSet's spec beyond its mutable fields, a Job's selector and template, a
//! Service's cluster IPs, an immutable ConfigMap's or Secret's contents, a Secret's type and a
//! role binding's roleRef.

use serde_json::Value;

use super::meta::go_selector;
use super::{q, Errs};
use crate::resources::ResourceType;

/// Fields of a StatefulSet's spec that an update may change.
const STATEFULSET_MUTABLE: &[&str] = &[
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

fn at<'a>(v: &'a Value, ptr: &str) -> Option<&'a Value> {
    v.pointer(ptr).filter(|v| !v.is_null())
}

/// Adds the causes of every immutable field `new` changes relative to `old`.
pub fn check(rt: &ResourceType, old: &Value, new: &Value, errs: &mut Errs) {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment" | "ReplicaSet" | "DaemonSet") => selector(old, new, errs),
        ("apps", "StatefulSet") => stateful_set(old, new, errs),
        ("batch", "Job") => {
            selector(old, new, errs);
            if at(old, "/spec/template") != at(new, "/spec/template") {
                errs.invalid(
                    "spec.template",
                    "core.PodTemplateSpec{...}".into(),
                    "field is immutable",
                );
            }
        }
        ("", "Service") => service(old, new, errs),
        ("", "ConfigMap") => frozen(old, new, &["data", "binaryData"], errs),
        ("", "Secret") => {
            frozen(old, new, &["data"], errs);
            let (was, is) = (
                at(old, "/type").and_then(Value::as_str).unwrap_or(""),
                at(new, "/type").and_then(Value::as_str).unwrap_or(""),
            );
            if was != is {
                errs.invalid("type", q(is), "field is immutable");
            }
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding")
            if at(old, "/roleRef") != at(new, "/roleRef") =>
        {
            let r = |k: &str| {
                q(at(new, &format!("/roleRef/{k}"))
                    .and_then(Value::as_str)
                    .unwrap_or(""))
            };
            errs.invalid(
                "roleRef",
                format!(
                    "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
                    r("apiGroup"),
                    r("kind"),
                    r("name")
                ),
                "cannot change roleRef",
            );
        }
        _ => {}
    }
}

fn selector(old: &Value, new: &Value, errs: &mut Errs) {
    let (was, is) = (at(old, "/spec/selector"), at(new, "/spec/selector"));
    if was != is {
        let value = is.map(go_selector).unwrap_or_else(|| "null".into());
        errs.invalid("spec.selector", value, "field is immutable");
    }
}

fn stateful_set(old: &Value, new: &Value, errs: &mut Errs) {
    let strip = |v: &Value| {
        let mut spec = v.get("spec").cloned().unwrap_or(Value::Null);
        if let Some(m) = spec.as_object_mut() {
            for k in STATEFULSET_MUTABLE {
                m.shift_remove(*k);
            }
        }
        spec
    };
    if strip(old) != strip(new) {
        errs.forbidden(
            "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        );
    }
}

fn service(old: &Value, new: &Value, errs: &mut Errs) {
    let ty = |v: &Value| {
        at(v, "/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP")
            .to_string()
    };
    if ty(old) == "ExternalName" || ty(new) == "ExternalName" {
        return;
    }
    let ips = |v: &Value| -> Vec<String> {
        at(v, "/spec/clusterIPs")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (was, is) = (ips(old), ips(new));
    let old_ip = at(old, "/spec/clusterIP")
        .and_then(Value::as_str)
        .unwrap_or("");
    let new_ip = at(new, "/spec/clusterIP")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !was.is_empty() && (was.first() != is.first() || old_ip != new_ip) {
        let list: Vec<String> = is.iter().map(|s| q(s)).collect();
        let value = if old_ip != new_ip && was.first() == is.first() {
            format!("[]string{{{}}}", q(new_ip))
        } else {
            format!("[]string{{{}}}", list.join(", "))
        };
        errs.invalid("spec.clusterIPs[0]", value, "may not change once set");
    }
}

fn frozen(old: &Value, new: &Value, fields: &[&str], errs: &mut Errs) {
    if at(old, "/immutable") != Some(&Value::Bool(true)) {
        return;
    }
    if at(new, "/immutable") != Some(&Value::Bool(true)) {
        errs.forbidden("immutable", "field is immutable when `immutable` is set");
    }
    for f in fields {
        if at(old, &format!("/{f}")) != at(new, &format!("/{f}")) {
            errs.forbidden(*f, "field is immutable when `immutable` is set");
        }
    }
}
