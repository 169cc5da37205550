//! Validation of built-in kinds as the API server does it after defaulting: required fields,
//! enums, name and key syntax, label selectors that must match templates, duplicate list-map
//! keys, and on update the fields that may not change. Failures become a 422 `Invalid` status
//! whose causes and message read like the real server's (`Deployment.apps "web" is invalid:
//! spec.selector: Required value`).

mod config;
mod custom;
mod formats;
mod gofmt;
mod immutable;
mod lists;
mod meta;
mod pod;
mod rules;
mod service;
mod workloads;

pub(crate) use meta::selector_matches;

use serde_json::{Map, Value};

use crate::resources::{ResourceType, SchemaSource};
use crate::status::{ApiError, ApiResult};

/// One failed check: field path, cause reason and message body.
pub type Cause = (String, &'static str, String);

/// Collects causes in the order the real validators report them.
#[derive(Default)]
pub struct Errs(pub Vec<Cause>);

impl Errs {
    fn push(&mut self, path: impl Into<String>, reason: &'static str, body: String) {
        self.0.push((path.into(), reason, body));
    }

    /// An `Invalid value: ...` body produced elsewhere (name checks).
    pub fn push_body(&mut self, path: impl Into<String>, body: String) {
        self.push(path, "FieldValueInvalid", body);
    }

    /// `Required value`.
    pub fn required(&mut self, path: impl Into<String>) {
        self.push(path, "FieldValueRequired", "Required value".into());
    }

    /// `Invalid value: VALUE: detail`, with `value` already in Go's `%#v`/`%q` form.
    pub fn invalid(&mut self, path: impl Into<String>, value: String, detail: &str) {
        self.push(
            path,
            "FieldValueInvalid",
            format!("Invalid value: {value}: {detail}"),
        );
    }

    /// `Unsupported value: "x": supported values: "a", "b"`.
    pub fn not_supported(&mut self, path: impl Into<String>, value: &str, supported: &[&str]) {
        let list: Vec<String> = supported.iter().map(|s| q(s)).collect();
        self.push(
            path,
            "FieldValueNotSupported",
            format!(
                "Unsupported value: {}: supported values: {}",
                q(value),
                list.join(", ")
            ),
        );
    }

    /// `Unsupported value: VALUE: supported values: ...` with a value already rendered.
    pub fn push_not_supported_raw(
        &mut self,
        path: impl Into<String>,
        value: String,
        supported: &[&str],
    ) {
        let list: Vec<String> = supported.iter().map(|s| q(s)).collect();
        self.push(
            path,
            "FieldValueNotSupported",
            format!(
                "Unsupported value: {value}: supported values: {}",
                list.join(", ")
            ),
        );
    }

    /// `Unsupported value: VALUE: supported values: A, B` with everything already rendered.
    pub fn push_not_supported_rendered(
        &mut self,
        path: impl Into<String>,
        value: String,
        supported: &[String],
    ) {
        self.push(
            path,
            "FieldValueNotSupported",
            format!(
                "Unsupported value: {value}: supported values: {}",
                supported.join(", ")
            ),
        );
    }

    /// `Duplicate value: VALUE`.
    pub fn duplicate(&mut self, path: impl Into<String>, value: String) {
        self.push(
            path,
            "FieldValueDuplicate",
            format!("Duplicate value: {value}"),
        );
    }

    /// `Forbidden: detail`.
    pub fn forbidden(&mut self, path: impl Into<String>, detail: &str) {
        self.push(path, "FieldValueForbidden", format!("Forbidden: {detail}"));
    }

    /// `Not found: VALUE`.
    pub fn not_found(&mut self, path: impl Into<String>, value: String) {
        self.push(path, "FieldValueNotFound", format!("Not found: {value}"));
    }
}

/// A JSON value as Go prints it as the bad value of a field error.
pub fn go_value(v: &Value) -> String {
    gofmt::value(v)
}

/// A JSON value as Go's `json.Marshal` prints it.
pub fn go_json(v: &Value) -> String {
    gofmt::json(v)
}

/// The causes of a CRD schema `default` that does not validate against the schema `s` of its
/// node (value validations, then CEL rules), reported below `at`.
pub fn default_causes(
    d: &Value,
    s: &Value,
    crd: &crate::crd_schema::CrdSchema,
    at: &str,
) -> Vec<Cause> {
    let errs = custom::validate_default(d, s, crd, at);
    if !errs.is_empty() {
        return errs;
    }
    rules::check_at(d, s, at, crd)
}

/// A CEL rule's `fieldPath` (`.spec.x`, `['a.b']`) as a dotted field path.
pub fn normalize_field_path(p: &str) -> String {
    rules::normalize_field_path(p)
}

/// Go's `%q` of a string.
pub fn q(s: &str) -> String {
    format!("{s:?}")
}

/// A string field of an object (empty when missing or not a string).
fn text<'a>(m: &'a Map<String, Value>, key: &str) -> &'a str {
    m.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Validates a new object of a built-in kind (custom resources are checked against their
/// schema elsewhere).
pub fn create(rt: &ResourceType, obj: &Value) -> ApiResult<()> {
    let errs = object(rt, obj, None);
    finish(rt, obj, errs)
}

/// Validates an update: the new object itself, then the fields that may not change.
pub fn update(rt: &ResourceType, old: &Value, new: &Value) -> ApiResult<()> {
    let mut changed = Errs::default();
    meta::finalizers_update(old, new, &mut changed);
    immutable::check(rt, old, new, &mut changed);
    let mut errs = object(rt, new, Some(old));
    // The real validators check workloads and role bindings before their immutable fields,
    // everything else after.
    if matches!(rt.group.as_str(), "apps" | "rbac.authorization.k8s.io") {
        errs.0.extend(changed.0);
    } else {
        changed.0.extend(errs.0);
        errs = changed;
    }
    finish(rt, new, errs)
}

/// Validates an update through `/status`: for custom resources the status against its schema
/// and the object's lists and CEL rules, as the real status strategy does.
pub fn status_update(rt: &ResourceType, old: &Value, new: &Value) -> ApiResult<()> {
    let SchemaSource::Crd(schema) = &rt.schema else {
        return Ok(());
    };
    let mut errs = Errs::default();
    custom::validate_status(new, old, schema, &mut errs);
    finish(rt, new, errs)
}

fn finish(rt: &ResourceType, obj: &Value, errs: Errs) -> ApiResult<()> {
    if errs.0.is_empty() {
        return Ok(());
    }
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    Err(ApiError::invalid(&rt.group, &rt.kind, name, &errs.0))
}

fn object(rt: &ResourceType, obj: &Value, old: Option<&Value>) -> Errs {
    let mut errs = Errs::default();
    if let Some(m) = obj.get("metadata").and_then(Value::as_object) {
        meta::object_meta(m, "metadata", &mut errs);
    }
    if let SchemaSource::Crd(schema) = &rt.schema {
        custom::validate(obj, old, schema, &mut errs);
        return errs;
    }
    let Some(o) = obj.as_object() else {
        return errs;
    };
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") => workloads::deployment(o, &mut errs),
        ("apps", "StatefulSet") => workloads::stateful_set(o, &mut errs),
        ("apps", "DaemonSet") => workloads::daemon_set(o, &mut errs),
        ("apps", "ReplicaSet") => workloads::replica_set(o, &mut errs),
        ("batch", "Job") => workloads::job(o, &mut errs),
        ("batch", "CronJob") => workloads::cron_job(o, &mut errs),
        ("", "Pod") => {
            if let Some(spec) = o.get("spec").and_then(Value::as_object) {
                pod::spec(spec, "spec", pod::Restart::Any, &mut errs);
            }
        }
        ("", "Service") => service::service(o, &mut errs),
        ("", "ConfigMap") => config::config_map(o, &mut errs),
        ("", "Secret") => config::secret(o, &mut errs),
        _ => {}
    }
    errs
}

/// Decoding checks that answer 400 before validation: base64 in Secret `data` and ConfigMap
/// `binaryData`, as decoding into the Go types (`[]byte`) does.
pub fn decode(rt: &ResourceType, obj: &Value) -> ApiResult<()> {
    let field = match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Secret") => "data",
        ("", "ConfigMap") => "binaryData",
        _ => return Ok(()),
    };
    let Some(map) = obj.get(field).and_then(Value::as_object) else {
        return Ok(());
    };
    for v in map.values() {
        let Some(s) = v.as_str() else { continue };
        if let Some(at) = config::base64_error(s) {
            return Err(ApiError::bad_request(format!(
                "{kind} in version \"{version}\" cannot be handled as a {kind}: illegal base64 data at input byte {at}",
                kind = rt.kind,
                version = rt.version,
            )));
        }
    }
    Ok(())
}
