//! Plan renderers: text for terminals, Markdown for merge-request comments,
//! JSON modelled on `terraform show -json`, and the GitLab report.

mod drift;
mod json;
mod markdown;
mod text;

pub use drift::{drift_summary, drift_to_json, drift_to_markdown, drift_to_text, owner_note};
pub use json::{
    gitlab_report, provider_name, to_json, JSON_FORMAT_VERSION, STRATA_JSON_VERSION,
    TERRAFORM_FORMAT_VERSION,
};
pub use markdown::{
    to_markdown, to_markdown_with, MarkdownOptions, GITHUB_COMMENT_LIMIT, GITLAB_COMMENT_LIMIT,
};
pub use text::{to_text, to_text_with, TextOptions};

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
    /// A large value folded to its size and digest: the marker (`+`, `-`,
    /// `~`), the path and the description.
    Folded(char, String, String),
}

/// Values longer than this many lines are folded unless asked for in full.
const FOLD_LINES: usize = 20;
/// Single-line values longer than this many characters are folded too.
const FOLD_CHARS: usize = 1000;
/// Diffs longer than this many lines are folded.
const FOLD_DIFF_LINES: usize = 40;

/// `85 lines, sha256:0a1b2c3d4e5f` for a large string.
fn digest(text: &str) -> String {
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(text.as_bytes()));
    let lines = text.lines().count();
    let size = if lines > 1 {
        format!("{lines} lines")
    } else {
        format!("{} characters", text.chars().count())
    };
    format!("{size}, sha256:{}", &hash[..12])
}

/// True when a value is too large to show unless asked for in full.
fn is_large(v: &Value) -> bool {
    match v {
        Value::String(s) => s.lines().count() > FOLD_LINES || s.len() > FOLD_CHARS,
        _ => false,
    }
}

/// Folds the large values among `lines` (nothing when `full`).
pub(crate) fn fold(lines: Vec<Line>, full: bool) -> Vec<Line> {
    if full {
        return lines;
    }
    lines
        .into_iter()
        .map(|l| match l {
            Line::AddedText(p, text) if is_large(&Value::String(text.clone())) => {
                Line::Folded('+', p, format!("({})", digest(&text)))
            }
            Line::TextDiff(p, d) if d.lines().count() > FOLD_DIFF_LINES => {
                let changed = d
                    .lines()
                    .filter(|l| {
                        (l.starts_with('+') && !l.starts_with("+++"))
                            || (l.starts_with('-') && !l.starts_with("---"))
                    })
                    .count();
                Line::Folded(
                    '~',
                    p,
                    format!("({changed} lines added or removed; the diff is folded)"),
                )
            }
            other => other,
        })
        .collect()
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
                    lines.push(removed(&p, v, show_before(&p, v)));
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
                            lines.push(removed(&sub, leaf, show_before(&sub, leaf)));
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

/// A value that goes away; a large one keeps its size and digest so that the
/// line stays readable even in full (the stack no longer has it anyway).
fn removed(p: &AttrPath, v: &Value, shown: String) -> Line {
    match v {
        Value::String(s) if is_large(v) && shown != SENSITIVE => {
            Line::Folded('-', p.to_string(), format!("({})", digest(s)))
        }
        _ => Line::Removed(p.to_string(), shown),
    }
}

fn added(p: &AttrPath, v: &Value, shown: String) -> Line {
    match v {
        Value::String(s) if (s.contains('\n') || s.len() > FOLD_CHARS) && shown != SENSITIVE => {
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

/// What the plan compared: `stack "production" against state/production.json (serial 7)`.
pub fn compared_line(plan: &Plan) -> String {
    let against = match (plan.lineage, &plan.state_location) {
        (Some(_), Some(at)) => format!("against {at} (serial {})", plan.serial),
        (Some(_), None) => format!("against state serial {}", plan.serial),
        (None, Some(at)) => format!("against no state yet ({at} does not exist)"),
        (None, None) => "against no state yet".to_string(),
    };
    format!("stack {:?} {against}", plan.stack)
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
