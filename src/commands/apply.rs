//! `strata apply`: plan, confirm, then walk the changes with progress, saving
//! intent and results in state as they happen.

use super::planning::{make_plan, PlanOptions};
use super::progress::Progress;
use super::state::{backend_for_stack, error, lock};
use super::wiring::{wire, Wired};
use super::{load, runtime, write_plan, Interrupt};
use crate::cli::{ApplyArgs, Format, StackArgs};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use strata_engine::apply::{ApplyOptions, ApplyOutcome};
use strata_engine::plan::Action;
use strata_engine::state::Backend;
use strata_engine::{planfile, Plan, State};
use strata_stack::Stack;

/// Runs `strata apply`.
pub fn run(args: &ApplyArgs) -> Result<i32, String> {
    runtime().block_on(apply(args))
}

async fn apply(args: &ApplyArgs) -> Result<i32, String> {
    let saved = if args.source.is_file() {
        if !args.vars.is_empty() || !args.targets.is_empty() || !args.replace.is_empty() {
            return Err("error: --var, --target and --replace shape a new plan; a saved plan is applied as it was reviewed\n  hint: pass them to `strata plan ... -o FILE` instead".into());
        }
        Some(planfile::load(&args.source).map_err(super::plan_file_error)?)
    } else {
        None
    };
    let interrupt = Interrupt::install();
    let dir = stack_dir(args, saved.as_ref())?;
    let vars = match &saved {
        // The variables the plan was made with, as it was reviewed.
        Some(p) => p
            .variables
            .iter()
            .map(|(k, v)| match v {
                // `--var` takes strings as they are, other types as JSON.
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect(),
        None => args.vars.clone(),
    };
    let stack = load(&StackArgs {
        dir,
        vars,
        strict: false,
    })?;
    let backend = backend_for_stack(&stack, args.state.as_deref(), "")?;
    let guard = lock(&*backend, "apply", &args.lock).await?;
    let state = backend.load().await.map_err(error)?;
    let wired = wire(&stack, state.as_ref());
    if stack.model.cluster.is_some() {
        // An existing cluster must answer before anything starts.
        wired.cluster_reachable().await.map_err(|why| {
            format!("error: the cluster cannot be reached: {why}\n  hint: nothing was changed; check the kubeconfig and that the API server is up, then apply again")
        })?;
    }
    let plan = match saved {
        Some(plan) => {
            planfile::check_fresh(&plan, state.as_ref(), &stack.sha256)
                .map_err(super::plan_file_error)?;
            plan
        }
        None => {
            let opts = PlanOptions {
                targets: &args.targets,
                replace: &args.replace,
                online: true,
                parallelism: usize::from(args.parallelism),
                destroy: false,
            };
            let mut plan = make_plan(&stack, state.as_ref(), &wired, &opts).await?;
            plan.state_location = Some(backend.describe());
            write_plan(&plan, Format::Text)?;
            if !plan.has_changes() {
                return Ok(0);
            }
            confirm(args.auto_approve, "apply")?;
            plan
        }
    };
    if interrupt.stopped() {
        return Err("Interrupted before any change: nothing was changed.".into());
    }
    let code = if plan.has_changes() {
        let parallelism = usize::from(args.parallelism);
        let run = Run {
            stack: &stack,
            backend: &*backend,
            wired: &wired,
            parallelism,
            what: "Apply",
            interrupt: &interrupt,
        };
        walk(&run, &plan, state).await?
    } else {
        println!("No changes. The infrastructure matches the stack.");
        0
    };
    guard.release().await.map_err(error)?;
    Ok(code)
}

/// The stack directory: the argument, `--stack`, or the one a plan file names.
fn stack_dir(args: &ApplyArgs, saved: Option<&Plan>) -> Result<PathBuf, String> {
    if let Some(d) = &args.stack {
        return Ok(d.clone());
    }
    match saved {
        None => Ok(args.source.clone()),
        Some(p) => match &p.stack_dir {
            Some(d) if Path::new(d).is_dir() => Ok(PathBuf::from(d)),
            Some(d) => Err(format!(
                "error: the plan was made from the stack in {d}, which is not a directory here\n  hint: pass the stack's directory with --stack DIR"
            )),
            None => Err("error: the plan file does not say which stack it was made from\n  hint: pass the stack's directory with --stack DIR".into()),
        },
    }
}

/// Asks on a terminal; refuses elsewhere unless `--auto-approve` was given.
pub fn confirm(auto_approve: bool, verb: &str) -> Result<(), String> {
    if auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "error: refusing to {verb} without confirmation: standard input is not a terminal\n  hint: review the plan above and pass --auto-approve, or save it with `strata plan -o FILE` and run `strata apply FILE`"
        ));
    }
    print!("\nDo you want to {verb} these changes? Only 'yes' is accepted: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| format!("error: reading the answer: {e}"))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(format!("{verb} cancelled: nothing was changed."))
    }
}

/// What a run of changes works with; shared by `apply` and `destroy`.
pub struct Run<'a> {
    /// The stack (its secrets).
    pub stack: &'a Stack,
    /// Where state is written; the caller holds its lock.
    pub backend: &'a dyn Backend,
    /// The providers.
    pub wired: &'a Wired,
    /// How many changes at once.
    pub parallelism: usize,
    /// "Apply" or "Destroy", for the summary.
    pub what: &'a str,
    /// Ctrl-C.
    pub interrupt: &'a Interrupt,
}

/// Runs the plan's changes and reports.
pub async fn walk(run: &Run<'_>, plan: &Plan, state: Option<State>) -> Result<i32, String> {
    let Run {
        stack,
        backend,
        wired,
        parallelism,
        what,
        interrupt,
    } = *run;
    let started = Instant::now();
    let mut state = state.unwrap_or_default();
    let mut writer = backend.writer(&state).await.map_err(error)?;
    let progress = Progress::new();
    let opts = ApplyOptions {
        parallelism,
        stop: interrupt.flag(),
        events: Some(progress.sink()),
    };
    let secrets = stack.secret_store();
    println!();
    let outcome = strata_engine::apply::apply(
        plan,
        &mut state,
        &mut *writer,
        &wired.providers,
        &secrets,
        &opts,
    )
    .await
    .map_err(|e| format!("error: saving state: {e}\n  hint: state holds every change recorded so far; fix the problem and run the command again"))?;
    writer.finish(&state).await.map_err(error)?;
    let stopped = interrupt.stopped();
    println!("\n{}", summary(plan, &outcome, started, stopped, what));
    for (a, e) in &outcome.failed {
        eprintln!("error: {a}: {e}");
    }
    if !outcome.skipped.is_empty() && !stopped {
        eprintln!(
            "note: {} changes were skipped because something they depend on failed: {}",
            outcome.skipped.len(),
            list(&outcome.skipped)
        );
    }
    Ok(if outcome.failed.is_empty() && !stopped {
        0
    } else {
        1
    })
}

fn list(items: &[strata_engine::Address]) -> String {
    let shown: Vec<String> = items.iter().take(5).map(ToString::to_string).collect();
    if items.len() > 5 {
        format!("{} and {} more", shown.join(", "), items.len() - 5)
    } else {
        shown.join(", ")
    }
}

fn summary(plan: &Plan, o: &ApplyOutcome, started: Instant, stopped: bool, what: &str) -> String {
    let count = |a: Action| {
        o.succeeded
            .iter()
            .filter(|s| {
                plan.changes
                    .iter()
                    .any(|c| &c.address == *s && c.action == a)
            })
            .count()
    };
    let head = if stopped {
        format!("{what} stopped (interrupted)")
    } else if o.failed.is_empty() {
        format!("{what} complete")
    } else {
        format!("{what} failed")
    };
    let mut s = format!(
        "{head}: {} created, {} updated, {} replaced, {} deleted",
        count(Action::Create),
        count(Action::Update),
        count(Action::Replace),
        count(Action::Delete)
    );
    if !o.failed.is_empty() {
        s += &format!(", {} failed", o.failed.len());
    }
    if !o.skipped.is_empty() {
        s += &format!(", {} not started", o.skipped.len());
    }
    s += &format!(" in {:.1}s.", started.elapsed().as_secs_f64());
    if stopped {
        s += "\nState records every change made so far; run the command again to finish.";
    }
    s
}
