//! Workload kinds: selectors (required, non-empty, matching the template's labels), replica
//! counts, update strategies, and the pod template with the restart policy the kind allows.

use serde_json::{Map, Value};

use super::meta::{go_selector, go_string_map, selector_empty, selector_matches, selector_syntax};
use super::pod::{self, Restart};
use super::{text, Errs};

fn nonnegative(s: &Map<String, Value>, key: &str, path: &str, errs: &mut Errs) {
    if let Some(n) = s.get(key).and_then(Value::as_i64) {
        if n < 0 {
            errs.invalid(
                format!("{path}.{key}"),
                n.to_string(),
                "must be greater than or equal to 0",
            );
        }
    }
}

/// Selector and template checks shared by the `apps/v1` kinds.
fn selector_and_template(s: &Map<String, Value>, what: &str, errs: &mut Errs) {
    let selector = s.get("selector").filter(|v| !v.is_null());
    match selector {
        None => errs.required("spec.selector"),
        Some(sel) => {
            selector_syntax(sel, "spec.selector", errs);
            if selector_empty(sel) {
                errs.invalid(
                    "spec.selector",
                    go_selector(sel),
                    &format!("empty selector is invalid for {what}"),
                );
            }
        }
    }
    let template = s.get("template");
    let labels = template.and_then(|t| t.pointer("/metadata/labels"));
    let selects_something = selector.is_none_or(|sel| !selector_empty(sel));
    if selects_something && !selector_matches(selector, labels) {
        errs.invalid(
            "spec.template.metadata.labels",
            go_string_map(labels),
            "`selector` does not match template `labels`",
        );
    }
    pod::template(template, "spec.template", Restart::Always, errs);
}

/// `apps/v1` Deployment.
pub fn deployment(o: &Map<String, Value>, errs: &mut Errs) {
    let Some(s) = o.get("spec").and_then(Value::as_object) else {
        errs.required("spec.selector");
        return;
    };
    nonnegative(s, "replicas", "spec", errs);
    selector_and_template(s, "deployment", errs);
    if let Some(strategy) = s.get("strategy").and_then(Value::as_object) {
        let ru = strategy.get("rollingUpdate").filter(|v| !v.is_null());
        match text(strategy, "type") {
            "Recreate" => {
                if ru.is_some() {
                    errs.forbidden(
                        "spec.strategy.rollingUpdate",
                        "may not be specified when strategy `type` is 'Recreate'",
                    );
                }
            }
            "RollingUpdate" => {
                if let Some(ru) = ru {
                    rolling_update(ru, errs);
                }
            }
            other => {
                let pointer = if ru.is_some() {
                    "(*apps.RollingUpdateDeployment)(0xc000000000)"
                } else {
                    "(*apps.RollingUpdateDeployment)(nil)"
                };
                errs.push_not_supported_raw(
                    "spec.strategy",
                    format!("apps.DeploymentStrategy{{Type:{other:?}, RollingUpdate:{pointer}}}"),
                    &["Recreate", "RollingUpdate"],
                );
            }
        }
    }
    nonnegative(s, "revisionHistoryLimit", "spec", errs);
    nonnegative(s, "minReadySeconds", "spec", errs);
}

/// Go's `%#v` of an `intstr.IntOrString`.
fn go_int_or_string(v: &Value) -> String {
    match v {
        Value::String(s) => format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{s:?}}}"),
        other => format!(
            "intstr.IntOrString{{Type:0, IntVal:{}, StrVal:\"\"}}",
            other.as_i64().unwrap_or(0)
        ),
    }
}

fn is_zero(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => s == "0%" || s == "0",
        Some(v) => v.as_i64() == Some(0),
        None => false,
    }
}

fn rolling_update(ru: &Value, errs: &mut Errs) {
    let surge = ru.get("maxSurge");
    let unavailable = ru.get("maxUnavailable");
    for (key, v) in [("maxUnavailable", unavailable), ("maxSurge", surge)] {
        if let Some(Value::String(s)) = v {
            let ok = s
                .strip_suffix('%')
                .is_some_and(|n| n.parse::<u32>().is_ok());
            if !ok {
                errs.invalid(
                    format!("spec.strategy.rollingUpdate.{key}"),
                    format!("{s:?}"),
                    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                );
            }
        } else if let Some(n) = v.and_then(Value::as_i64) {
            if n < 0 {
                errs.invalid(
                    format!("spec.strategy.rollingUpdate.{key}"),
                    n.to_string(),
                    "must be greater than or equal to 0",
                );
            }
        }
    }
    if is_zero(surge) && is_zero(unavailable) {
        errs.invalid(
            "spec.strategy.rollingUpdate.maxUnavailable",
            go_int_or_string(unavailable.unwrap_or(&Value::Null)),
            "may not be 0 when `maxSurge` is 0",
        );
    }
}

/// `apps/v1` ReplicaSet.
pub fn replica_set(o: &Map<String, Value>, errs: &mut Errs) {
    let empty = Map::new();
    let s = o.get("spec").and_then(Value::as_object).unwrap_or(&empty);
    nonnegative(s, "replicas", "spec", errs);
    selector_and_template(s, "deployment", errs);
}

/// `apps/v1` StatefulSet.
pub fn stateful_set(o: &Map<String, Value>, errs: &mut Errs) {
    let empty = Map::new();
    let s = o.get("spec").and_then(Value::as_object).unwrap_or(&empty);
    let policy = text(s, "podManagementPolicy");
    if !matches!(policy, "OrderedReady" | "Parallel") {
        errs.not_supported(
            "spec.podManagementPolicy",
            policy,
            &["OrderedReady", "Parallel"],
        );
    }
    nonnegative(s, "replicas", "spec", errs);
    selector_and_template(s, "statefulset", errs);
}

/// `apps/v1` DaemonSet.
pub fn daemon_set(o: &Map<String, Value>, errs: &mut Errs) {
    let empty = Map::new();
    let s = o.get("spec").and_then(Value::as_object).unwrap_or(&empty);
    selector_and_template(s, "daemonset", errs);
}

/// `batch/v1` Job.
pub fn job(o: &Map<String, Value>, errs: &mut Errs) {
    let empty = Map::new();
    let s = o.get("spec").and_then(Value::as_object).unwrap_or(&empty);
    for key in [
        "parallelism",
        "completions",
        "backoffLimit",
        "activeDeadlineSeconds",
    ] {
        nonnegative(s, key, "spec", errs);
    }
    let template = s.get("template");
    if let Some(sel) = s.get("selector").filter(|v| !v.is_null()) {
        let labels = template.and_then(|t| t.pointer("/metadata/labels"));
        if !selector_matches(Some(sel), labels) {
            errs.invalid(
                "spec.template.metadata.labels",
                go_string_map(labels),
                "`selector` does not match template `labels`",
            );
        }
    } else {
        errs.required("spec.selector");
    }
    pod::template(template, "spec.template", Restart::OnFailureOrNever, errs);
}

/// `batch/v1` CronJob.
pub fn cron_job(o: &Map<String, Value>, errs: &mut Errs) {
    let empty = Map::new();
    let s = o.get("spec").and_then(Value::as_object).unwrap_or(&empty);
    if text(s, "schedule").is_empty() {
        errs.required("spec.schedule");
    }
    let policy = text(s, "concurrencyPolicy");
    if !matches!(policy, "Allow" | "Forbid" | "Replace") {
        errs.not_supported(
            "spec.concurrencyPolicy",
            policy,
            &["Allow", "Forbid", "Replace"],
        );
    }
    let template = s
        .get("jobTemplate")
        .and_then(|t| t.pointer("/spec/template"));
    pod::template(
        template,
        "spec.jobTemplate.spec.template",
        Restart::OnFailureOrNever,
        errs,
    );
}
