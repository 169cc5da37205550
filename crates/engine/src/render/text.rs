//! The terminal renderer: the summary and any warnings first, a one-line
//! legend, then each change with its attributes (large values folded).

use super::{change_lines, compared_line, fold, marker, scalar, summary_line, verb, Line};
use crate::plan::{Action, Plan};
use owo_colors::{OwoColorize, Style};
use std::fmt::Write;

/// How to render a plan for a terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// ANSI colors.
    pub color: bool,
    /// Show large values (dashboards, chart values) in full instead of a
    /// digest and a line count.
    pub full: bool,
}

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

/// Renders a plan for a terminal; `color` turns ANSI colors on. Large values
/// are folded (see [`to_text_with`]).
pub fn to_text(plan: &Plan, color: bool) -> String {
    to_text_with(plan, &TextOptions { color, full: false })
}

/// Renders a plan for a terminal.
pub fn to_text_with(plan: &Plan, opts: &TextOptions) -> String {
    let pal = Palette::new(opts.color);
    let mut s = String::new();
    let _ = writeln!(s, "{}", summary_line(plan).style(pal.bold));
    let mut compared = compared_line(plan);
    compared[..1].make_ascii_uppercase();
    let _ = writeln!(s, "{compared}.");
    for w in &plan.warnings {
        let _ = writeln!(s, "{} {w}", "Warning:".style(pal.update));
    }
    let changed: Vec<_> = plan.changed().collect();
    if !changed.is_empty() {
        let _ = writeln!(
            s,
            "\n{} create  {} update in place  {} replace  {} delete   (in apply order)",
            "+".style(pal.create),
            "~".style(pal.update),
            "-/+".style(pal.replace),
            "-".style(pal.delete),
        );
    }
    let mut folded = false;
    for c in &changed {
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
        let replace_paths: Vec<String> = c.replace_paths.iter().map(ToString::to_string).collect();
        for line in fold(change_lines(c), opts.full) {
            folded |= matches!(line, Line::Folded('+' | '~', ..));
            write_line(&mut s, &line, &pal, &replace_paths);
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
    if !changed.is_empty() {
        let _ = writeln!(s, "\n{}", summary_line(plan).style(pal.bold));
    }
    if folded {
        let _ = writeln!(
            s,
            "{}",
            "Large values are shown as their size and digest; --full shows them.".style(pal.dim)
        );
    }
    s
}

fn write_line(s: &mut String, line: &Line, pal: &Palette, replace_paths: &[String]) {
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
        Line::Folded(m, p, what) => {
            let st = match m {
                '+' => pal.create,
                '-' => pal.delete,
                _ => pal.update,
            };
            let sep = if *m == '~' { ":" } else { " =" };
            writeln!(
                s,
                "      {} {p}{sep} {}{}",
                m.style(st),
                what.style(pal.dim),
                forces(p)
            )
        }
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
