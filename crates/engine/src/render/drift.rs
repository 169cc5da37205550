//! Renderers of a refresh: what drifted, who changed it and when.

use super::scalar;
use crate::provider::FieldOwner;
use crate::refresh::{DriftKind, DriftedField, RefreshReport};
use owo_colors::{OwoColorize, Style};
use serde_json::{json, Value};
use std::fmt::Write;

/// The one-line summary of a refresh.
pub fn drift_summary(r: &RefreshReport) -> String {
    let errors = if r.errors.is_empty() {
        String::new()
    } else {
        format!(", {} could not be read", r.errors.len())
    };
    if !r.has_drift() {
        format!(
            "No drift: all {} resources match what Strata last applied{errors}.",
            r.checked - r.errors.len()
        )
    } else {
        format!(
            "Drift: {} of {} resources changed outside Strata{errors}.",
            r.drifted(),
            r.checked
        )
    }
}

/// `(kubectl, 10:42)`: who and when, the date shown only when it is not today (UTC).
pub fn owner_note(o: &FieldOwner) -> String {
    let when = o.time.as_deref().and_then(short_time);
    match when {
        Some(t) => format!("({}, {t})", o.manager),
        None => format!("({})", o.manager),
    }
}

fn short_time(rfc3339: &str) -> Option<String> {
    let ts: jiff::Timestamp = rfc3339.parse().ok()?;
    let at = ts.to_zoned(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    Some(if at.date() == today {
        at.strftime("%H:%M").to_string()
    } else {
        at.strftime("%Y-%m-%d %H:%M").to_string()
    })
}

fn field_line(f: &DriftedField) -> String {
    let show = |v: &Option<Value>| v.as_ref().map_or("(absent)".to_string(), scalar);
    let who = f
        .changed_by
        .as_ref()
        .map(|o| format!(" {}", owner_note(o)))
        .unwrap_or_default();
    let ignored = if f.ignored {
        " — ignored: the stack leaves it to others (ignore_changes)"
    } else {
        ""
    };
    format!(
        "{}: {} → {}{who}{ignored}",
        f.path,
        show(&f.recorded),
        show(&f.live)
    )
}

/// Renders a refresh for a terminal; `color` turns ANSI colors on.
pub fn drift_to_text(r: &RefreshReport, color: bool) -> String {
    let (warn, bad, bold) = if color {
        (
            Style::new().yellow(),
            Style::new().red(),
            Style::new().bold(),
        )
    } else {
        (Style::new(), Style::new(), Style::new())
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}",
        format!("Refresh of stack {:?} against {}", r.stack, r.state).style(bold)
    );
    for d in &r.drift {
        let _ = writeln!(s);
        match &d.kind {
            DriftKind::Changed { fields } => {
                let (mark, what) = if d.counts() {
                    ("~", "changed outside Strata")
                } else {
                    ("·", "has changes Strata leaves to others")
                };
                let _ = writeln!(
                    s,
                    "  {} {} ({}) {what}:",
                    mark.style(warn),
                    d.address,
                    d.rtype
                );
                for f in fields {
                    let _ = writeln!(s, "      {}", field_line(f));
                }
            }
            DriftKind::Missing => {
                let _ = writeln!(
                    s,
                    "  {} {} ({}) is missing: it was deleted outside Strata",
                    "-".style(bad),
                    d.address,
                    d.rtype
                );
            }
        }
    }
    for (a, e) in &r.errors {
        let _ = writeln!(s, "\n  {} {a} could not be read: {e}", "!".style(bad));
    }
    let _ = writeln!(s, "\n{}", drift_summary(r).style(bold));
    if r.has_drift() {
        let _ = writeln!(
            s,
            "Run `strata apply` to put the stack's values back, or `strata refresh --write` to record what is there now."
        );
    }
    s
}

/// Renders a refresh as a Markdown report (a scheduled audit's comment or issue).
pub fn drift_to_markdown(r: &RefreshReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "### Strata drift audit for `{}`\n", r.stack);
    let _ = writeln!(s, "**{}**\n", drift_summary(r));
    if !r.drift.is_empty() {
        let _ = writeln!(s, "| resource | drift |\n|---|---|");
        for d in &r.drift {
            let what = match &d.kind {
                DriftKind::Changed { fields } => fields
                    .iter()
                    .map(|f| format!("`{}`", field_line(f).replace('|', "\\|")))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                DriftKind::Missing => "deleted outside Strata".into(),
            };
            let _ = writeln!(s, "| `{}` | {what} |", d.address);
        }
        let _ = writeln!(s);
    }
    for (a, e) in &r.errors {
        let _ = writeln!(s, "- `{a}` could not be read: {e}");
    }
    s
}

/// Renders a refresh as JSON: `format_version`, `stack`, `state`, `checked`,
/// `resource_drift[]` (address, type, drift = changed|missing, fields[] with
/// path, recorded, live, changed_by) and `errors[]`.
pub fn drift_to_json(r: &RefreshReport) -> Value {
    json!({
        "format_version": super::json::JSON_FORMAT_VERSION,
        "stack": r.stack,
        "state": r.state,
        "checked": r.checked,
        "resource_drift": r.drift,
        "errors": r.errors.iter().map(|(a, e)| json!({"address": a, "error": e})).collect::<Vec<_>>(),
    })
}
