//! `strata force-unlock`: clear a lock left by a run that can no longer finish.

use super::state::{backend_at, block_on, error};
use crate::cli::ForceUnlockArgs;

/// Runs `strata force-unlock`.
pub fn run(args: &ForceUnlockArgs) -> Result<i32, String> {
    let backend = backend_at(&args.location)?;
    block_on(backend.force_unlock(&args.id)).map_err(error)?;
    eprintln!(
        "Released lock {} of {}; its state can be changed again.",
        args.id,
        backend.describe()
    );
    Ok(0)
}
