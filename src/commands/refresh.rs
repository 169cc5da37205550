//! `strata refresh`: observe everything state records and report drift;
//! `--write` records what was observed.

use super::wiring::wire;
use super::{color_stdout, load, read_state, runtime};
use crate::cli::{Format, RefreshArgs};
use std::io::Write;
use strata_engine::refresh::refresh;
use strata_engine::{render, LocalBackend};

/// Runs `strata refresh`.
pub fn run(args: &RefreshArgs) -> Result<i32, String> {
    runtime().block_on(run_async(args))
}

async fn run_async(args: &RefreshArgs) -> Result<i32, String> {
    let stack = load(&args.stack)?;
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| stack.default_state_path());
    let Some(mut state) = read_state(&state_path)? else {
        return Err(format!(
            "error: no state at {}: nothing has been applied yet, so nothing can drift\n  hint: run `strata apply {}` first, or pass --state PATH",
            state_path.display(),
            args.stack.dir.display()
        ));
    };
    let wired = wire(&stack);
    if let Err(why) = wired.cluster_reachable().await {
        return Err(format!(
            "error: cannot audit drift: the cluster cannot be reached: {why}"
        ));
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
    report.state = state_path.display().to_string();
    let text = match args.format {
        Format::Text => render::drift_to_text(&report, color_stdout()),
        Format::Markdown => render::drift_to_markdown(&report),
        Format::Json => {
            serde_json::to_string_pretty(&render::drift_to_json(&report)).expect("json") + "\n"
        }
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    if args.write && report.has_drift() {
        report.write_into(&mut state);
        state.serial += 1;
        LocalBackend::new(&state_path)
            .save(&state)
            .map_err(|e| format!("error: {e}"))?;
        eprintln!(
            "Recorded what was observed in {} (serial {}).",
            state_path.display(),
            state.serial
        );
    }
    if !report.errors.is_empty() {
        return Ok(1);
    }
    Ok(if args.exit_code && report.has_drift() {
        2
    } else {
        0
    })
}
