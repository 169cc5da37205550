//! The local backend: a JSON snapshot written atomically with a backup, a
//! journal beside it while a run is under way, and a lock file.
//!
//! For `state/production.json`:
//! - `state/production.json` — the snapshot (temp file + fsync + rename);
//! - `state/production.json.backup` — the snapshot before the last one;
//! - `state/production.json.journal` — batches of the run under way (or of
//!   one that crashed: replayed by [`LocalBackend::read_state`]);
//! - `state/production.json.lock` — the lock, with its holder's [`LockInfo`].

use super::journal::{self, Record};
use super::lock::{hostname, process_alive, HeldLock, LockGuard, LockInfo};
use super::{next_serial, Backend, State, StateError, StateWriter};
use async_trait::async_trait;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The local file backend.
#[derive(Clone, Debug)]
pub struct LocalBackend {
    path: PathBuf,
    location_args: String,
}

impl LocalBackend {
    /// A backend storing state at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LocalBackend {
            path: path.into(),
            location_args: String::new(),
        }
    }

    /// Arguments that point a `strata` command at this state (e.g.
    /// ` --stack stacks/production`), appended to the force-unlock command
    /// that lock errors print.
    pub fn with_location_args(mut self, args: impl Into<String>) -> Self {
        self.location_args = args.into();
        self
    }

    /// Where the snapshot lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The previous snapshot, kept on every replacement.
    pub fn backup_path(&self) -> PathBuf {
        sibling(&self.path, ".backup")
    }

    /// The journal of a run under way (or interrupted).
    pub fn journal_path(&self) -> PathBuf {
        sibling(&self.path, ".journal")
    }

    /// The lock file.
    pub fn lock_path(&self) -> PathBuf {
        sibling(&self.path, ".lock")
    }

    fn io(&self, action: &'static str) -> impl Fn(std::io::Error) -> StateError + '_ {
        move |source| StateError::Io {
            action,
            path: self.path.clone(),
            source,
        }
    }

    /// Reads the state: the snapshot with any journal replayed; `None` when
    /// no state file exists yet.
    pub fn read_state(&self) -> Result<Option<State>, StateError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io("reading")(e)),
        };
        let location = self.path.display().to_string();
        let mut state = State::from_json(&text, &location)?;
        match fs::read(self.journal_path()) {
            Ok(bytes) => {
                let jl = self.journal_path().display().to_string();
                let batches = journal::decode(&bytes, &jl)?;
                journal::replay(&mut state, &batches, &jl)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(self.io("reading the journal of")(e)),
        }
        Ok(Some(state))
    }

    /// Writes `state` as the snapshot, unconditionally and atomically (see
    /// [`stage`](Self::stage) and [`commit`](Self::commit)), then drops any
    /// journal it supersedes.
    pub fn save(&self, state: &State) -> Result<(), StateError> {
        let staged = self.stage(state)?;
        self.commit(staged)?;
        self.remove_journal()
    }

    /// First half of [`save`](Self::save): writes and fsyncs a temporary file
    /// beside the snapshot.
    pub fn stage(&self, state: &State) -> Result<StagedState, StateError> {
        if let Some(dir) = parent(&self.path) {
            fs::create_dir_all(dir).map_err(self.io("creating the directory of"))?;
        }
        let tmp = sibling(&self.path, &format!(".tmp-{}", std::process::id()));
        let mut f = fs::File::create(&tmp).map_err(self.io("creating a temporary"))?;
        f.write_all(state.to_json().as_bytes())
            .map_err(self.io("writing"))?;
        f.sync_all().map_err(self.io("syncing"))?;
        Ok(StagedState { tmp })
    }

    /// Second half of [`save`](Self::save): backup, rename, directory fsync.
    /// A crash at any point leaves either the old or the new snapshot.
    pub fn commit(&self, staged: StagedState) -> Result<(), StateError> {
        if self.path.exists() {
            let backup = self.backup_path();
            let backup_tmp = sibling(&backup, ".tmp");
            fs::copy(&self.path, &backup_tmp).map_err(self.io("backing up"))?;
            fs::File::open(&backup_tmp)
                .and_then(|f| f.sync_all())
                .map_err(self.io("syncing the backup of"))?;
            fs::rename(&backup_tmp, &backup).map_err(self.io("backing up"))?;
        }
        fs::rename(&staged.tmp, &self.path).map_err(self.io("replacing"))?;
        sync_dir(&self.path);
        Ok(())
    }

    fn remove_journal(&self) -> Result<(), StateError> {
        match fs::remove_file(self.journal_path()) {
            Ok(()) => {
                sync_dir(&self.path);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io("removing the journal of")(e)),
        }
    }

    fn check_expected(&self, expected: Option<u64>) -> Result<Option<State>, StateError> {
        let current = self.read_state()?;
        let found = current.as_ref().map(|s| s.serial);
        if found != expected {
            return Err(StateError::Conflict {
                location: self.describe(),
                expected,
                found,
            });
        }
        Ok(current)
    }

    fn read_lock(&self) -> Result<Option<LockInfo>, StateError> {
        match fs::read_to_string(self.lock_path()) {
            Ok(t) => serde_json::from_str(&t)
                .map(Some)
                .map_err(|e| StateError::Corrupt {
                    location: self.lock_path().display().to_string(),
                    message: format!("{e} (delete the file if nothing holds the lock)"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io("reading the lock of")(e)),
        }
    }

    /// One attempt to take the lock: `Ok(Err(holder))` when it is taken.
    fn try_lock(&self, info: &LockInfo) -> Result<Result<(), LockInfo>, StateError> {
        if let Some(dir) = parent(&self.path) {
            fs::create_dir_all(dir).map_err(self.io("creating the directory of"))?;
        }
        // Write the whole record under a private name, then link it into
        // place: the link fails if the lock exists, and nobody ever reads a
        // half-written lock.
        let tmp = sibling(&self.lock_path(), &format!(".{}.tmp", info.id));
        let body = serde_json::to_vec_pretty(info).expect("lock info serializes");
        let written =
            fs::File::create(&tmp).and_then(|mut f| f.write_all(&body).and_then(|_| f.sync_all()));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(self.io("writing the lock of")(e));
        }
        let linked = fs::hard_link(&tmp, self.lock_path());
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                sync_dir(&self.path);
                Ok(Ok(()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match self.read_lock()? {
                Some(holder) => Ok(Err(holder)),
                // Released between our link and our read: try again.
                None => self.try_lock(info),
            },
            Err(e) => Err(self.io("taking the lock of")(e)),
        }
    }

    fn locked_error(&self, holder: LockInfo) -> StateError {
        let stale = holder.host == hostname() && !process_alive(holder.pid);
        StateError::Locked {
            location: self.describe(),
            unlock_command: format!("strata force-unlock {}{}", holder.id, self.location_args),
            holder: Box::new(holder),
            stale,
        }
    }
}

/// A fully written temporary snapshot not yet renamed into place.
#[derive(Debug)]
pub struct StagedState {
    tmp: PathBuf,
}

struct LocalLock {
    path: PathBuf,
    id: String,
}

impl LocalLock {
    fn remove(&self) -> std::io::Result<()> {
        // Only remove the lock if it is still ours (not force-unlocked and
        // taken by someone else since).
        let ours = fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok())
            .is_some_and(|l| l.id == self.id);
        if ours {
            fs::remove_file(&self.path)?;
        }
        Ok(())
    }
}

#[async_trait]
impl HeldLock for LocalLock {
    async fn release(self: Box<Self>) -> Result<(), StateError> {
        self.remove().map_err(|source| StateError::Io {
            action: "releasing the lock of",
            path: self.path.clone(),
            source,
        })
    }
    fn release_now(self: Box<Self>) {
        let _ = self.remove();
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    async fn load(&self) -> Result<Option<State>, StateError> {
        self.read_state()
    }

    async fn lock(&self, info: LockInfo, wait: Option<Duration>) -> Result<LockGuard, StateError> {
        let deadline = wait.map(|w| Instant::now() + w);
        loop {
            match self.try_lock(&info)? {
                Ok(()) => {
                    let held = LocalLock {
                        path: self.lock_path(),
                        id: info.id.clone(),
                    };
                    return Ok(LockGuard::new(info, Box::new(held)));
                }
                Err(holder) => {
                    let err = self.locked_error(holder);
                    let stale = matches!(err, StateError::Locked { stale: true, .. });
                    match deadline {
                        Some(d) if !stale && Instant::now() < d => {
                            tokio::time::sleep(Duration::from_millis(100)).await
                        }
                        _ => return Err(err),
                    }
                }
            }
        }
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        match self.read_lock()? {
            Some(l) if l.id == id => {
                fs::remove_file(self.lock_path()).map_err(self.io("removing the lock of"))?;
                sync_dir(&self.path);
                Ok(())
            }
            other => Err(StateError::NoSuchLock {
                location: self.describe(),
                id: id.to_string(),
                current: other.map(|l| format!("{}, lock ID {}", l.holder(), l.id)),
            }),
        }
    }

    async fn write(&self, state: &State, expected: Option<u64>) -> Result<u64, StateError> {
        self.check_expected(expected)?;
        let mut next = state.clone();
        next.serial = next_serial(state, expected);
        self.save(&next)?;
        Ok(next.serial)
    }

    async fn writer(&self, state: &State) -> Result<Box<dyn StateWriter>, StateError> {
        let current = self.read_state()?;
        if let Some(c) = &current {
            if c.lineage != state.lineage || c.serial != state.serial {
                return Err(StateError::Conflict {
                    location: self.describe(),
                    expected: Some(state.serial),
                    found: Some(c.serial),
                });
            }
        }
        // Fold a journal left by an interrupted run (or create the first
        // snapshot), so the new journal starts from a snapshot on disk.
        if current.is_none() || self.journal_path().exists() {
            self.save(state)?;
        }
        let file = fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(self.journal_path())
            .map_err(self.io("creating the journal of"))?;
        sync_dir(&self.path);
        Ok(Box::new(LocalWriter {
            backend: self.clone(),
            file: Some(file),
            lineage: state.lineage,
            serial: state.serial,
        }))
    }
}

/// Appends batches to the journal, fsyncing each; compacts at the end.
struct LocalWriter {
    backend: LocalBackend,
    file: Option<fs::File>,
    lineage: uuid::Uuid,
    serial: u64,
}

#[async_trait]
impl StateWriter for LocalWriter {
    async fn append(&mut self, records: Vec<Record>) -> Result<u64, StateError> {
        let serial = self.serial + 1;
        let line = journal::encode_line(self.lineage, serial, &records);
        let mut file = self.file.take().ok_or_else(|| poisoned(&self.backend))?;
        let written = tokio::task::spawn_blocking(move || {
            file.write_all(&line)?;
            file.sync_data()?;
            Ok::<_, std::io::Error>(file)
        })
        .await
        .expect("journal write does not panic");
        match written {
            Ok(f) => {
                self.file = Some(f);
                self.serial = serial;
                Ok(serial)
            }
            Err(source) => Err(StateError::Io {
                action: "appending to the journal of",
                path: self.backend.path.clone(),
                source,
            }),
        }
    }

    async fn finish(&mut self, state: &State) -> Result<(), StateError> {
        if state.serial != self.serial || state.lineage != self.lineage {
            return Err(StateError::Conflict {
                location: self.backend.describe(),
                expected: Some(self.serial),
                found: Some(state.serial),
            });
        }
        self.file.take().ok_or_else(|| poisoned(&self.backend))?;
        let backend = self.backend.clone();
        let state = state.clone();
        tokio::task::spawn_blocking(move || backend.save(&state))
            .await
            .expect("snapshot write does not panic")
    }
}

fn poisoned(b: &LocalBackend) -> StateError {
    StateError::Config(format!(
        "the journal of {} failed earlier or was finished; this run can write no more (its last good batch is kept)",
        b.describe()
    ))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn parent(path: &Path) -> Option<&Path> {
    path.parent().filter(|d| !d.as_os_str().is_empty())
}

fn sync_dir(path: &Path) {
    let dir = parent(path).unwrap_or(Path::new("."));
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests;
