//! `strata show`: render a saved plan.

use super::write_plan;
use crate::cli::ShowArgs;
use strata_engine::planfile;

/// Runs `strata show`.
pub fn run(args: &ShowArgs) -> Result<i32, String> {
    let plan = planfile::load(&args.planfile).map_err(|e| format!("error: {e}"))?;
    write_plan(&plan, args.format)?;
    Ok(0)
}
