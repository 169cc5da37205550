//! `strata state ...`: read state.

use super::{load, read_state};
use crate::cli::{StackArgs, StateLocation};
use std::path::PathBuf;

/// The state file `strata state` reads.
fn state_path(loc: &StateLocation) -> Result<PathBuf, String> {
    if let Some(p) = &loc.state {
        return Ok(p.clone());
    }
    let dir = loc.stack.clone().unwrap_or_else(|| PathBuf::from("."));
    let stack = load(&StackArgs {
        dir,
        vars: Vec::new(),
        strict: false,
    })
        .map_err(|_| "error: cannot find the state without a valid stack\n  hint: pass --state PATH or --stack DIR".to_string())?;
    Ok(stack.default_state_path())
}

/// Runs `strata state list`.
pub fn list(loc: &StateLocation) -> Result<i32, String> {
    let path = state_path(loc)?;
    let Some(state) = read_state(&path)? else {
        return Err(format!("error: no state at {}\n  hint: state is written by `strata apply`; pass --state PATH to read another file", path.display()));
    };
    for (addr, r) in &state.resources {
        let status = match &r.status {
            strata_engine::state::ResourceStatus::Ready => String::new(),
            strata_engine::state::ResourceStatus::Pending { action } => {
                format!("  (pending {action})")
            }
            strata_engine::state::ResourceStatus::Tainted { .. } => "  (tainted)".into(),
        };
        println!("{addr}{status}");
    }
    Ok(0)
}

/// Runs `strata state show`.
pub fn show(address: &str, loc: &StateLocation) -> Result<i32, String> {
    let path = state_path(loc)?;
    let Some(state) = read_state(&path)? else {
        return Err(format!("error: no state at {}", path.display()));
    };
    let Some(r) = state.resources.get(&strata_engine::Address::new(address)) else {
        let near = state
            .resources
            .keys()
            .map(|a| (strsim_distance(address, a.as_str()), a))
            .min_by_key(|x| x.0)
            .map(|x| format!("\n  hint: did you mean {}?", x.1))
            .unwrap_or_default();
        return Err(format!(
            "error: {address} is not in state {}{near}",
            path.display()
        ));
    };
    let shown = serde_json::json!({
        "address": address,
        "type": r.rtype,
        "status": r.status,
        "protect": r.protect,
        "dependencies": r.dependencies,
        "sensitive_paths": r.sensitive.keys().collect::<Vec<_>>(),
        "attributes": r.attributes,
    });
    println!("{}", serde_json::to_string_pretty(&shown).expect("json"));
    Ok(0)
}

fn strsim_distance(a: &str, b: &str) -> usize {
    // Common-prefix distance is enough to point at a near address.
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a.len().max(b.len()) - common
}
