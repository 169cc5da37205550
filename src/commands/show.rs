//! `strata show`: render a saved plan.

use super::{plan_file_error, write_plan_with};
use crate::cli::ShowArgs;
use strata_engine::planfile;

/// Runs `strata show`.
pub fn run(args: &ShowArgs) -> Result<i32, String> {
    let plan = planfile::load(&args.planfile).map_err(plan_file_error)?;
    write_plan_with(&plan, &args.render)?;
    Ok(0)
}
