//! `strata state ...`: read and repair state, and the one place the CLI turns
//! a stack's `[stack] state` (or `--state PATH`) into a [`Backend`].

use super::load;
use crate::cli::{LockArgs, StackArgs, StateCommand, StateLocation};
use std::future::Future;
use std::path::{Path, PathBuf};
use strata_engine::state::{
    Backend, LocalBackend, LockInfo, PostgresBackend, ResourceStatus, State, StateError,
};
use strata_engine::{Address, LockGuard, SecretValues};
use strata_stack::model::{StateBackend, StateUrl};
use strata_stack::Stack;

/// Runs a future to completion on a runtime of its own.
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

/// A state error as the CLI prints it, always with a hint.
pub(crate) fn error(e: StateError) -> String {
    let code = match &e {
        StateError::Locked { .. } | StateError::NoSuchLock { .. } => "strata::lock",
        _ => "strata::state",
    };
    let mut text = format!("error[{code}]: {e}");
    if !text.contains("\n  hint: ") {
        text.push_str(match &e {
            StateError::Io { .. } => "\n  hint: check that the path exists and that Strata may read and write it, or pass --state PATH",
            _ => "\n  hint: check the stack's [stack] state setting, or pass --state PATH",
        });
    }
    text
}

/// `path` relative to the working directory when it lies below it.
fn pretty(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| path.to_path_buf())
}

/// The backend a stack's state lives in: `state_file` when given (a local
/// file), else its `[stack] state`. `location_args` are the arguments that
/// name this state on the command line (used in force-unlock hints).
pub(crate) fn backend_for_stack(
    stack: &Stack,
    state_file: Option<&Path>,
    location_args: &str,
) -> Result<Box<dyn Backend>, String> {
    if let Some(p) = state_file {
        return Ok(Box::new(
            LocalBackend::new(p).with_location_args(location_args),
        ));
    }
    let cfg = &stack.model.state;
    match &cfg.backend {
        StateBackend::Local => Ok(Box::new(
            LocalBackend::new(pretty(&stack.default_state_path()))
                .with_location_args(location_args),
        )),
        StateBackend::Postgres { url } => {
            let url = match url {
                StateUrl::Literal(u) => u.clone(),
                StateUrl::Env(var) => std::env::var(var).map_err(|_| {
                    format!("error: the stack's state URL comes from the environment variable {var}, which is not set\n  hint: export {var}=postgres://USER:PASSWORD@HOST:5432/DATABASE")
                })?,
                StateUrl::Secret(name) => match stack.secret_store().get(name) {
                    Ok(Some(u)) => u,
                    Ok(None) => return Err(format!("error: the stack's state URL is the secret `{name}`, which is not available\n  hint: provide it as [secrets] {name} says")),
                    Err(e) => return Err(format!("error: reading the secret `{name}` for the state URL: {e}")),
                },
            };
            let workspace = cfg.workspace.as_deref().unwrap_or(&stack.model.name);
            let b = PostgresBackend::new(&url, workspace).map_err(error)?;
            Ok(Box::new(b.with_location_args(location_args)))
        }
    }
}

/// The stack named by `--stack` (default: the working directory).
fn stack_of(loc: &StateLocation) -> Result<Stack, String> {
    let dir = loc.stack.clone().unwrap_or_else(|| PathBuf::from("."));
    load(&StackArgs {
        dir,
        vars: Vec::new(),
        strict: false,
    })
    .map_err(|_| {
        "error: cannot find the state without a valid stack\n  hint: pass --state PATH or --stack DIR".to_string()
    })
}

fn location_args(loc: &StateLocation) -> String {
    match (&loc.state, &loc.stack) {
        (Some(p), _) => format!(" --state {}", p.display()),
        (None, Some(d)) => format!(" --stack {}", d.display()),
        (None, None) => String::new(),
    }
}

/// The backend `--state` or `--stack` names.
pub(crate) fn backend_at(loc: &StateLocation) -> Result<Box<dyn Backend>, String> {
    let args = location_args(loc);
    match &loc.state {
        Some(p) => Ok(Box::new(LocalBackend::new(p).with_location_args(args))),
        None => backend_for_stack(&stack_of(loc)?, None, &args),
    }
}

/// The workspace name for `migrate`'s database locations.
fn workspace_of(loc: &StateLocation) -> Result<String, String> {
    match &loc.state {
        Some(p) => Ok(p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "default".into())),
        None => {
            let stack = stack_of(loc)?;
            Ok(stack
                .model
                .state
                .workspace
                .clone()
                .unwrap_or(stack.model.name))
        }
    }
}

/// A `migrate` location: a state file, a postgres:// URL, or env:NAME.
fn backend_from_spec(spec: &str, workspace: &str) -> Result<Box<dyn Backend>, String> {
    let url = if let Some(var) = spec.strip_prefix("env:") {
        Some(std::env::var(var).map_err(|_| {
            format!("error: {var} is not set\n  hint: export {var}=postgres://USER:PASSWORD@HOST:5432/DATABASE")
        })?)
    } else if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Some(spec.to_string())
    } else {
        None
    };
    match url {
        Some(u) => Ok(Box::new(
            PostgresBackend::new(&u, workspace).map_err(error)?,
        )),
        None => Ok(Box::new(LocalBackend::new(spec))),
    }
}

async fn read(backend: &dyn Backend) -> Result<State, String> {
    backend.load().await.map_err(error)?.ok_or_else(|| {
        format!(
            "error: no state at {}\n  hint: state is written by `strata apply`; pass --state PATH or --stack DIR to read another",
            backend.describe()
        )
    })
}

pub(crate) async fn lock(
    backend: &dyn Backend,
    op: &str,
    l: &LockArgs,
) -> Result<LockGuard, String> {
    backend
        .lock(LockInfo::new(op), l.lock_timeout)
        .await
        .map_err(error)
}

/// Runs a `strata state` command.
pub fn run(cmd: &StateCommand) -> Result<i32, String> {
    match cmd {
        StateCommand::List(loc) => list(loc),
        StateCommand::Show { address, location } => show(address, location),
        StateCommand::Pull(loc) => pull(loc),
        StateCommand::Push {
            file,
            force,
            location,
            lock,
        } => push(file, *force, location, lock),
        StateCommand::Rm {
            addresses,
            location,
            lock,
        } => rm(addresses, location, lock),
        StateCommand::Mv {
            from,
            to,
            location,
            lock,
        } => mv(from, to, location, lock),
        StateCommand::Migrate {
            to,
            from,
            force,
            location,
            lock,
        } => migrate(to, from.as_deref(), *force, location, lock),
    }
}

fn list(loc: &StateLocation) -> Result<i32, String> {
    let backend = backend_at(loc)?;
    let state = block_on(read(&*backend))?;
    for (addr, r) in &state.resources {
        let status = match &r.status {
            ResourceStatus::Ready => String::new(),
            ResourceStatus::Pending { action } => format!("  (pending {action})"),
            ResourceStatus::Tainted { .. } => "  (tainted)".into(),
        };
        println!("{addr}{status}");
    }
    Ok(0)
}

/// "did you mean" for an address not in state.
fn not_in_state(address: &str, state: &State, backend: &dyn Backend) -> String {
    let near = state
        .resources
        .keys()
        .map(|a| (strsim_distance(address, a.as_str()), a))
        .min_by_key(|x| x.0)
        .map(|x| format!("\n  hint: did you mean {}?", x.1))
        .unwrap_or_default();
    format!(
        "error: {address} is not in state {}{near}",
        backend.describe()
    )
}

fn show(address: &str, loc: &StateLocation) -> Result<i32, String> {
    let backend = backend_at(loc)?;
    let state = block_on(read(&*backend))?;
    let Some(r) = state.resources.get(&Address::new(address)) else {
        return Err(not_in_state(address, &state, &*backend));
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

fn pull(loc: &StateLocation) -> Result<i32, String> {
    let backend = backend_at(loc)?;
    let state = block_on(read(&*backend))?;
    print!("{}", state.to_json());
    Ok(0)
}

fn push(file: &Path, force: bool, loc: &StateLocation, l: &LockArgs) -> Result<i32, String> {
    let backend = backend_at(loc)?;
    block_on(async {
        // Under the lock first, so the document is compared with the state
        // as it stands while nobody else can change it.
        let guard = lock(&*backend, "state push", l).await?;
        let (text, source) = if file == Path::new("-") {
            let mut t = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut t)
                .map_err(|e| format!("error: reading standard input: {e}"))?;
            (t, "standard input".to_string())
        } else {
            let t = std::fs::read_to_string(file)
                .map_err(|e| format!("error: reading {}: {e}", file.display()))?;
            (t, file.display().to_string())
        };
        let new = State::from_json(&text, &source).map_err(error)?;
        let current = backend.load().await.map_err(error)?;
        if let Some(c) = &current {
            if c.lineage != new.lineage && !force {
                return Err(format!(
                    "error: {source} has lineage {}, but {} has lineage {}: it is the state of something else\n  hint: check that you push to the right stack; --force replaces it anyway",
                    new.lineage,
                    backend.describe(),
                    c.lineage
                ));
            }
            if new.serial < c.serial && !force {
                return Err(format!(
                    "error: {source} is at serial {}, older than {} at serial {}\n  hint: pull the current state and edit that; --force replaces it anyway",
                    new.serial,
                    backend.describe(),
                    c.serial
                ));
            }
        }
        let serial = backend
            .write(&new, current.as_ref().map(|c| c.serial))
            .await
            .map_err(error)?;
        guard.release().await.map_err(error)?;
        eprintln!(
            "Pushed {} resources to {} (serial {serial}).",
            new.resources.len(),
            backend.describe()
        );
        Ok(0)
    })
}

fn rm(addresses: &[String], loc: &StateLocation, l: &LockArgs) -> Result<i32, String> {
    let backend = backend_at(loc)?;
    block_on(async {
        let guard = lock(&*backend, "state rm", l).await?;
        let mut state = read(&*backend).await?;
        let read_at = state.serial;
        for a in addresses {
            if state.resources.remove(&Address::new(a)).is_none() {
                return Err(not_in_state(a, &state, &*backend));
            }
        }
        let serial = backend.write(&state, Some(read_at)).await.map_err(error)?;
        guard.release().await.map_err(error)?;
        for a in addresses {
            eprintln!("Removed {a} from state; the real object is left as it is.");
        }
        eprintln!("State {} is now at serial {serial}.", backend.describe());
        Ok(0)
    })
}

fn mv(from: &str, to: &str, loc: &StateLocation, l: &LockArgs) -> Result<i32, String> {
    let backend = backend_at(loc)?;
    block_on(async {
        let guard = lock(&*backend, "state mv", l).await?;
        let mut state = read(&*backend).await?;
        let read_at = state.serial;
        let (from_a, to_a) = (Address::new(from), Address::new(to));
        if state.resources.contains_key(&to_a) {
            return Err(format!(
                "error: {to} is already in state {}\n  hint: remove it first with `strata state rm {to}` if it is stale",
                backend.describe()
            ));
        }
        let Some(r) = state.resources.remove(&from_a) else {
            return Err(not_in_state(from, &state, &*backend));
        };
        state.resources.insert(to_a.clone(), r);
        for r in state.resources.values_mut() {
            for d in &mut r.dependencies {
                if *d == from_a {
                    *d = to_a.clone();
                }
            }
        }
        let serial = backend.write(&state, Some(read_at)).await.map_err(error)?;
        guard.release().await.map_err(error)?;
        eprintln!(
            "Moved {from} to {to} in {} (serial {serial}).",
            backend.describe()
        );
        Ok(0)
    })
}

fn migrate(
    to: &str,
    from: Option<&str>,
    force: bool,
    loc: &StateLocation,
    l: &LockArgs,
) -> Result<i32, String> {
    let workspace = workspace_of(loc)?;
    let source = match from {
        Some(spec) => backend_from_spec(spec, &workspace)?,
        None => backend_at(loc)?,
    };
    let target = backend_from_spec(to, &workspace)?;
    if source.describe() == target.describe() {
        return Err(format!(
            "error: --from and --to are the same state ({})\n  hint: name another file or database with --to",
            target.describe()
        ));
    }
    block_on(async {
        let source_lock = lock(&*source, "state migrate", l).await?;
        let target_lock = lock(&*target, "state migrate", l).await?;
        let state = read(&*source).await?;
        let existing = target.load().await.map_err(error)?;
        if let Some(e) = &existing {
            if !force {
                return Err(format!(
                    "error: {} already holds state (lineage {}, serial {})\n  hint: migrate to an empty location, or pass --force to replace it",
                    target.describe(),
                    e.lineage,
                    e.serial
                ));
            }
        }
        let serial = target
            .write(&state, existing.map(|e| e.serial))
            .await
            .map_err(error)?;
        target_lock.release().await.map_err(error)?;
        source_lock.release().await.map_err(error)?;
        eprintln!(
            "Copied {} resources and {} outputs from {} to {} (lineage {}, serial {serial}).\nThe source is left as it was; point [stack] state at the new backend.",
            state.resources.len(),
            state.outputs.len(),
            source.describe(),
            target.describe(),
            state.lineage
        );
        Ok(0)
    })
}

fn strsim_distance(a: &str, b: &str) -> usize {
    // Common-prefix distance is enough to point at a near address.
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a.len().max(b.len()) - common
}
