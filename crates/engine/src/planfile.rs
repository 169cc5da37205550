//! Saved plans (`strata plan -o FILE`): the plan plus what it was made
//! against, so that applying a stale plan can be refused.

use crate::plan::{Plan, PLAN_FORMAT_VERSION};
use crate::state::State;
use std::path::Path;

/// Errors reading, writing or checking a saved plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    /// I/O failure.
    #[error("{action} plan file {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not a Strata plan file.
    #[error("{path} is not a Strata plan file: {message}\n  hint: {}", invalid_hint(.path))]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// `plan -o` would write over a file that is not a plan.
    #[error("refusing to write the plan to {path}: {why}\n  hint: save the plan under a name of its own, e.g. `-o {suggested}`")]
    WouldOverwrite {
        /// The file.
        path: String,
        /// What it is.
        why: String,
        /// A better name.
        suggested: String,
    },
    /// The plan no longer matches the state or the stack.
    #[error(
        "the saved plan is stale: {0}\n  hint: run `strata plan` again and review the new plan"
    )]
    Stale(String),
}

/// The hint for a file that is not a plan: never one that names the file as
/// the place to write a plan, since it may be a stack's own file.
fn invalid_hint(path: &str) -> String {
    if path.ends_with(".toml") {
        "this looks like a stack's file: pass the stack's directory to plan or apply it, and save plans with `strata plan DIR -o NAME.plan`".into()
    } else {
        "a plan file is made by `strata plan DIR -o NAME.plan`".into()
    }
}

/// Refuses a plan file name that would overwrite something that is not a
/// Strata plan, or that a stack would read as one of its own files.
pub fn check_writable(path: &Path, stack_name: &str) -> Result<(), PlanFileError> {
    let refuse = |why: String| PlanFileError::WouldOverwrite {
        path: path.display().to_string(),
        why,
        suggested: format!("{stack_name}.plan"),
    };
    if path.extension().is_some_and(|e| e == "toml") {
        return Err(refuse(
            "a *.toml file in a stack directory is read as part of the stack".into(),
        ));
    }
    if path.is_dir() {
        return Err(refuse("it is a directory".into()));
    }
    if path.exists() && is_plan_file(path).is_err() {
        return Err(refuse("it exists and is not a Strata plan".into()));
    }
    Ok(())
}

/// Whether `path` holds a Strata plan (of any format version).
fn is_plan_file(path: &Path) -> Result<(), ()> {
    #[derive(serde::Deserialize)]
    struct Head {
        format_version: String,
        stack_sha256: String,
    }
    let text = std::fs::read(path).map_err(|_| ())?;
    let head: Head = serde_json::from_slice(&text).map_err(|_| ())?;
    (!head.format_version.is_empty() && head.stack_sha256.len() == 64)
        .then_some(())
        .ok_or(())
}

/// Writes a plan file atomically (temporary file + rename).
pub fn save(path: &Path, plan: &Plan) -> Result<(), PlanFileError> {
    let io = |action, source| PlanFileError::Io {
        action,
        path: path.display().to_string(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let mut body = serde_json::to_vec_pretty(plan).expect("plans serialize");
    body.push(b'\n');
    std::fs::write(&tmp, body).map_err(|e| io("writing", e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("writing", e))
}

/// Reads a plan file.
pub fn load(path: &Path) -> Result<Plan, PlanFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| PlanFileError::Io {
        action: "reading",
        path: path.display().to_string(),
        source,
    })?;
    let invalid = |message: String| PlanFileError::Invalid {
        path: path.display().to_string(),
        message,
    };
    let plan: Plan = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    if plan.format_version != PLAN_FORMAT_VERSION {
        return Err(invalid(format!(
            "format_version {} is not {PLAN_FORMAT_VERSION}",
            plan.format_version
        )));
    }
    Ok(plan)
}

/// Refuses a plan made against another state or other stack files.
pub fn check_fresh(
    plan: &Plan,
    state: Option<&State>,
    stack_sha256: &str,
) -> Result<(), PlanFileError> {
    match (plan.lineage, state) {
        (Some(l), Some(s)) if l != s.lineage => {
            return Err(PlanFileError::Stale(format!(
                "it was made against state lineage {l}, but the state now has lineage {}",
                s.lineage
            )))
        }
        (Some(_), None) => {
            return Err(PlanFileError::Stale(
                "it was made against a state that no longer exists".into(),
            ))
        }
        (None, Some(s)) => {
            return Err(PlanFileError::Stale(format!(
                "it was made before any state existed, but state now exists (serial {})",
                s.serial
            )))
        }
        _ => {}
    }
    if let Some(s) = state {
        if s.serial != plan.serial {
            return Err(PlanFileError::Stale(format!(
                "it was made against state serial {}, but the state is now at serial {}",
                plan.serial, s.serial
            )));
        }
    }
    if plan.stack_sha256 != stack_sha256 {
        return Err(PlanFileError::Stale(
            "the stack's files changed since the plan was made".into(),
        ));
    }
    Ok(())
}
