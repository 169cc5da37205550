//! `strata plan`: what applying the stack would change.

use super::plan_file_error;
use super::planning::{make_plan, PlanOptions};
use super::state::{backend_for_stack, error};
use super::wiring::wire;
use super::{load, runtime, write_plan_with};
use crate::cli::PlanArgs;
use strata_engine::{planfile, render};

/// Runs `strata plan`.
pub fn run(args: &PlanArgs) -> Result<i32, String> {
    let stack = load(&args.stack)?;
    if let Some(path) = &args.out {
        // Before any work: never plan for minutes, then refuse to save.
        planfile::check_writable(path, &stack.model.name).map_err(plan_file_error)?;
    }
    let backend = backend_for_stack(&stack, args.state.as_deref(), "")?;
    let opts = PlanOptions {
        targets: &args.targets,
        replace: &args.replace,
        online: !args.offline,
        parallelism: 10,
        destroy: false,
    };
    let asks_world = stack.model.cluster.is_some() || !stack.model.clusters.is_empty();
    let rt = if asks_world && !args.offline {
        runtime()
    } else {
        // Nothing to ask of the real world: no worker threads needed.
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("the tokio runtime starts")
    };
    let plan = rt.block_on(async {
        let state = backend.load().await.map_err(error)?;
        let wired = wire(&stack, state.as_ref());
        let mut plan = make_plan(&stack, state.as_ref(), &wired, &opts).await?;
        plan.state_location = Some(backend.describe());
        plan.variables = stack.model.vars.clone();
        Ok::<_, String>(plan)
    })?;
    write_plan_with(&plan, &args.render)?;
    if let Some(path) = &args.gitlab_report {
        let report =
            serde_json::to_string(&render::gitlab_report(&plan)).expect("report serializes");
        std::fs::write(path, report + "\n")
            .map_err(|e| format!("error[strata::output]: writing {}: {e}\n  hint: check that the directory exists and is writable", path.display()))?;
    }
    if let Some(path) = &args.out {
        planfile::save(path, &plan).map_err(plan_file_error)?;
        eprintln!("Saved the plan to {}.", path.display());
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    })
}
