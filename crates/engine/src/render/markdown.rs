//! The merge-request comment renderer: the summary, warnings and a callout
//! for deletes and replacements stay visible, each resource's details are
//! folded into `<details>`, and a plan too long for a comment is shortened
//! with a pointer to the full plan.

use super::{change_lines, compared_line, fold, marker, scalar, summary_line, verb, Line};
use crate::plan::{Action, Plan, ResourceChange};
use std::fmt::Write;

/// The longest comment GitHub accepts, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;
/// The longest comment GitLab accepts, in characters.
pub const GITLAB_COMMENT_LIMIT: usize = 1_000_000;

/// How to render a plan as Markdown.
#[derive(Debug, Clone)]
pub struct MarkdownOptions {
    /// Show large values in full instead of a digest and a line count.
    pub full: bool,
    /// The longest the comment may be, in characters.
    pub limit: usize,
    /// Where the full plan can be read (a pipeline's artifact), named when
    /// the comment had to be shortened.
    pub full_plan: Option<String>,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            full: false,
            limit: GITHUB_COMMENT_LIMIT,
            full_plan: None,
        }
    }
}

/// Renders a plan as GitHub/GitLab-flavoured Markdown, within GitHub's
/// comment limit.
pub fn to_markdown(plan: &Plan) -> String {
    to_markdown_with(plan, &MarkdownOptions::default())
}

/// Renders a plan as GitHub/GitLab-flavoured Markdown.
pub fn to_markdown_with(plan: &Plan, opts: &MarkdownOptions) -> String {
    let mut head = String::new();
    let s_ = plan.summary();
    let _ = writeln!(head, "### Strata plan for `{}`\n", plan.stack);
    let _ = writeln!(head, "**{}**\n", summary_line(plan));
    let mut compared = compared_line(plan);
    compared[..1].make_ascii_uppercase();
    let _ = writeln!(head, "{}.\n", compared.replace('"', "`"));
    for w in &plan.warnings {
        let _ = writeln!(head, "> [!WARNING]\n> {}\n", one_line(w));
    }
    let changed: Vec<&ResourceChange> = plan.changed().collect();
    let destructive: Vec<&&ResourceChange> = changed
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .collect();
    if !destructive.is_empty() {
        let deletes = destructive
            .iter()
            .filter(|c| c.action == Action::Delete)
            .count();
        let replaces = destructive.len() - deletes;
        let what = match (deletes, replaces) {
            (d, 0) => format!("{d} {} deleted", resources(d)),
            (0, r) => format!(
                "{r} {} replaced (deleted, then created again)",
                resources(r)
            ),
            (d, r) => format!("{d} {} deleted and {r} replaced", resources(d)),
        };
        let _ = writeln!(head, "> [!CAUTION]\n> **{what}:**");
        for c in &destructive {
            let why = c
                .reason
                .as_deref()
                .map(|r| format!(": {}", one_line(r)))
                .unwrap_or_default();
            let _ = writeln!(
                head,
                "> - `{} {}` {}{why}",
                marker(c.action),
                c.address,
                verb(c.action)
            );
        }
        let _ = writeln!(head);
    }
    if !changed.is_empty() {
        let _ = writeln!(
            head,
            "| create | update | replace | delete |\n|---:|---:|---:|---:|\n| {} | {} | {} | {} |\n",
            s_.create - s_.replace,
            s_.update,
            s_.replace,
            s_.delete - s_.replace
        );
    }
    let blocks: Vec<String> = changed.iter().map(|c| details(c, opts.full)).collect();
    let outputs = outputs_block(plan);
    let full_len = head.chars().count()
        + blocks.iter().map(|b| b.chars().count()).sum::<usize>()
        + outputs.chars().count();
    if full_len <= opts.limit {
        return head + &blocks.concat() + &outputs;
    }
    shortened(head, &changed, &blocks, &outputs, opts)
}

/// A plan that does not fit: as many detailed changes as fit, then one line
/// per further change while those fit, then a count, and where to read all.
fn shortened(
    head: String,
    changed: &[&ResourceChange],
    blocks: &[String],
    outputs: &str,
    opts: &MarkdownOptions,
) -> String {
    let pointer = match &opts.full_plan {
        Some(at) => format!("The full plan is at {at}."),
        None => "The full plan is in the pipeline's artifacts (`strata show PLANFILE`).".into(),
    };
    // Room for the closing note, whatever its numbers.
    let reserve = 400 + pointer.chars().count();
    let budget = opts.limit.saturating_sub(reserve);
    let mut out = head;
    let mut used = out.chars().count();
    let mut detailed = 0;
    for b in blocks {
        let n = b.chars().count();
        if used + n > budget {
            break;
        }
        out.push_str(b);
        used += n;
        detailed += 1;
    }
    let mut listed = 0;
    if detailed < changed.len() {
        let intro = "<details><summary>More changes, without their details</summary>\n\n";
        let close = "\n</details>\n\n";
        let mut list = String::new();
        let mut list_len = intro.chars().count() + close.chars().count();
        for c in &changed[detailed..] {
            let line = format!(
                "- `{} {}` ({}) {}\n",
                marker(c.action),
                c.address,
                c.rtype,
                verb(c.action)
            );
            let n = line.chars().count();
            if used + list_len + n > budget {
                break;
            }
            list.push_str(&line);
            list_len += n;
            listed += 1;
        }
        if listed > 0 {
            out.push_str(intro);
            out.push_str(&list);
            out.push_str(close);
            used += list_len;
        }
    }
    if used + outputs.chars().count() <= budget {
        out.push_str(outputs);
    }
    let missing = changed.len() - detailed - listed;
    let _ = write!(
        out,
        "> [!NOTE]\n> **This plan is too long for one comment ({} characters at most):** {} of {} changes are shown in detail",
        opts.limit,
        detailed,
        changed.len()
    );
    if missing > 0 {
        let _ = write!(out, ", {missing} are left out");
    }
    let _ = writeln!(out, ". {pointer}\n");
    out
}

fn resources(n: usize) -> &'static str {
    if n == 1 {
        "resource will be"
    } else {
        "resources will be"
    }
}

/// Text on one line, for a callout.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One change, folded into `<details>`.
fn details(c: &ResourceChange, full: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<details><summary><code>{} {}</code> ({}) {}</summary>\n",
        marker(c.action),
        c.address,
        c.rtype,
        verb(c.action)
    );
    if let Some(r) = &c.reason {
        let _ = writeln!(s, "> {}\n", one_line(r));
    }
    let _ = writeln!(s, "```diff");
    for line in fold(change_lines(c), full) {
        let _ = match line {
            Line::Added(p, v) => writeln!(s, "+ {p} = {v}"),
            Line::Removed(p, v) => writeln!(s, "- {p} = {v}"),
            Line::Changed(p, a, b) => writeln!(s, "! {p} = {a} -> {b}"),
            Line::Folded('~', p, what) => writeln!(s, "! {p}: {what}"),
            Line::Folded(m, p, what) => writeln!(s, "{m} {p} = {what}"),
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
    s
}

/// The output changes, folded.
fn outputs_block(plan: &Plan) -> String {
    let mut s = String::new();
    let outputs: Vec<_> = plan
        .output_changes
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();
    if outputs.is_empty() {
        return s;
    }
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
    s
}
