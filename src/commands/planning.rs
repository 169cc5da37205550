//! Making a plan for `plan`, `apply` and `destroy`: the stack against state,
//! narrowed by `--target`/`--replace`, then compared with the real objects
//! when the cluster can be reached.

use super::wiring::Wired;
use std::collections::BTreeMap;
use strata_engine::{online, target, Plan, PlanInput, State};
use strata_stack::Stack;

/// How to plan.
pub struct PlanOptions<'a> {
    /// `--target` addresses.
    pub targets: &'a [String],
    /// `--replace` addresses.
    pub replace: &'a [String],
    /// Ask the real world (server-side dry runs) unless false.
    pub online: bool,
    /// How many objects to compare at once.
    pub parallelism: usize,
    /// Plan the destruction of everything in state instead of the stack.
    pub destroy: bool,
}

/// Plans `stack` against `state`.
pub async fn make_plan(
    stack: &Stack,
    state: Option<&State>,
    wired: &Wired,
    opts: &PlanOptions<'_>,
) -> Result<Plan, String> {
    let secrets = stack.secret_store();
    let (desired, outputs) = if opts.destroy {
        (Vec::new(), BTreeMap::new())
    } else {
        (
            stack.expanded.resources.clone(),
            stack.expanded.outputs.clone(),
        )
    };
    let input = PlanInput {
        stack: &stack.model.name,
        stack_sha256: &stack.sha256,
        desired,
        outputs,
        secrets: &secrets,
        destroy: opts.destroy,
    };
    let errors = |errs: Vec<strata_engine::plan::PlanError>| {
        errs.iter()
            .map(|e| format!("error: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut plan = strata_engine::plan(input, state).map_err(errors)?;
    plan.stack_dir = Some(stack.dir.display().to_string());
    target::force_replace(&mut plan, opts.replace, state).map_err(errors)?;
    target::select_targets(&mut plan, opts.targets, state).map_err(|e| format!("error: {e}"))?;
    if opts.online && !opts.destroy {
        match wired.cluster_reachable().await {
            Ok(false) => {}
            Ok(true) => {
                let warnings = online::refine(
                    &mut plan,
                    state,
                    &wired.providers,
                    &secrets,
                    opts.parallelism,
                )
                .await;
                plan.warnings.extend(warnings);
            }
            Err(why) => {
                plan.warnings.push(format!(
                    "the cluster cannot be reached ({why}): Kubernetes objects are planned from the stack and state alone, and what the API server adds (defaults, generated fields) is known after apply"
                ));
                if wired.builds_cluster() {
                    // Its nodes and k3s members can still be compared with
                    // what they run, e.g. to restart a stopped server.
                    let warnings =
                        online::refine(&mut plan, state, &wired.hosts, &secrets, opts.parallelism)
                            .await;
                    plan.warnings.extend(warnings);
                }
            }
        }
    }
    Ok(plan)
}
