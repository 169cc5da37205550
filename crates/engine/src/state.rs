//! State: what Strata last saw of every resource it manages, and the local
//! file backend that stores it atomically.

use crate::{Address, AttrPath, ResourceType};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The state file format this build reads and writes.
pub const STATE_FORMAT_VERSION: u32 = 1;

/// The whole state of one stack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Format of this document.
    pub format_version: u32,
    /// Identity of this state's history; a plan made against another lineage is refused.
    pub lineage: Uuid,
    /// Incremented on every write.
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

/// Errors reading or writing state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file could not be read or written.
    #[error("{action} state file {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid state.
    #[error("state file {path} is not valid: {message}\n  hint: the previous version is kept as {path}.backup")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file was written by a newer Strata.
    #[error("state file {path} has format_version {found}, this Strata reads {STATE_FORMAT_VERSION}\n  hint: upgrade Strata")]
    TooNew {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
}

/// The local file backend: one JSON file, written atomically with a backup.
#[derive(Clone, Debug)]
pub struct LocalBackend {
    path: PathBuf,
}

impl LocalBackend {
    /// A backend storing state at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LocalBackend { path: path.into() }
    }

    /// Where the state file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The backup written before each replacement of the state file.
    pub fn backup_path(&self) -> PathBuf {
        sibling(&self.path, ".backup")
    }

    /// Reads the state; `None` when no state file exists yet.
    pub fn load(&self) -> Result<Option<State>, StateError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Io {
                    action: "reading",
                    path: self.path.clone(),
                    source,
                })
            }
        };
        // Check the version first without building the whole document twice.
        #[derive(Deserialize)]
        struct Probe {
            #[serde(default)]
            format_version: u32,
        }
        let probe: Probe = serde_json::from_str(&text).map_err(|e| self.corrupt(e))?;
        if probe.format_version > STATE_FORMAT_VERSION {
            return Err(StateError::TooNew {
                path: self.path.clone(),
                found: probe.format_version,
            });
        }
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| self.corrupt(e))
    }

    fn corrupt(&self, e: serde_json::Error) -> StateError {
        StateError::Corrupt {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Writes `state` atomically: the new content goes to a temporary file in the
    /// same directory and is fsynced, the old file is copied to the backup, then
    /// the temporary file is renamed over the old one and the directory fsynced.
    /// A crash at any point leaves either the old or the new state in place.
    pub fn save(&self, state: &State) -> Result<(), StateError> {
        let staged = self.stage(state)?;
        self.commit(staged)
    }

    /// First half of [`save`](Self::save): writes and fsyncs the temporary file.
    pub fn stage(&self, state: &State) -> Result<StagedState, StateError> {
        let io = |action, source| StateError::Io {
            action,
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| io("creating the directory of", e))?;
        }
        let tmp = sibling(&self.path, &format!(".tmp-{}", std::process::id()));
        let mut body = serde_json::to_vec_pretty(state).expect("state serializes");
        body.push(b'\n');
        let mut f = fs::File::create(&tmp).map_err(|e| io("creating a temporary", e))?;
        f.write_all(&body).map_err(|e| io("writing", e))?;
        f.sync_all().map_err(|e| io("syncing", e))?;
        Ok(StagedState { tmp })
    }

    /// Second half of [`save`](Self::save): backup, rename, directory fsync.
    pub fn commit(&self, staged: StagedState) -> Result<(), StateError> {
        let io = |action, source| StateError::Io {
            action,
            path: self.path.clone(),
            source,
        };
        if self.path.exists() {
            let backup = self.backup_path();
            let backup_tmp = sibling(&backup, ".tmp");
            fs::copy(&self.path, &backup_tmp).map_err(|e| io("backing up", e))?;
            fs::File::open(&backup_tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| io("syncing the backup of", e))?;
            fs::rename(&backup_tmp, &backup).map_err(|e| io("backing up", e))?;
        }
        fs::rename(&staged.tmp, &self.path).map_err(|e| io("replacing", e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// A fully written temporary state file not yet renamed into place.
#[derive(Debug)]
pub struct StagedState {
    tmp: PathBuf,
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> State {
        let mut s = State::new();
        s.serial = 3;
        s.resources.insert(
            Address::new("node.a"),
            ResourceState {
                rtype: ResourceType::Node,
                attributes: json!({"address": "10.0.0.1"}),
                sensitive: BTreeMap::from([("token".into(), "sha256:00".into())]),
                dependencies: vec![],
                status: ResourceStatus::Pending {
                    action: "create".into(),
                },
                protect: true,
            },
        );
        s.outputs.insert(
            "endpoint".into(),
            OutputState {
                value: json!("https://x"),
                sensitive: false,
            },
        );
        s
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("nested/s.json"));
        assert_eq!(b.load().unwrap(), None);
        let s = sample();
        b.save(&s).unwrap();
        assert_eq!(b.load().unwrap(), Some(s.clone()));
        let mut s2 = s.clone();
        s2.serial += 1;
        b.save(&s2).unwrap();
        assert_eq!(b.load().unwrap(), Some(s2));
        let backup: State =
            serde_json::from_str(&fs::read_to_string(b.backup_path()).unwrap()).unwrap();
        assert_eq!(backup, s);
    }

    #[test]
    fn crash_between_temp_write_and_rename_keeps_old_state() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("s.json"));
        let old = sample();
        b.save(&old).unwrap();
        let mut new = old.clone();
        new.serial = 99;
        let staged = b.stage(&new).unwrap();
        // The process dies here: the staged file is never renamed.
        drop(staged);
        assert_eq!(b.load().unwrap(), Some(old.clone()));
        // The next run writes over the leftover temporary file without trouble.
        b.save(&new).unwrap();
        assert_eq!(b.load().unwrap(), Some(new));
    }

    #[test]
    fn corrupt_and_future_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("s.json"));
        fs::write(b.path(), "{ not json").unwrap();
        let e = b.load().unwrap_err().to_string();
        assert!(e.contains("is not valid"), "{e}");
        fs::write(b.path(), r#"{"format_version": 9}"#).unwrap();
        let e = b.load().unwrap_err().to_string();
        assert!(e.contains("format_version 9"), "{e}");
    }

    #[test]
    fn fingerprints_are_salted() {
        let p = AttrPath::parse("data.x").unwrap();
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        assert_eq!(fingerprint(&a, &p, "s"), fingerprint(&a, &p, "s"));
        assert_ne!(fingerprint(&a, &p, "s"), fingerprint(&b, &p, "s"));
        assert!(!fingerprint(&a, &p, "secret").contains("secret"));
    }
}
