//! What each command does. The CLI talks only to the stack and engine crates;
//! it never reaches hosts or clusters itself.

use crate::cli::{
    Cli, Command, Format, PlanArgs, ShowArgs, StackArgs, StateCommand, StateLocation,
};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use strata_engine::{planfile, render, LocalBackend, Plan, PlanInput, State};
use strata_stack::diag::{render as render_diags, Diagnostic, Sources};
use strata_stack::{Stack, VarOverrides};

/// Runs a command and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Validate(args) => validate(&args),
        Command::Plan(args) => plan(&args),
        Command::Graph(args) => graph(&args),
        Command::Show(args) => show(&args),
        Command::State(StateCommand::List(loc)) => state_list(&loc),
        Command::State(StateCommand::Show { address, location }) => state_show(&address, &location),
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

fn validate(args: &StackArgs) -> Result<i32, String> {
    let stack = load(args)?;
    println!(
        "Stack {:?} is valid: {} resources from {} files.",
        stack.model.name,
        stack.expanded.resources.len(),
        stack.sources.files().len()
    );
    Ok(0)
}

fn read_state(path: &Path) -> Result<Option<State>, String> {
    LocalBackend::new(path)
        .load()
        .map_err(|e| format!("error: {e}"))
}

fn plan(args: &PlanArgs) -> Result<i32, String> {
    let stack = load(&args.stack)?;
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| stack.default_state_path());
    let state = read_state(&state_path)?;
    let secrets = stack.secret_store();
    let input = PlanInput {
        stack: &stack.model.name,
        stack_sha256: &stack.sha256,
        desired: stack.expanded.resources,
        outputs: stack.expanded.outputs,
        secrets: &secrets,
    };
    let plan = strata_engine::plan(input, state.as_ref()).map_err(|errs| {
        errs.iter()
            .map(|e| format!("error: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    write_plan(&plan, args.format)?;
    if let Some(path) = &args.gitlab_report {
        let report =
            serde_json::to_string(&render::gitlab_report(&plan)).expect("report serializes");
        std::fs::write(path, report + "\n")
            .map_err(|e| format!("error: writing {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.out {
        planfile::save(path, &plan).map_err(|e| format!("error: {e}"))?;
        eprintln!("Saved the plan to {}.", path.display());
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    })
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

fn graph(args: &StackArgs) -> Result<i32, String> {
    let stack = load(args)?;
    let g = strata_engine::ResourceGraph::build(&stack.expanded.resources).map_err(|errs| {
        errs.iter()
            .map(|e| format!("error: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    print!("{}", g.to_dot());
    Ok(0)
}

fn show(args: &ShowArgs) -> Result<i32, String> {
    let plan = planfile::load(&args.planfile).map_err(|e| format!("error: {e}"))?;
    write_plan(&plan, args.format)?;
    Ok(0)
}

fn state_path(loc: &StateLocation) -> Result<PathBuf, String> {
    if let Some(p) = &loc.state {
        return Ok(p.clone());
    }
    let dir = loc.stack.clone().unwrap_or_else(|| PathBuf::from("."));
    let stack = load(&StackArgs { dir, vars: Vec::new() })
        .map_err(|_| "error: cannot find the state without a valid stack\n  hint: pass --state PATH or --stack DIR".to_string())?;
    Ok(stack.default_state_path())
}

fn state_list(loc: &StateLocation) -> Result<i32, String> {
    let path = state_path(loc)?;
    let Some(state) = read_state(&path)? else {
        return Err(format!("error: no state at {}\n  hint: state is written by `strata apply`; pass --state PATH to read another file", path.display()));
    };
    for (addr, r) in &state.resources {
        let status = match &r.status {
            strata_engine::state::ResourceStatus::Ready => String::new(),
            strata_engine::state::ResourceStatus::Pending { action } => {
                format!("  (pending {action})")
            }
            strata_engine::state::ResourceStatus::Tainted { .. } => "  (tainted)".into(),
        };
        println!("{addr}{status}");
    }
    Ok(0)
}

fn state_show(address: &str, loc: &StateLocation) -> Result<i32, String> {
    let path = state_path(loc)?;
    let Some(state) = read_state(&path)? else {
        return Err(format!("error: no state at {}", path.display()));
    };
    let Some(r) = state.resources.get(&strata_engine::Address::new(address)) else {
        let near = state
            .resources
            .keys()
            .map(|a| (strsim_distance(address, a.as_str()), a))
            .min_by_key(|x| x.0)
            .map(|x| format!("\n  hint: did you mean {}?", x.1))
            .unwrap_or_default();
        return Err(format!(
            "error: {address} is not in state {}{near}",
            path.display()
        ));
    };
    let shown = serde_json::json!({
        "address": address,
        "type": r.rtype,
        "status": r.status,
        "protect": r.protect,
        "dependencies": r.dependencies,
        "sensitive_paths": r.sensitive.keys().collect::<Vec<_>>(),
        "attributes": r.attributes,
    });
    println!("{}", serde_json::to_string_pretty(&shown).expect("json"));
    Ok(0)
}

fn strsim_distance(a: &str, b: &str) -> usize {
    // Common-prefix distance is enough to point at a near address.
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a.len().max(b.len()) - common
}
