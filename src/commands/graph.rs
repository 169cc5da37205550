//! `strata graph`: the resource graph in Graphviz DOT.

use super::load;
use crate::cli::StackArgs;

/// Runs `strata graph`.
pub fn run(args: &StackArgs) -> Result<i32, String> {
    let stack = load(args)?;
    let g = strata_engine::ResourceGraph::build(&stack.expanded.resources).map_err(|errs| {
        errs.iter()
            .map(|e| format!("error: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    print!("{}", g.to_dot());
    Ok(0)
}
