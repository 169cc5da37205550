//! What each command does. The CLI talks only to the stack and engine crates;
//! it never reaches hosts or clusters itself.

mod apply;
mod completions;
mod destroy;
mod force_unlock;
mod graph;
mod plan;
mod planning;
mod progress;
mod refresh;
mod schema;
mod show;
mod state;
mod validate;
mod wiring;

use crate::cli::{Cli, Command, Format, RenderArgs, StackArgs};
use std::io::{IsTerminal, Write};
use strata_engine::{render, Plan};
use strata_stack::diag::{render as render_diags, render_width, Diagnostic, Sources};
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
        Command::Schema => schema::run(),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
        Command::Version => {
            println!("strata {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            print_failure(&message);
            1
        }
    }
}

/// Codes a failure may name as `error[CODE]: ...`.
const CODES: &[&str] = &[
    "strata::state",
    "strata::lock",
    "strata::plan-file",
    "strata::var",
    "strata::graph",
    "strata::graphviz",
    "strata::output",
    "strata::plan",
];

/// Prints a command's failure in the style of the stack's diagnostics
/// (miette): each `error: ...` (or `error[CODE]: ...`) line starts one, its
/// `  hint: ...` lines become its help. Text in another shape (a cancelled
/// confirmation) is printed as it is.
fn print_failure(text: &str) {
    let text = text.trim_end();
    if text.is_empty() {
        return;
    }
    match parse_failure(text) {
        Some(diags) => {
            let _ = write!(std::io::stderr(), "{}", render_failures(&diags));
        }
        None => {
            let _ = writeln!(std::io::stderr(), "{text}");
        }
    }
}

/// The diagnostics in a failure's text, or `None` when it is not one.
fn parse_failure(text: &str) -> Option<Vec<Diagnostic>> {
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut in_hint = false;
    for line in text.lines() {
        let head = line.strip_prefix("error: ").map(|m| ("", m)).or_else(|| {
            let rest = line.strip_prefix("error[")?;
            let (code, m) = rest.split_once("]: ")?;
            Some((CODES.iter().copied().find(|c| *c == code).unwrap_or(""), m))
        });
        if let Some((code, message)) = head {
            out.push(Diagnostic::global(code, message));
            in_hint = false;
            continue;
        }
        let last = out.last_mut()?;
        if let Some(h) = line.trim_start().strip_prefix("hint: ") {
            last.help = Some(match last.help.take() {
                Some(before) => format!("{before}\n{h}"),
                None => h.to_string(),
            });
            in_hint = true;
        } else if in_hint {
            let help = last.help.get_or_insert_with(String::new);
            help.push('\n');
            help.push_str(line.trim_start());
        } else {
            last.message.push('\n');
            last.message.push_str(line);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Renders failures like stack diagnostics, without wrapping: hints hold
/// commands to copy.
fn render_failures(diags: &[Diagnostic]) -> String {
    render_width(&Sources::default(), diags, color_stderr(), usize::MAX)
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
        // One environment often serves several stacks: a variable this
        // stack does not declare is set aside with a note.
        let origin = format!("environment variable STRATA_VAR_{k}");
        o.lenient.insert(origin.clone());
        o.values.push((k.clone(), v, origin));
    }
    for kv in &args.vars {
        let (k, v) = kv.split_once('=').filter(|(k, _)| !k.is_empty()).ok_or_else(|| {
            format!("error[strata::var]: --var {kv:?} must be KEY=VALUE\n  hint: name a variable of the stack's [vars], e.g. --var image_tag=1.5.0")
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

/// Prints a plan in `format` with the default options (apply and destroy
/// show the plan they are about to carry out this way).
fn write_plan(plan: &Plan, format: Format) -> Result<(), String> {
    write_plan_with(
        plan,
        &RenderArgs {
            format,
            full: false,
            comment_limit: render::GITHUB_COMMENT_LIMIT,
            full_plan_url: None,
        },
    )
}

/// Prints a plan as `--format`, `--full`, `--comment-limit` and
/// `--full-plan-url` ask.
fn write_plan_with(plan: &Plan, r: &RenderArgs) -> Result<(), String> {
    let text = match r.format {
        Format::Text => render::to_text_with(
            plan,
            &render::TextOptions {
                color: color_stdout(),
                full: r.full,
            },
        ),
        Format::Markdown => render::to_markdown_with(
            plan,
            &render::MarkdownOptions {
                full: r.full,
                limit: r.comment_limit,
                full_plan: r.full_plan_url.clone(),
            },
        ),
        Format::Json => serde_json::to_string_pretty(&render::to_json(plan)).expect("json") + "\n",
    };
    write_stdout(&text, "the plan")
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn write_stdout(text: &str, what: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!(
            "error[strata::output]: writing {what}: {e}\n  hint: check that standard output is writable (a full disk, a closed terminal)"
        )),
        _ => Ok(()),
    }
}

/// A plan file error as the CLI prints it.
fn plan_file_error(e: strata_engine::planfile::PlanFileError) -> String {
    format!("error[strata::plan-file]: {e}")
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
