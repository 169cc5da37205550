//! State: what Strata last saw of every resource it manages, and the backends
//! that keep it.
//!
//! - the format ([`State`]) lives here;
//! - [`Backend`] is where state lives: a local file ([`local`]) or a
//!   PostgreSQL database ([`postgres`]), or memory for tests ([`memory`]);
//! - [`lock`] has the locks every writing command takes;
//! - [`journal`] has the records an apply run appends through a
//!   [`StateWriter`] (intent before each change, result right after), in
//!   durable batches, compacted into a new snapshot at the end of the run.

pub mod journal;
pub mod local;
pub mod lock;
pub mod memory;
pub mod postgres;
pub mod test_support;

use crate::{Address, AttrPath, ResourceType};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

pub use journal::Record;
pub use local::LocalBackend;
pub use lock::{LockGuard, LockInfo};
pub use memory::{MemoryBackend, MemoryStore};
pub use postgres::PostgresBackend;

/// The state file format this build reads and writes.
pub const STATE_FORMAT_VERSION: u32 = 1;

/// The whole state of one stack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Format of this document.
    pub format_version: u32,
    /// Identity of this state's history; a plan made against another lineage is refused.
    pub lineage: Uuid,
    /// Incremented on every durable write (a whole state, or one journal batch).
    pub serial: u64,
    /// The Strata version that wrote it.
    pub strata_version: String,
    /// Every managed resource by address.
    pub resources: BTreeMap<Address, ResourceState>,
    /// Stack outputs by name.
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
}

/// What state remembers of one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// The resource type.
    #[serde(rename = "type")]
    pub rtype: ResourceType,
    /// Attributes as last applied or observed; sensitive values are placeholders.
    pub attributes: Value,
    /// Salted SHA-256 fingerprints of sensitive values, by attribute path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sensitive: BTreeMap<String, String>,
    /// Resources this one depended on when it was applied (for delete order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Address>,
    /// Whether the last change to it finished.
    #[serde(default)]
    pub status: ResourceStatus,
    /// Refuse to destroy it (remembered even after the stack drops the resource).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protect: bool,
}

/// Whether a resource's last change completed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum ResourceStatus {
    /// The last change finished; attributes are what was applied.
    #[default]
    Ready,
    /// A change was started and its result never recorded (crash or Ctrl-C):
    /// the next run reconciles it — adopts what exists, retries what does not.
    Pending {
        /// The action that was under way.
        action: String,
    },
    /// The last change failed part-way; the next plan replaces or retries it.
    Tainted {
        /// What went wrong.
        reason: String,
    },
}

/// A stack output as last recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    /// The value (a placeholder when sensitive).
    pub value: Value,
    /// Whether the value is sensitive.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

impl State {
    /// A new, empty state with a fresh lineage.
    pub fn new() -> Self {
        State {
            format_version: STATE_FORMAT_VERSION,
            lineage: Uuid::new_v4(),
            serial: 0,
            strata_version: env!("CARGO_PKG_VERSION").to_string(),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }

    /// Parses a state document, refusing one written by a newer format.
    /// `source` names where it came from, for messages.
    pub fn from_json(text: &str, source: &str) -> Result<State, StateError> {
        // Check the version first without building the whole document twice.
        #[derive(Deserialize)]
        struct Probe {
            #[serde(default)]
            format_version: u32,
        }
        let corrupt = |e: serde_json::Error| StateError::Corrupt {
            location: source.to_string(),
            message: e.to_string(),
        };
        let probe: Probe = serde_json::from_str(text).map_err(corrupt)?;
        if probe.format_version > STATE_FORMAT_VERSION {
            return Err(StateError::TooNew {
                location: source.to_string(),
                found: probe.format_version,
            });
        }
        serde_json::from_str(text).map_err(corrupt)
    }

    /// The document as stored: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut body = serde_json::to_string_pretty(self).expect("state serializes");
        body.push('\n');
        body
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

/// A salted SHA-256 fingerprint of a sensitive value. The salt is the state's
/// lineage, so equal secrets in different stacks do not share fingerprints.
pub fn fingerprint(salt: &Uuid, path: &AttrPath, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(path.to_string().as_bytes());
    h.update([0]);
    h.update(value.as_bytes());
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Errors reading, writing or locking state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file could not be read or written.
    #[error("{action} state file {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The stored document is not valid state.
    #[error("state {location} is not valid: {message}\n  hint: a local backend keeps the previous version as <file>.backup; `strata state push` can restore it")]
    Corrupt {
        /// Where it is stored.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The state was written by a newer Strata.
    #[error("state {location} has format_version {found}, this Strata reads {STATE_FORMAT_VERSION}\n  hint: upgrade Strata")]
    TooNew {
        /// Where it is stored.
        location: String,
        /// The version found.
        found: u32,
    },
    /// Someone else holds the lock.
    #[error("{}", locked_message(.location, .holder, *.stale, .unlock_command))]
    Locked {
        /// Where the state is.
        location: String,
        /// Who holds the lock, as they recorded it.
        holder: Box<LockInfo>,
        /// True when the holder is a local process that no longer runs.
        stale: bool,
        /// The command that clears the lock.
        unlock_command: String,
    },
    /// `force-unlock` named a lock that is not held.
    #[error("state {location} has no lock with ID {id}{}\n  hint: the lock ID is printed by the command that found the state locked", match .current { Some(c) => format!(" (it is locked by {})", c), None => " (it is not locked)".to_string() })]
    NoSuchLock {
        /// Where the state is.
        location: String,
        /// The ID asked for.
        id: String,
        /// The lock that is held instead, if any.
        current: Option<String>,
    },
    /// A write based on a state that changed in the meantime.
    #[error("state {location} changed since it was read: {}, but this write expected {}\n  hint: someone else wrote it in the meantime; read it again (`strata state pull`) and redo the change", match .found { Some(s) => format!("it is at serial {s}"), None => "it holds no state".to_string() }, match .expected { Some(s) => format!("serial {s}"), None => "no state at all".to_string() })]
    Conflict {
        /// Where the state is.
        location: String,
        /// The serial the writer read.
        expected: Option<u64>,
        /// The serial stored now (`None`: no state is stored).
        found: Option<u64>,
    },
    /// The database failed.
    #[error("state database {location}: {message}{}", if .hint.is_empty() { String::new() } else { format!("\n  hint: {}", .hint) })]
    Database {
        /// The database, password hidden.
        location: String,
        /// What failed.
        message: String,
        /// What to do about it.
        hint: String,
        /// True when the connection was lost (server restart, network): a
        /// retry on a new connection may succeed.
        connection_lost: bool,
    },
    /// The backend's settings are wrong.
    #[error("{0}")]
    Config(String),
}

fn locked_message(location: &str, h: &LockInfo, stale: bool, unlock: &str) -> String {
    let who = format!(
        "{}@{} (pid {}) running `{}` since {}",
        h.who, h.host, h.pid, h.operation, h.created
    );
    if stale {
        format!(
            "state {location} is locked by a process that no longer runs: {who}, lock ID {}\n  hint: pid {} is gone, so it can no longer finish; make sure nothing else is changing this stack, then run `{unlock}`",
            h.id, h.pid
        )
    } else {
        format!(
            "state {location} is locked by {who}, lock ID {}\n  hint: wait for it to finish or pass --lock-timeout 5m to wait; if it is certain that nothing runs, `{unlock}`",
            h.id
        )
    }
}

/// Where a stack's state lives. Every backend keeps lineage and serial, takes
/// locks, and makes every write conditional on the serial it was read at.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Where state lives, for plan headers and messages: `state/production.json`
    /// or `postgres://strata@127.0.0.1:5432/strata (workspace production)`.
    /// Never a password.
    fn describe(&self) -> String;

    /// The current state (snapshot plus any journal left by an interrupted run,
    /// replayed), `None` when there is none yet. Its serial counts every
    /// durable batch.
    async fn load(&self) -> Result<Option<State>, StateError>;

    /// Takes the lock for `info.operation`. Fails at once naming the holder,
    /// or waits up to `wait` for it to be released.
    async fn lock(&self, info: LockInfo, wait: Option<Duration>) -> Result<LockGuard, StateError>;

    /// Clears a lock by its ID (`strata force-unlock ID`).
    async fn force_unlock(&self, id: &str) -> Result<(), StateError>;

    /// Replaces the whole state, provided the stored state is still at
    /// `expected_serial` (`None`: nothing may be stored yet). The stored
    /// serial becomes `max(state.serial, expected_serial) + 1`, which is
    /// returned. For state push/rm/mv/migrate and `refresh --write`.
    async fn write(&self, state: &State, expected_serial: Option<u64>) -> Result<u64, StateError>;

    /// Opens a durable writer for a run (apply, destroy) that starts from
    /// `state`, which must be what [`load`](Self::load) returned (or a new
    /// state when it returned `None`).
    async fn writer(&self, state: &State) -> Result<Box<dyn StateWriter>, StateError>;
}

/// The durable record of one run: batches of [`Record`]s appended to a journal
/// (group commit), then compacted into a snapshot by [`finish`](Self::finish).
/// A crash between any two calls leaves state that [`Backend::load`] reads
/// back with every acknowledged batch.
#[async_trait]
pub trait StateWriter: Send {
    /// Makes one batch durable and returns the state serial it reached (one
    /// more than before). Callers set their in-memory `State::serial` to it.
    async fn append(&mut self, records: Vec<Record>) -> Result<u64, StateError>;

    /// Writes `state` (which must equal the journal replayed, at the serial
    /// the last append returned) as the new snapshot and removes the journal.
    async fn finish(&mut self, state: &State) -> Result<(), StateError>;
}

/// Next serial after a whole-state write.
pub(crate) fn next_serial(state: &State, expected: Option<u64>) -> u64 {
    state.serial.max(expected.unwrap_or(0)) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_salted() {
        let p = AttrPath::parse("data.x").unwrap();
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        assert_eq!(fingerprint(&a, &p, "s"), fingerprint(&a, &p, "s"));
        assert_ne!(fingerprint(&a, &p, "s"), fingerprint(&b, &p, "s"));
        assert!(!fingerprint(&a, &p, "secret").contains("secret"));
    }

    #[test]
    fn newer_formats_are_refused() {
        let e = State::from_json(r#"{"format_version": 9}"#, "x.json").unwrap_err();
        assert!(e.to_string().contains("format_version 9"), "{e}");
        let e = State::from_json("{ not json", "x.json").unwrap_err();
        assert!(e.to_string().contains("x.json is not valid"), "{e}");
    }
}
