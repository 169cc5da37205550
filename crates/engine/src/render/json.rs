//! The machine-readable renderer: Terraform's JSON plan format (`terraform
//! show -json`), so that tools written for Terraform plans read Strata's, with
//! Strata's own additions under the key `strata`. `docs/json-format.md`
//! describes every field and how Strata's addresses map to Terraform's.

use crate::plan::{Action, OutputChange, Plan, ResourceChange};
use crate::{AttrPath, ResourceType};
use serde_json::{json, Map, Value};

/// The format version of Strata's other JSON documents (the drift report).
pub const JSON_FORMAT_VERSION: &str = "1.0";

/// The version of Terraform's JSON plan format that [`to_json`] follows.
pub const TERRAFORM_FORMAT_VERSION: &str = "1.2";

/// The version of the `strata` additions in [`to_json`]'s output.
pub const STRATA_JSON_VERSION: &str = "2.0";

/// The format version of `prior_state` (Terraform's state representation).
const STATE_FORMAT_VERSION: &str = "1.0";

/// Every resource is a managed one: Strata has no data sources.
const MODE: &str = "managed";

/// The provider responsible for a resource type, as `provider_name`.
pub fn provider_name(t: ResourceType) -> &'static str {
    match t {
        ResourceType::Node | ResourceType::K3sServer | ResourceType::K3sAgent => "strata/host",
        ResourceType::K8sObject => "strata/kube",
    }
}

/// Renders a plan in Terraform's JSON plan format: `format_version`,
/// `variables`, `planned_values`, `resource_changes[]` (each with `address`,
/// `mode`, `type`, `name`, `index`, `provider_name`, `change` and
/// `action_reason`), `resource_drift`, `output_changes`, `prior_state` (absent
/// before the first apply) and `applyable`/`errored`; plus `strata` at the
/// top and in every resource change. Sensitive values are placeholders.
pub fn to_json(plan: &Plan) -> Value {
    let mut top = Map::new();
    top.insert("format_version".into(), json!(TERRAFORM_FORMAT_VERSION));
    let variables: Map<String, Value> = plan
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), json!({ "value": v })))
        .collect();
    top.insert("variables".into(), Value::Object(variables));
    top.insert("planned_values".into(), planned_values(plan));
    top.insert(
        "resource_changes".into(),
        plan.changes.iter().map(resource_change).collect(),
    );
    top.insert("resource_drift".into(), json!([]));
    let outputs: Map<String, Value> = plan
        .output_changes
        .iter()
        .map(|o| (o.name.clone(), output_change(o)))
        .collect();
    top.insert("output_changes".into(), Value::Object(outputs));
    if plan.lineage.is_some() {
        top.insert("prior_state".into(), prior_state(plan));
    }
    top.insert("applyable".into(), json!(plan.has_changes()));
    top.insert("errored".into(), json!(false));
    let s = plan.summary();
    top.insert(
        "strata".into(),
        json!({
            "format_version": STRATA_JSON_VERSION,
            "version": plan.strata_version,
            "stack": plan.stack,
            "stack_sha256": plan.stack_sha256,
            "state": {
                "location": plan.state_location,
                "lineage": plan.lineage,
                "serial": plan.serial,
            },
            "summary": {"create": s.create, "update": s.update, "delete": s.delete, "replace": s.replace},
            "warnings": plan.warnings,
        }),
    );
    Value::Object(top)
}

/// `name` and `index` of an address: `app.api/ConfigMap/dashboard` is
/// component `api` of section `app`, instance `ConfigMap/dashboard`.
fn name_and_index(c: &ResourceChange) -> (String, Option<String>) {
    let component = c.address.component();
    let name = component
        .split_once('.')
        .map_or(component, |(_, n)| n)
        .to_string();
    let index = c
        .address
        .as_str()
        .strip_prefix(component)
        .and_then(|rest| rest.strip_prefix('/'))
        .map(str::to_string);
    (name, index)
}

/// The fields every resource object shares: address, mode, type, name,
/// index (when the component has several resources) and provider_name.
fn identity(c: &ResourceChange) -> Map<String, Value> {
    let (name, index) = name_and_index(c);
    let mut m = Map::new();
    m.insert("address".into(), json!(c.address));
    m.insert("mode".into(), json!(MODE));
    m.insert("type".into(), json!(c.rtype));
    m.insert("name".into(), json!(name));
    if let Some(i) = index {
        m.insert("index".into(), json!(i));
    }
    m.insert("provider_name".into(), json!(provider_name(c.rtype)));
    m
}

/// What state records for a change's resource, when it records it: `before`,
/// or for an unchanged resource the stack's attributes (equal to the recorded
/// ones up to ignored paths).
fn recorded(c: &ResourceChange) -> Option<&Value> {
    match (c.action, &c.before) {
        (_, Some(b)) => Some(b),
        (Action::NoOp, None) => c.after(),
        _ => None,
    }
}

fn resource_change(c: &ResourceChange) -> Value {
    let before = recorded(c);
    let mut change = Map::new();
    change.insert("actions".into(), json!(c.action.terraform_actions()));
    change.insert("before".into(), json!(before));
    change.insert("after".into(), json!(c.after()));
    change.insert(
        "after_unknown".into(),
        mirror(c.after_unknown(), c.after().is_some()),
    );
    let before_sensitive = if c.action == Action::NoOp {
        mirror(&c.after_sensitive(), true)
    } else {
        mirror(&c.before_sensitive, c.before.is_some())
    };
    change.insert("before_sensitive".into(), before_sensitive);
    change.insert(
        "after_sensitive".into(),
        mirror(&c.after_sensitive(), c.after().is_some()),
    );
    if !c.replace_paths.is_empty() {
        change.insert("replace_paths".into(), json!(c.replace_paths));
    }
    let mut obj = identity(c);
    obj.insert("change".into(), Value::Object(change));
    if let Some(r) = action_reason(c) {
        obj.insert("action_reason".into(), json!(r));
    }
    let mut strata = Map::new();
    strata.insert("component".into(), json!(c.address.component()));
    if let Some(r) = &c.reason {
        strata.insert("reason".into(), json!(r));
    }
    if let Some(d) = &c.desired {
        strata.insert("depends_on".into(), json!(d.depends_on));
    }
    if let Some(live) = &c.live {
        strata.insert(
            "live".into(),
            json!({"before": live.before, "after": live.after, "managers": live.managers}),
        );
    }
    obj.insert("strata".into(), Value::Object(strata));
    Value::Object(obj)
}

/// Terraform's `action_reason` keyword for a change, where one fits.
fn action_reason(c: &ResourceChange) -> Option<&'static str> {
    let reason = c.reason.as_deref().unwrap_or_default();
    match c.action {
        Action::Replace if !c.replace_paths.is_empty() => Some("replace_because_cannot_update"),
        Action::Replace if reason == crate::target::REPLACE_REQUESTED => Some("replace_by_request"),
        Action::Replace if reason.starts_with("the last apply failed") => {
            Some("replace_because_tainted")
        }
        Action::Delete if reason == crate::plan::NOT_IN_STACK => {
            Some("delete_because_no_resource_config")
        }
        _ => None,
    }
}

fn output_change(o: &OutputChange) -> Value {
    let hide = |v: &Option<Value>| match v {
        Some(_) if o.sensitive => json!(crate::SENSITIVE),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    json!({
        "actions": o.action.terraform_actions(),
        "before": hide(&o.before),
        "after": hide(&o.after),
        "after_unknown": false,
        "before_sensitive": o.sensitive && o.before.is_some(),
        "after_sensitive": o.sensitive && o.after.is_some(),
    })
}

/// One resource of a values representation.
fn state_resource(c: &ResourceChange, values: &Value, sensitive: &[AttrPath]) -> Value {
    let mut r = identity(c);
    r.insert("schema_version".into(), json!(0));
    r.insert("values".into(), values.clone());
    r.insert("sensitive_values".into(), mirror(sensitive, true));
    Value::Object(r)
}

/// Terraform's output values (`{NAME: {sensitive, value}}`) from one side
/// of the plan's output changes; sensitive values are masked.
fn output_values(
    plan: &Plan,
    side: impl Fn(&crate::plan::OutputChange) -> Option<&Value>,
) -> Map<String, Value> {
    plan.output_changes
        .iter()
        .filter_map(|o| {
            let value = match (side(o)?, o.sensitive) {
                (_, true) => json!(crate::SENSITIVE),
                (v, false) => v.clone(),
            };
            Some((
                o.name.clone(),
                json!({"sensitive": o.sensitive, "value": value}),
            ))
        })
        .collect()
}

/// What the plan leaves behind: every resource but the deleted ones, with
/// their known values, and the outputs.
fn planned_values(plan: &Plan) -> Value {
    let resources: Vec<Value> = plan
        .changes
        .iter()
        .filter_map(|c| Some(state_resource(c, c.after()?, &c.after_sensitive())))
        .collect();
    let outputs = output_values(plan, |o| o.after.as_ref());
    json!({"outputs": outputs, "root_module": {"resources": resources}})
}

/// The state the plan was made against, as Terraform's state representation:
/// every resource state records (changes' `before`; for unchanged resources
/// the stack's attributes) and the recorded outputs.
fn prior_state(plan: &Plan) -> Value {
    let resources: Vec<Value> = plan
        .changes
        .iter()
        .filter_map(|c| {
            let sensitive = if c.before.is_some() {
                c.before_sensitive.clone()
            } else {
                c.after_sensitive()
            };
            Some(state_resource(c, recorded(c)?, &sensitive))
        })
        .collect();
    let outputs = output_values(plan, |o| o.before.as_ref());
    json!({
        "format_version": STATE_FORMAT_VERSION,
        "values": {"outputs": outputs, "root_module": {"resources": resources}},
    })
}

/// An object mirroring the attributes, `true` at each listed path; `false`
/// when the side does not exist.
fn mirror(paths: &[AttrPath], present: bool) -> Value {
    if !present {
        return Value::Bool(false);
    }
    let mut v = Value::Object(Map::new());
    for p in paths {
        if p.0
            .iter()
            .all(|s| matches!(s, crate::path::Segment::Key(_)))
        {
            p.set(&mut v, Value::Bool(true));
        }
    }
    v
}

/// The GitLab Terraform report: `{"create":N,"update":N,"delete":N}`, with
/// replacements counted as a create and a delete.
pub fn gitlab_report(plan: &Plan) -> Value {
    let s = plan.summary();
    json!({"create": s.create, "update": s.update, "delete": s.delete})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Address, DesiredResource};

    #[test]
    fn mirror_marks_paths() {
        let p = AttrPath::parse("data.x").unwrap();
        assert_eq!(mirror(&[p], true), json!({"data": {"x": true}}));
        assert_eq!(mirror(&[], false), json!(false));
    }

    fn change(address: &str) -> ResourceChange {
        let d = DesiredResource::new(address, ResourceType::K8sObject, json!({"a": 1}));
        ResourceChange {
            address: Address::new(address),
            rtype: ResourceType::K8sObject,
            action: Action::Create,
            reason: None,
            before: None,
            before_sensitive: Vec::new(),
            desired: Some(d),
            after_fingerprints: Default::default(),
            replace_paths: Vec::new(),
            sensitive_changes: Vec::new(),
            live: None,
        }
    }

    #[test]
    fn addresses_split_into_name_and_index() {
        assert_eq!(
            name_and_index(&change("app.api/ConfigMap/dashboard")),
            ("api".to_string(), Some("ConfigMap/dashboard".to_string()))
        );
        assert_eq!(
            name_and_index(&change("node.master-1")),
            ("master-1".to_string(), None)
        );
    }
}
