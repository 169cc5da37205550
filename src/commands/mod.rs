//! What each command does. The CLI talks only to the stack and engine crates;
//! it never reaches hosts or clusters itself.

mod force_unlock;
mod graph;
mod plan;
mod show;
mod state;
mod validate;

use crate::cli::{Cli, Command, Format, StackArgs};
use std::io::{IsTerminal, Write};
use strata_engine::{render, Plan};
use strata_stack::diag::{render as render_diags, Diagnostic, Sources};
use strata_stack::{Stack, VarOverrides};

/// Runs a command and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Show(args) => show::run(&args),
        Command::State(cmd) => state::run(&cmd),
        Command::ForceUnlock(args) => force_unlock::run(&args),
        Command::Version => {
            println!("strata {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "{}", message.trim_end());
            1
        }
    }
}

fn color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

fn overrides(args: &StackArgs) -> Result<VarOverrides, String> {
    let mut o = VarOverrides::default();
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix("STRATA_VAR_").map(|n| (n.to_string(), v)))
        .collect();
    env.sort();
    for (k, v) in env {
        o.values
            .push((k.clone(), v, format!("environment variable STRATA_VAR_{k}")));
    }
    for kv in &args.vars {
        let (k, v) = kv.split_once('=').ok_or_else(|| {
            format!("error: --var {kv:?} must be KEY=VALUE\n  hint: e.g. --var image_tag=1.5.0")
        })?;
        o.values
            .push((k.to_string(), v.to_string(), format!("--var {k}")));
    }
    Ok(o)
}

/// Loads a stack, printing diagnostics. `Err` carries nothing more to print.
fn load(args: &StackArgs) -> Result<Stack, String> {
    let vars = overrides(args)?;
    match strata_stack::load(&args.dir, &vars) {
        Ok(stack) => {
            print_diags(&stack.sources, &stack.warnings);
            Ok(stack)
        }
        Err(e) => {
            print_diags(&e.sources, &e.diagnostics);
            Err(String::new())
        }
    }
}

fn print_diags(sources: &Sources, diags: &[Diagnostic]) {
    if !diags.is_empty() {
        let _ = write!(
            std::io::stderr(),
            "{}",
            render_diags(sources, diags, color_stderr())
        );
    }
}

fn write_plan(plan: &Plan, format: Format) -> Result<(), String> {
    let text = match format {
        Format::Text => render::to_text(plan, color_stdout()),
        Format::Markdown => render::to_markdown(plan),
        Format::Json => serde_json::to_string_pretty(&render::to_json(plan)).expect("json") + "\n",
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("error: writing the plan: {e}"))
        }
        _ => Ok(()),
    }
}
