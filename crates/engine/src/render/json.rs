//! The machine-readable renderer, modelled on `terraform show -json`.

use crate::plan::{Action, Plan, ResourceChange};
use crate::AttrPath;
use serde_json::{json, Map, Value};

/// The JSON format version of [`to_json`]'s output.
pub const JSON_FORMAT_VERSION: &str = "1.0";

/// Renders a plan as JSON: `format_version`, `resource_changes[]` (each with
/// `address`, `type` and `change.{actions, before, after, after_unknown,
/// before_sensitive, after_sensitive, replace_paths}`), `output_changes`,
/// `resource_drift` and `summary`. Sensitive values are placeholders.
pub fn to_json(plan: &Plan) -> Value {
    let changes: Vec<Value> = plan.changes.iter().map(resource_change).collect();
    let mut outputs = Map::new();
    for o in &plan.output_changes {
        let hide = |v: &Option<Value>| match v {
            Some(_) if o.sensitive => json!(crate::SENSITIVE),
            Some(v) => v.clone(),
            None => Value::Null,
        };
        outputs.insert(
            o.name.clone(),
            json!({
                "actions": o.action.terraform_actions(),
                "before": hide(&o.before),
                "after": hide(&o.after),
                "before_sensitive": o.sensitive && o.before.is_some(),
                "after_sensitive": o.sensitive && o.after.is_some(),
            }),
        );
    }
    let s = plan.summary();
    json!({
        "format_version": JSON_FORMAT_VERSION,
        "strata_version": plan.strata_version,
        "stack": plan.stack,
        "prior_state": {"lineage": plan.lineage, "serial": plan.serial},
        "stack_sha256": plan.stack_sha256,
        "resource_changes": changes,
        "output_changes": outputs,
        "resource_drift": [],
        "summary": {"create": s.create, "update": s.update, "delete": s.delete, "replace": s.replace},
        "warnings": plan.warnings,
    })
}

fn resource_change(c: &ResourceChange) -> Value {
    let before = match (c.action, &c.before) {
        (Action::NoOp, None) => c.after(),
        (_, b) => b.as_ref(),
    };
    let mut obj = json!({
        "address": c.address,
        "component": c.address.component(),
        "type": c.rtype,
        "change": {
            "actions": c.action.terraform_actions(),
            "before": before,
            "after": c.after(),
            "after_unknown": mirror(c.after_unknown(), c.after().is_some()),
            "before_sensitive": if c.action == Action::NoOp { mirror(&c.after_sensitive(), true) } else { mirror(&c.before_sensitive, c.before.is_some()) },
            "after_sensitive": mirror(&c.after_sensitive(), c.after().is_some()),
            "replace_paths": c.replace_paths,
        },
    });
    if let Some(r) = &c.reason {
        obj["action_reason"] = json!(r);
    }
    if let Some(d) = &c.desired {
        obj["depends_on"] = json!(d.depends_on);
    }
    if let Some(live) = &c.live {
        obj["live"] =
            json!({"before": live.before, "after": live.after, "managers": live.managers});
    }
    obj
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

    #[test]
    fn mirror_marks_paths() {
        let p = AttrPath::parse("data.x").unwrap();
        assert_eq!(mirror(&[p], true), json!({"data": {"x": true}}));
        assert_eq!(mirror(&[], false), json!(false));
    }
}
