//! `strata plan`: what applying the stack would change.

use super::state::{backend_for_stack, block_on, error};
use super::{load, write_plan};
use crate::cli::PlanArgs;
use strata_engine::{planfile, render, PlanInput};

/// Runs `strata plan`.
pub fn run(args: &PlanArgs) -> Result<i32, String> {
    let stack = load(&args.stack)?;
    let backend = backend_for_stack(&stack, args.state.as_deref(), "")?;
    let state = block_on(backend.load()).map_err(error)?;
    let secrets = stack.secret_store();
    let input = PlanInput {
        stack: &stack.model.name,
        stack_sha256: &stack.sha256,
        desired: stack.expanded.resources,
        outputs: stack.expanded.outputs,
        secrets: &secrets,
    };
    let mut plan = strata_engine::plan(input, state.as_ref()).map_err(|errs| {
        errs.iter()
            .map(|e| format!("error: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    plan.state_location = Some(backend.describe());
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
