//! The CEL rules (`x-kubernetes-validations`) of a custom resource's schema, evaluated as
//! apiextensions-apiserver's `cel.Validator` does: every node with rules, with `self` bound to
//! its value and, for transition rules on update, `oldSelf` to its correlated old value; rules
//! of unchanged values are ratcheted (skipped) unless they read `oldSelf`.

use serde_json::Value;

use super::{gofmt, Cause};
use crate::cel_rules;
use crate::crd_schema::CrdSchema;

/// The causes of the rules `obj` breaks (`old` is its previous version on update).
pub fn check(obj: &Value, old: Option<&Value>, crd: &CrdSchema) -> Vec<Cause> {
    let mut out = vec![];
    node(obj, &crd.schema, "", old, false, crd, &mut out);
    out
}

/// The causes of the rules a value breaks at a schema node, reported below `base`.
pub fn check_at(v: &Value, s: &Value, base: &str, crd: &CrdSchema) -> Vec<Cause> {
    let mut out = vec![];
    node(v, s, base, None, false, crd, &mut out);
    out
}

fn join(path: &str, child: &str) -> String {
    if path.is_empty() {
        child.to_string()
    } else {
        format!("{path}.{child}")
    }
}

fn shown_path(path: &str) -> String {
    if path.is_empty() {
        "<nil>".into()
    } else {
        path.to_string()
    }
}

/// `unchanged_above`: whether the nearest correlated ancestor is unchanged (for nodes that
/// have no old value of their own).
fn node(
    v: &Value,
    s: &Value,
    path: &str,
    old: Option<&Value>,
    unchanged_above: bool,
    crd: &CrdSchema,
    out: &mut Vec<Cause>,
) {
    if v.is_null() || !s.is_object() {
        return;
    }
    let unchanged = match old {
        Some(o) => o == v,
        None => unchanged_above,
    };
    if let Some(rules) = s.get("x-kubernetes-validations").and_then(Value::as_array) {
        let mut values = None;
        for rule in rules {
            evaluate(rule, v, s, path, old, unchanged, crd, &mut values, out);
        }
    }
    match v {
        Value::Object(m) => {
            let correlatable = matches!(
                s.get("x-kubernetes-map-type").and_then(Value::as_str),
                None | Some("granular") | Some("atomic")
            );
            let old_map = old.and_then(Value::as_object).filter(|_| correlatable);
            let props = s.get("properties").and_then(Value::as_object);
            if let Some(extra) = s.get("additionalProperties").filter(|a| a.is_object()) {
                for (k, child) in m {
                    let o = old_map.and_then(|o| o.get(k));
                    let p = format!("{path}[{k}]");
                    node(child, extra, &p, o, unchanged, crd, out);
                }
            }
            if let Some(props) = props {
                for (k, child) in m {
                    if let Some(cs) = props.get(k) {
                        let o = old_map.and_then(|o| o.get(k));
                        node(child, cs, &join(path, k), o, unchanged, crd, out);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = s.get("items") {
                let olds = super::lists::correlate(s, old);
                for (i, item) in items.iter().enumerate() {
                    let o = olds.as_ref().and_then(|c| c.find(item));
                    node(item, is, &format!("{path}[{i}]"), o, unchanged, crd, out);
                }
            }
        }
        _ => {}
    }
}

fn text<'a>(rule: &'a Value, k: &str) -> &'a str {
    rule.get(k).and_then(Value::as_str).unwrap_or("")
}

#[allow(clippy::too_many_arguments)]
fn evaluate(
    rule: &Value,
    v: &Value,
    s: &Value,
    path: &str,
    old: Option<&Value>,
    unchanged: bool,
    crd: &CrdSchema,
    values: &mut Option<(cel::Value, Option<cel::Value>)>,
    out: &mut Vec<Cause>,
) {
    let src = text(rule, "rule");
    let message = text(rule, "message").trim();
    let shown_rule = if message.is_empty() {
        src.trim()
    } else {
        message
    };
    let ty = s.get("type").and_then(Value::as_str).unwrap_or("");
    let invalid = |detail: String| {
        (
            shown_path(path),
            "FieldValueInvalid",
            format!("Invalid value: {ty:?}: {detail}"),
        )
    };
    let compiled = match crd.rule(src) {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            out.push(invalid(format!("rule compile error: {e}")));
            return;
        }
        None => return,
    };
    let optional_old = rule.get("optionalOldSelf") == Some(&Value::Bool(true));
    if compiled.uses_old_self && old.is_none() && !optional_old {
        return;
    }
    if !compiled.uses_old_self && unchanged {
        return;
    }
    // Converted once per node, for all of its rules.
    let (this, old_self) = values
        .get_or_insert_with(|| {
            (
                cel_rules::to_cel(v, Some(s)),
                old.map(|o| cel_rules::to_cel(o, Some(s))),
            )
        })
        .clone();
    let result = cel_rules::run(compiled, this.clone(), old_self.clone(), optional_old);
    match result {
        Ok(cel::Value::Bool(true)) => return,
        Ok(cel::Value::Bool(false)) => {}
        Ok(_) => {
            out.push(invalid(format!(
                "'no such overload': call arguments did not match a supported operator, function or macro signature for rule: {shown_rule}"
            )));
            return;
        }
        Err(e) if e.starts_with("no such overload") => {
            out.push(invalid(format!(
                "'{e}': call arguments did not match a supported operator, function or macro signature for rule: {shown_rule}"
            )));
            return;
        }
        Err(e) => {
            out.push(invalid(format!("{e} evaluating rule: {shown_rule}")));
            return;
        }
    }
    let detail = message_expression(rule, crd, this, old_self).unwrap_or_else(|| {
        if message.is_empty() {
            format!("failed rule: {}", src.trim())
        } else {
            message.to_string()
        }
    });
    let field_path = text(rule, "fieldPath");
    let at = if field_path.is_empty() {
        shown_path(path)
    } else {
        join(path, &normalize_field_path(field_path))
    };
    let omitted = matches!(ty, "object" | "array");
    let value = || {
        if omitted {
            String::new()
        } else {
            format!("{}: ", gofmt::value(v))
        }
    };
    let cause = match text(rule, "reason") {
        "FieldValueForbidden" => (at, "FieldValueForbidden", format!("Forbidden: {detail}")),
        "FieldValueRequired" => (
            at,
            "FieldValueRequired",
            format!("Required value: {detail}"),
        ),
        "FieldValueDuplicate" => {
            let body = if omitted {
                "Duplicate value".to_string()
            } else {
                format!("Duplicate value: {}", gofmt::value(v))
            };
            (at, "FieldValueDuplicate", body)
        }
        _ => (
            at,
            "FieldValueInvalid",
            format!("Invalid value: {}{detail}", value()),
        ),
    };
    out.push(cause);
}

/// The message of a failed rule from its `messageExpression`, when that evaluates to a
/// non-empty string.
fn message_expression(
    rule: &Value,
    crd: &CrdSchema,
    this: cel::Value,
    old: Option<cel::Value>,
) -> Option<String> {
    let src = text(rule, "messageExpression");
    if src.trim().is_empty() {
        return None;
    }
    let Some(Ok(compiled)) = crd.rule(src) else {
        return None;
    };
    match cel_rules::run(compiled, this, old, false) {
        Ok(cel::Value::String(s)) if !s.trim().is_empty() && !s.contains('\n') => {
            Some(s.to_string())
        }
        _ => None,
    }
}

/// A rule's `fieldPath` (`.spec.x`, `['a.b']`, `.list[0]`) as a field path below its node.
pub fn normalize_field_path(p: &str) -> String {
    let mut out = String::new();
    let mut rest = p.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']").unwrap_or(r.len());
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&r[..end]);
            rest = r.get(end + 2..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            out.push_str(&format!("[{}]", &r[..end]));
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&r[..end]);
            rest = &r[end..];
        }
    }
    out
}
