//! Plan renderers: text for terminals, Markdown for merge-request comments,
//! JSON modelled on `terraform show -json`, and the GitLab report.

mod drift;
mod json;
mod markdown;
mod text;

pub use drift::{drift_summary, drift_to_json, drift_to_markdown, drift_to_text, owner_note};
pub use json::{gitlab_report, to_json};
pub use markdown::to_markdown;
pub use text::to_text;

use crate::plan::{Action, Plan, ResourceChange};
use crate::{AttrPath, KNOWN_AFTER_APPLY, SENSITIVE};
use serde_json::Value;

/// The attribute lines of one change, shared by the text and Markdown renderers.
#[derive(Debug, PartialEq)]
pub(crate) enum Line {
    /// An attribute that appears: `+ path = value`.
    Added(String, String),
    /// An attribute that goes away: `- path = value`.
    Removed(String, String),
    /// An attribute that changes: `~ path = old -> new`.
    Changed(String, String, String),
    /// A multi-line attribute that changes, as a unified diff.
    TextDiff(String, String),
    /// A multi-line attribute that appears.
    AddedText(String, String),
}

/// The lines describing a change, in attribute order.
pub(crate) fn change_lines(c: &ResourceChange) -> Vec<Line> {
    let sensitive_after = c.after_sensitive();
    let unknown = c.after_unknown();
    let show_after = |p: &AttrPath, v: &Value| -> String {
        if sensitive_after.iter().any(|s| p.starts_with(s)) {
            SENSITIVE.to_string()
        } else if unknown.iter().any(|u| p.starts_with(u)) {
            KNOWN_AFTER_APPLY.to_string()
        } else {
            scalar(v)
        }
    };
    let show_before = |p: &AttrPath, v: &Value| -> String {
        if c.before_sensitive.iter().any(|s| p.starts_with(s)) {
            SENSITIVE.to_string()
        } else {
            scalar(v)
        }
    };
    let mut lines = Vec::new();
    let adopts = c.live.as_ref().is_some_and(|l| l.before.is_some());
    match c.action {
        Action::Create if !adopts => {
            if let Some(after) = c.after() {
                for (p, v) in leaves(after) {
                    lines.push(added(&p, v, show_after(&p, v)));
                }
            }
            for u in unknown {
                if u.get(c.after().unwrap_or(&Value::Null))
                    .is_none_or(Value::is_null)
                {
                    lines.push(Line::Added(u.to_string(), KNOWN_AFTER_APPLY.into()));
                }
            }
        }
        Action::Delete => {
            if let Some(before) = &c.before {
                for (p, v) in leaves(before) {
                    lines.push(Line::Removed(p.to_string(), show_before(&p, v)));
                }
            }
        }
        Action::Create | Action::Update | Action::Replace | Action::NoOp => {
            for a in c.attribute_changes() {
                let p = &a.path;
                match (&a.before, &a.after) {
                    (None, Some(v)) => {
                        for (sub, leaf) in leaves_at(p, v) {
                            lines.push(added(&sub, leaf, show_after(&sub, leaf)));
                        }
                    }
                    (Some(v), None) => {
                        for (sub, leaf) in leaves_at(p, v) {
                            lines.push(Line::Removed(sub.to_string(), show_before(&sub, leaf)));
                        }
                    }
                    (Some(Value::String(b)), Some(Value::String(n)))
                        if !c.before_sensitive.iter().any(|s| p.starts_with(s))
                            && !sensitive_after.iter().any(|s| p.starts_with(s))
                            && (b.contains('\n') || n.contains('\n')) =>
                    {
                        let d = crate::diff::unified_text_diff(b, n).unwrap_or_default();
                        lines.push(Line::TextDiff(p.to_string(), d));
                    }
                    (Some(b), Some(n)) => lines.push(Line::Changed(
                        p.to_string(),
                        show_before(p, b),
                        show_after(p, n),
                    )),
                    (None, None) => {}
                }
            }
            for p in &c.sensitive_changes {
                if !lines
                    .iter()
                    .any(|l| matches!(l, Line::Changed(q, ..) if *q == p.to_string()))
                {
                    lines.push(Line::Changed(
                        p.to_string(),
                        SENSITIVE.into(),
                        format!("{SENSITIVE} (new value)"),
                    ));
                }
            }
        }
    }
    lines
}

fn added(p: &AttrPath, v: &Value, shown: String) -> Line {
    match v {
        Value::String(s) if s.contains('\n') && shown != SENSITIVE => {
            Line::AddedText(p.to_string(), s.clone())
        }
        _ => Line::Added(p.to_string(), shown),
    }
}

/// A value as one line: strings quoted, small arrays of scalars inline.
pub(crate) fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if s == SENSITIVE || s == KNOWN_AFTER_APPLY => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// Leaf values of `v` with their paths. Arrays of scalars, empty containers
/// and scalars are leaves.
pub(crate) fn leaves(v: &Value) -> Vec<(AttrPath, &Value)> {
    leaves_at(&AttrPath::root(), v)
}

fn leaves_at<'v>(at: &AttrPath, v: &'v Value) -> Vec<(AttrPath, &'v Value)> {
    let mut out = Vec::new();
    collect(at, v, &mut out);
    out
}

fn collect<'v>(p: &AttrPath, v: &'v Value, out: &mut Vec<(AttrPath, &'v Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                collect(&p.key(k), x, out);
            }
        }
        Value::Array(a) if !a.is_empty() && !a.iter().all(is_scalar) => {
            for (i, x) in a.iter().enumerate() {
                collect(&p.index(i), x, out);
            }
        }
        _ => out.push((p.clone(), v)),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

/// The one-line summary every renderer shows.
pub fn summary_line(plan: &Plan) -> String {
    let s = plan.summary();
    if !plan.has_changes() {
        return "No changes. The infrastructure matches the stack.".into();
    }
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete.",
        s.create - s.replace,
        s.update,
        s.replace,
        s.delete - s.replace
    )
}

/// The verb phrase for an action ("will be created").
pub(crate) fn verb(a: Action) -> &'static str {
    match a {
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Replace => "must be replaced",
        Action::Delete => "will be deleted",
        Action::NoOp => "is unchanged",
    }
}

/// The one-character marker of an action.
pub(crate) fn marker(a: Action) -> &'static str {
    match a {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::NoOp => " ",
    }
}
