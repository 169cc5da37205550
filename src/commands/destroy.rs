//! `strata destroy`: delete everything the stack's state records, in reverse
//! dependency order, refusing protected resources.

use super::apply::{confirm, walk, Run};
use super::planning::{make_plan, PlanOptions};
use super::state::{backend_for_stack, error, lock};
use super::wiring::wire;
use super::{load, runtime, write_plan, Interrupt};
use crate::cli::{DestroyArgs, Format};

/// Runs `strata destroy`.
pub fn run(args: &DestroyArgs) -> Result<i32, String> {
    runtime().block_on(destroy(args))
}

async fn destroy(args: &DestroyArgs) -> Result<i32, String> {
    let interrupt = Interrupt::install();
    let stack = load(&args.stack)?;
    let backend = backend_for_stack(&stack, args.state.as_deref(), "")?;
    let guard = lock(&*backend, "destroy", &args.lock).await?;
    let Some(state) = backend.load().await.map_err(error)? else {
        println!(
            "Nothing to destroy: there is no state in {}.",
            backend.describe()
        );
        return Ok(0);
    };
    let wired = wire(&stack, Some(&state));
    let opts = PlanOptions {
        targets: &args.targets,
        replace: &[],
        online: false,
        parallelism: usize::from(args.parallelism),
        destroy: true,
    };
    let mut plan = make_plan(&stack, Some(&state), &wired, &opts).await?;
    plan.state_location = Some(backend.describe());
    write_plan(&plan, Format::Text)?;
    if !plan.has_changes() {
        return Ok(0);
    }
    confirm(args.auto_approve, "destroy")?;
    if interrupt.stopped() {
        return Err("Interrupted before any change: nothing was changed.".into());
    }
    let run = Run {
        stack: &stack,
        backend: &*backend,
        wired: &wired,
        parallelism: usize::from(args.parallelism),
        what: "Destroy",
        interrupt: &interrupt,
    };
    let code = walk(&run, &plan, Some(state)).await?;
    guard.release().await.map_err(error)?;
    Ok(code)
}
