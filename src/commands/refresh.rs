//! `strata refresh`: observe everything state records and report drift;
//! `--write` records what was observed.

use super::state::{backend_for_stack, error, lock};
use super::wiring::wire;
use super::{color_stdout, load, runtime};
use crate::cli::{Format, RefreshArgs};
use std::io::Write;
use strata_engine::refresh::refresh;
use strata_engine::render;

/// Runs `strata refresh`.
pub fn run(args: &RefreshArgs) -> Result<i32, String> {
    runtime().block_on(run_async(args))
}

async fn run_async(args: &RefreshArgs) -> Result<i32, String> {
    let stack = load(&args.stack)?;
    let backend = backend_for_stack(&stack, args.state.as_deref(), "")?;
    let guard = match args.write {
        true => Some(lock(&*backend, "refresh --write", &args.lock).await?),
        false => None,
    };
    let Some(mut state) = backend.load().await.map_err(error)? else {
        return Err(format!(
            "error: no state in {}: nothing has been applied yet, so nothing can drift\n  hint: run `strata apply {}` first, or pass --state PATH",
            backend.describe(),
            args.stack.dir.display()
        ));
    };
    let wired = wire(&stack, Some(&state));
    if let Err(why) = wired.cluster_reachable().await {
        if !wired.builds_cluster() {
            return Err(format!(
                "error: cannot audit drift: the cluster cannot be reached: {why}"
            ));
        }
        // A cluster the stack builds: its nodes and k3s members can still be
        // audited, and may say why the API is down.
        eprintln!("warning: the cluster's API cannot be reached ({why}); nodes and k3s are audited, Kubernetes objects are reported as errors");
    }
    let ignored = stack
        .expanded
        .resources
        .iter()
        .filter(|r| !r.lifecycle.ignore_changes.is_empty())
        .map(|r| (r.address.clone(), r.lifecycle.ignore_changes.clone()))
        .collect();
    let mut report = refresh(&state, &wired.providers, &ignored).await;
    report.stack = stack.model.name.clone();
    report.state = backend.describe();
    let text = match args.format {
        Format::Text => render::drift_to_text(&report, color_stdout()),
        Format::Markdown => render::drift_to_markdown(&report),
        Format::Json => {
            serde_json::to_string_pretty(&render::drift_to_json(&report)).expect("json") + "\n"
        }
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    if args.write && !report.drift.is_empty() {
        let read_at = state.serial;
        report.write_into(&mut state);
        let serial = backend.write(&state, Some(read_at)).await.map_err(error)?;
        eprintln!(
            "Recorded what was observed in {} (serial {serial}).",
            backend.describe()
        );
    }
    if let Some(g) = guard {
        g.release().await.map_err(error)?;
    }
    let code = if !report.errors.is_empty() {
        1
    } else if args.exit_code && report.has_drift() {
        2
    } else {
        0
    };
    // The process exits next: freeing a large stack, state and report object
    // by object would only delay the exit (by milliseconds for thousands of
    // objects), so leave that to the operating system.
    std::mem::forget((stack, state, report));
    Ok(code)
}
