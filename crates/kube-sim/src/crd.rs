//! CustomResourceDefinitions: validation, the types they serve and their status conditions.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::resources::{PrinterColumn, ResourceType, ScaleSpec, SchemaSource};
use crate::status::ApiError;

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// Validates a CRD; returns the causes `(field, reason, message)` of an Invalid error.
pub fn validate(crd: &Value) -> Vec<(String, &'static str, String)> {
    let mut causes = vec![];
    let group = s(crd, "/spec/group");
    let plural = s(crd, "/spec/names/plural");
    let name = crate::meta::name(crd);
    if group.is_empty() {
        causes.push((
            "spec.group".into(),
            "FieldValueRequired",
            "Required value".into(),
        ));
    }
    if plural.is_empty() {
        causes.push((
            "spec.names.plural".into(),
            "FieldValueRequired",
            "Required value".into(),
        ));
    }
    if s(crd, "/spec/names/kind").is_empty() {
        causes.push((
            "spec.names.kind".into(),
            "FieldValueRequired",
            "Required value".into(),
        ));
    }
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        causes.push((
            "metadata.name".into(),
            "FieldValueInvalid",
            format!("Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group"),
        ));
    }
    match s(crd, "/spec/scope") {
        "Namespaced" | "Cluster" => {}
        other => causes.push((
            "spec.scope".into(),
            "FieldValueNotSupported",
            format!("Unsupported value: {other:?}: supported values: \"Cluster\", \"Namespaced\""),
        )),
    }
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if versions.is_empty() {
        causes.push((
            "spec.versions".into(),
            "FieldValueInvalid",
            "Invalid value: null: must have exactly one version marked as storage version".into(),
        ));
    } else if versions
        .iter()
        .filter(|v| v["storage"] == json!(true))
        .count()
        != 1
    {
        causes.push((
            "spec.versions".into(),
            "FieldValueInvalid",
            "Invalid value: []apiextensions.CustomResourceDefinitionVersion(nil): must have exactly one version marked as storage version".into(),
        ));
    }
    for (i, v) in versions.iter().enumerate() {
        if let Some(schema) = v.pointer("/schema/openAPIV3Schema") {
            let path = format!("spec.versions[{i}].schema.openAPIV3Schema");
            let structural = crate::structural::violations(&path, schema);
            let more = crate::crd_checks::violations(&path, schema, &structural);
            causes.extend(structural);
            causes.extend(more);
        }
    }
    causes
}

/// The types a CRD serves (one per served version).
pub fn types_of(crd: &Value) -> Result<Vec<ResourceType>, ApiError> {
    let name = crate::meta::name(crd).to_string();
    let names = &crd["spec"]["names"];
    let plural = names["plural"].as_str().unwrap_or_default().to_string();
    let kind = names["kind"].as_str().unwrap_or_default().to_string();
    let singular = names["singular"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| kind.to_lowercase());
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let versions = crd["spec"]["versions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let storage = versions
        .iter()
        .find(|v| v["storage"] == json!(true))
        .and_then(|v| v["name"].as_str())
        .unwrap_or("");
    let mut out = vec![];
    for v in &versions {
        if v["served"] == json!(false) {
            continue;
        }
        let version = v["name"].as_str().unwrap_or_default().to_string();
        let schema = v
            .pointer("/schema/openAPIV3Schema")
            .cloned()
            .unwrap_or_else(
                || json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
            );
        let scale = v.pointer("/subresources/scale").map(|sc| ScaleSpec {
            spec_replicas: sc["specReplicasPath"]
                .as_str()
                .unwrap_or(".spec.replicas")
                .into(),
            status_replicas: sc["statusReplicasPath"]
                .as_str()
                .unwrap_or(".status.replicas")
                .into(),
            label_selector: sc["labelSelectorPath"].as_str().map(String::from),
        });
        let columns = v["additionalPrinterColumns"]
            .as_array()
            .map(|cols| {
                cols.iter()
                    .filter(|c| c["priority"].as_i64().unwrap_or(0) == 0)
                    .map(|c| PrinterColumn {
                        name: c["name"].as_str().unwrap_or_default().into(),
                        type_: c["type"].as_str().unwrap_or("string").into(),
                        json_path: c["jsonPath"].as_str().unwrap_or_default().into(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(ResourceType {
            group: crd["spec"]["group"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            version: version.clone(),
            kind: kind.clone(),
            plural: plural.clone(),
            singular: singular.clone(),
            namespaced: crd["spec"]["scope"].as_str() == Some("Namespaced"),
            short_names: strings(&names["shortNames"]),
            categories: strings(&names["categories"]),
            status: v.pointer("/subresources/status").is_some(),
            scale,
            generation: true,
            schema: SchemaSource::Crd(Arc::new(crate::crd_schema::CrdSchema::new(schema))),
            preferred: version == storage,
            crd: Some(name.clone()),
            columns,
        });
    }
    Ok(out)
}

/// The finalizer that keeps a deleted CRD until its custom resources are gone.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

/// Marks a CRD in deletion as `Terminating` while its custom resources are being removed.
pub fn set_terminating(crd: &mut Value, now: &str, remaining: usize) {
    let since = crd
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| c.iter().find(|c| c["type"] == json!("Terminating")))
        .and_then(|c| c["lastTransitionTime"].as_str())
        .unwrap_or(now)
        .to_string();
    let cond = json!({
        "type": "Terminating", "status": "True", "lastTransitionTime": since,
        "reason": "InstanceDeletionInProgress",
        "message": format!("CustomResource deletion is in progress ({remaining} remaining)"),
    });
    if let Some(conds) = crd
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut)
    {
        conds.retain(|c| c["type"] != json!("Terminating"));
        conds.push(cond);
    }
}

/// Sets the `NamesAccepted` and `Established` conditions and `acceptedNames` on a CRD.
pub fn establish(crd: &mut Value, now: &str) {
    let names = crd["spec"]["names"].clone();
    let storage: Vec<Value> = crd["spec"]["versions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|v| v["storage"] == json!(true))
                .map(|v| v["name"].clone())
                .collect()
        })
        .unwrap_or_default();
    let cond = |t: &str, reason: &str, msg: &str| json!({"type": t, "status": "True", "lastTransitionTime": now, "reason": reason, "message": msg});
    let existing = crd
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let keep_time = |t: &str, fresh: Value| -> Value {
        existing
            .iter()
            .find(|c| c["type"] == json!(t) && c["status"] == json!("True"))
            .cloned()
            .unwrap_or(fresh)
    };
    crd["status"] = json!({
        "conditions": [
            keep_time("NamesAccepted", cond("NamesAccepted", "NoConflicts", "no conflicts found")),
            keep_time("Established", cond("Established", "InitialNamesAccepted", "the initial names have been accepted")),
        ],
        "acceptedNames": names,
        "storedVersions": storage,
    });
    if let Some(t) = existing.iter().find(|c| c["type"] == json!("Terminating")) {
        if let Some(conds) = crd["status"]["conditions"].as_array_mut() {
            conds.push(t.clone());
        }
    }
}
