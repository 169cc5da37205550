//! The merge-request comment renderer: the summary stays visible, each
//! resource's details are folded into `<details>`.

use super::{change_lines, marker, scalar, summary_line, verb, Line};
use crate::plan::{Action, Plan};
use std::fmt::Write;

/// Renders a plan as GitHub/GitLab-flavoured Markdown.
pub fn to_markdown(plan: &Plan) -> String {
    let mut s = String::new();
    let s_ = plan.summary();
    let _ = writeln!(s, "### Strata plan for `{}`\n", plan.stack);
    let _ = writeln!(s, "**{}**\n", summary_line(plan));
    let changed: Vec<_> = plan.changed().collect();
    if !changed.is_empty() {
        let _ = writeln!(
            s,
            "| create | update | replace | delete |\n|---:|---:|---:|---:|\n| {} | {} | {} | {} |\n",
            s_.create - s_.replace,
            s_.update,
            s_.replace,
            s_.delete - s_.replace
        );
    }
    for c in changed {
        let _ = writeln!(
            s,
            "<details><summary><code>{} {}</code> ({}) {}</summary>\n",
            marker(c.action),
            c.address,
            c.rtype,
            verb(c.action)
        );
        if let Some(r) = &c.reason {
            let _ = writeln!(s, "> {r}\n");
        }
        let _ = writeln!(s, "```diff");
        for line in change_lines(c) {
            let _ = match line {
                Line::Added(p, v) => writeln!(s, "+ {p} = {v}"),
                Line::Removed(p, v) => writeln!(s, "- {p} = {v}"),
                Line::Changed(p, a, b) => writeln!(s, "! {p} = {a} -> {b}"),
                Line::AddedText(p, text) => {
                    let _ = writeln!(s, "+ {p} = <<EOT");
                    for l in text.lines() {
                        let _ = writeln!(s, "+     {l}");
                    }
                    writeln!(s, "+ EOT")
                }
                Line::TextDiff(p, d) => {
                    let _ = writeln!(s, "! {p}:");
                    for l in d.lines() {
                        let _ = writeln!(s, "{l}");
                    }
                    Ok(())
                }
            };
        }
        let _ = writeln!(s, "```\n\n</details>\n");
    }
    let outputs: Vec<_> = plan
        .output_changes
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();
    if !outputs.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>Output changes ({})</summary>\n\n```diff",
            outputs.len()
        );
        for o in outputs {
            let v = match (&o.after, o.sensitive) {
                (_, true) => crate::SENSITIVE.to_string(),
                (Some(v), _) => scalar(v),
                (None, _) => "null".into(),
            };
            let _ = writeln!(s, "{} {} = {v}", marker(o.action), o.name);
        }
        let _ = writeln!(s, "```\n\n</details>\n");
    }
    for w in &plan.warnings {
        let _ = writeln!(s, "> **Warning:** {w}\n");
    }
    s
}
