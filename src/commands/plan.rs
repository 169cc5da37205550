//! `strata plan`: what applying the stack would change.

use super::planning::{make_plan, PlanOptions};
use super::state::{backend_for_stack, error};
use super::wiring::wire;
use super::{load, overrides, runtime, write_plan};
use crate::cli::PlanArgs;
use strata_engine::{planfile, render};

/// Runs `strata plan`.
pub fn run(args: &PlanArgs) -> Result<i32, String> {
    let stack = load(&args.stack)?;
    let backend = backend_for_stack(&stack, args.state.as_deref(), "")?;
    let wired = wire(&stack);
    let opts = PlanOptions {
        targets: &args.targets,
        replace: &args.replace,
        online: !args.offline,
        parallelism: 10,
        destroy: false,
    };
    let rt = if wired.kube.is_some() && !args.offline {
        runtime()
    } else {
        // Nothing to ask of the real world: no worker threads needed.
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("the tokio runtime starts")
    };
    let plan = rt.block_on(async {
        let state = backend.load().await.map_err(error)?;
        let mut plan = make_plan(&stack, state.as_ref(), &wired, &opts).await?;
        plan.state_location = Some(backend.describe());
        plan.variables = overrides(&args.stack)?
            .values
            .into_iter()
            .map(|(k, v, _)| (k, v))
            .collect();
        Ok::<_, String>(plan)
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
