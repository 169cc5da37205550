//! `strata destroy`: delete everything the stack's state records, in reverse
//! dependency order, refusing protected resources.

use super::apply::{confirm, walk};
use super::planning::{make_plan, PlanOptions};
use super::wiring::wire;
use super::{load, read_state, runtime, write_plan};
use crate::cli::{DestroyArgs, Format};

/// Runs `strata destroy`.
pub fn run(args: &DestroyArgs) -> Result<i32, String> {
    runtime().block_on(destroy(args))
}

async fn destroy(args: &DestroyArgs) -> Result<i32, String> {
    let stack = load(&args.stack)?;
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| stack.default_state_path());
    let Some(state) = read_state(&state_path)? else {
        println!(
            "Nothing to destroy: there is no state at {}.",
            state_path.display()
        );
        return Ok(0);
    };
    let wired = wire(&stack);
    let opts = PlanOptions {
        targets: &args.targets,
        replace: &[],
        online: false,
        parallelism: usize::from(args.parallelism),
        destroy: true,
    };
    let plan = make_plan(&stack, Some(&state), &wired, &opts).await?;
    write_plan(&plan, Format::Text)?;
    if !plan.has_changes() {
        return Ok(0);
    }
    confirm(args.auto_approve, "destroy")?;
    walk(
        &stack,
        &plan,
        Some(state),
        &state_path,
        &wired,
        usize::from(args.parallelism),
    )
    .await
}
