//! `strata validate`: check a stack and report every problem at once.

use super::load;
use crate::cli::StackArgs;

/// Runs `strata validate`.
pub fn run(args: &StackArgs) -> Result<i32, String> {
    let stack = load(args)?;
    println!(
        "Stack {:?} is valid: {} resources from {} files.",
        stack.model.name,
        stack.expanded.resources.len(),
        stack.sources.files().len()
    );
    Ok(0)
}
