//! The terminal renderer.

use super::{change_lines, marker, scalar, summary_line, verb, Line};
use crate::plan::{Action, Plan};
use owo_colors::{OwoColorize, Style};
use std::fmt::Write;

struct Palette {
    create: Style,
    update: Style,
    delete: Style,
    replace: Style,
    dim: Style,
    bold: Style,
}

impl Palette {
    fn new(color: bool) -> Self {
        if !color {
            let s = Style::new();
            return Palette {
                create: s,
                update: s,
                delete: s,
                replace: s,
                dim: s,
                bold: s,
            };
        }
        Palette {
            create: Style::new().green(),
            update: Style::new().yellow(),
            delete: Style::new().red(),
            replace: Style::new().magenta(),
            dim: Style::new().dimmed(),
            bold: Style::new().bold(),
        }
    }

    fn action(&self, a: Action) -> Style {
        match a {
            Action::Create => self.create,
            Action::Update => self.update,
            Action::Delete => self.delete,
            Action::Replace => self.replace,
            Action::NoOp => self.dim,
        }
    }
}

/// Renders a plan for a terminal; `color` turns ANSI colors on.
pub fn to_text(plan: &Plan, color: bool) -> String {
    let pal = Palette::new(color);
    let mut s = String::new();
    let against = match (plan.lineage, &plan.state_location) {
        (Some(_), Some(at)) => format!("against {at}, serial {}", plan.serial),
        (Some(_), None) => format!("state serial {}", plan.serial),
        (None, Some(at)) => format!("no state yet at {at}"),
        (None, None) => "no state yet".to_string(),
    };
    let _ = writeln!(
        s,
        "{}",
        format!("Stack {:?} ({against})", plan.stack).style(pal.bold)
    );
    let changed: Vec<_> = plan.changed().collect();
    if !changed.is_empty() {
        let _ = writeln!(
            s,
            "\nResource actions are shown with these symbols:\n  {} create\n  {} update in place\n  {} delete and create again\n  {} delete\n\nStrata will perform the following actions, in this order:",
            "+".style(pal.create),
            "~".style(pal.update),
            "-/+".style(pal.replace),
            "-".style(pal.delete),
        );
    }
    for c in changed {
        let st = pal.action(c.action);
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "  {}",
            format!("# {} {}", c.address, verb(c.action)).style(pal.bold)
        );
        if let Some(r) = &c.reason {
            let _ = writeln!(s, "  {}", format!("# ({r})").style(pal.dim));
        }
        let _ = writeln!(
            s,
            "{:>3} {} ({})",
            marker(c.action).style(st),
            c.address,
            c.rtype
        );
        for line in change_lines(c) {
            write_line(
                &mut s,
                &line,
                &pal,
                c.replace_paths.iter().map(ToString::to_string).collect(),
            );
        }
    }
    let outputs: Vec<_> = plan
        .output_changes
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();
    if !outputs.is_empty() {
        let _ = writeln!(s, "\nChanges to outputs:");
        for o in outputs {
            let show = |v: &Option<serde_json::Value>| match v {
                _ if o.sensitive => crate::SENSITIVE.to_string(),
                Some(v) => scalar(v),
                None => "null".into(),
            };
            let m = marker(o.action).style(pal.action(o.action)).to_string();
            let _ = match o.action {
                Action::Update => writeln!(
                    s,
                    "  {m} {} = {} -> {}",
                    o.name,
                    show(&o.before),
                    show(&o.after)
                ),
                Action::Delete => writeln!(s, "  {m} {} = {}", o.name, show(&o.before)),
                _ => writeln!(s, "  {m} {} = {}", o.name, show(&o.after)),
            };
        }
    }
    let _ = writeln!(s, "\n{}", summary_line(plan).style(pal.bold));
    for w in &plan.warnings {
        let _ = writeln!(s, "{} {w}", "Warning:".style(pal.update));
    }
    s
}

fn write_line(s: &mut String, line: &Line, pal: &Palette, replace_paths: Vec<String>) {
    let forces = |p: &str| {
        if replace_paths.iter().any(|r| r == p) {
            " # forces replacement"
        } else {
            ""
        }
    };
    let _ = match line {
        Line::Added(p, v) => writeln!(s, "      {} {p} = {v}{}", "+".style(pal.create), forces(p)),
        Line::Removed(p, v) => writeln!(s, "      {} {p} = {v}", "-".style(pal.delete)),
        Line::Changed(p, a, b) => writeln!(
            s,
            "      {} {p} = {a} -> {b}{}",
            "~".style(pal.update),
            forces(p)
        ),
        Line::AddedText(p, text) => {
            let _ = writeln!(s, "      {} {p} = <<EOT", "+".style(pal.create));
            for l in text.lines() {
                let _ = writeln!(s, "          {l}");
            }
            writeln!(s, "        EOT")
        }
        Line::TextDiff(p, diff) => {
            let _ = writeln!(s, "      {} {p}:{}", "~".style(pal.update), forces(p));
            for l in diff.lines() {
                let st = match l.as_bytes().first() {
                    Some(b'+') if !l.starts_with("+++") => pal.create,
                    Some(b'-') if !l.starts_with("---") => pal.delete,
                    _ => pal.dim,
                };
                let _ = writeln!(s, "          {}", l.style(st));
            }
            Ok(())
        }
    };
}
