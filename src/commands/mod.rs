//! What each command does. The CLI talks only to the stack and engine crates;
//! it never reaches hosts or clusters itself.

mod apply;
mod destroy;
mod force_unlock;
mod graph;
mod plan;
mod planning;
mod progress;
mod refresh;
mod show;
mod state;
mod validate;
mod wiring;

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
        Command::Apply(args) => apply::run(&args),
        Command::Refresh(args) => refresh::run(&args),
        Command::Destroy(args) => destroy::run(&args),
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

/// Variables set from outside the stack: `STRATA_VAR_*`, then `--var` flags.
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
    let options = strata_stack::LoadOptions {
        strict: args.strict,
    };
    match strata_stack::load_with(&args.dir, &vars, &options) {
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

/// The async runtime of commands that reach the real world.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
}

/// Ctrl-C handling for apply and destroy: the first press stops scheduling
/// new changes (running ones finish and are saved), the second aborts at once.
pub(crate) struct Interrupt {
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Interrupt {
    /// Starts listening for Ctrl-C.
    fn install() -> Self {
        use std::sync::atomic::Ordering;
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let f = flag.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            f.store(true, Ordering::SeqCst);
            eprintln!("\nInterrupted: no new changes start; waiting for the running ones to finish and be saved. Press Ctrl-C again to abort at once.");
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Aborted. State records the intent of every change that started; the next run reconciles them.");
                std::process::exit(130);
            }
        });
        Interrupt { flag }
    }

    /// The flag the walker watches.
    fn flag(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.flag.clone()
    }

    /// True once Ctrl-C was pressed.
    fn stopped(&self) -> bool {
        self.flag.load(std::sync::atomic::Ordering::SeqCst)
    }
}
