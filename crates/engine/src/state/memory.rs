//! State in memory: a [`MemoryBackend`] behaving like the durable ones (locks,
//! serial checks, journal replay) and a [`MemoryStore`] writer, for tests.

use super::journal::{Batch, Record};
use super::lock::{HeldLock, LockGuard, LockInfo};
use super::{next_serial, Backend, State, StateError, StateWriter};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A writer that keeps what it was given in memory: the state replayed from
/// every batch, the batches, and the final snapshot.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    /// The starting state with every appended batch applied.
    pub state: State,
    /// Every batch appended, in order.
    pub batches: Vec<Batch>,
    /// The snapshot `finish` was given.
    pub finished: Option<State>,
}

impl MemoryStore {
    /// A writer for a run starting from `state`.
    pub fn new(state: &State) -> Self {
        MemoryStore {
            state: state.clone(),
            batches: Vec::new(),
            finished: None,
        }
    }
}

#[async_trait]
impl StateWriter for MemoryStore {
    async fn append(&mut self, records: Vec<Record>) -> Result<u64, StateError> {
        for r in &records {
            r.apply_to(&mut self.state);
        }
        self.state.serial += 1;
        self.batches.push(Batch {
            lineage: self.state.lineage,
            serial: self.state.serial,
            records,
        });
        Ok(self.state.serial)
    }

    async fn finish(&mut self, state: &State) -> Result<(), StateError> {
        if state.serial != self.state.serial {
            return Err(StateError::Conflict {
                location: "memory".into(),
                expected: Some(self.state.serial),
                found: Some(state.serial),
            });
        }
        self.finished = Some(state.clone());
        Ok(())
    }
}

#[derive(Default)]
struct Shared {
    state: Option<State>,
    lock: Option<LockInfo>,
}

/// A backend in memory; clones share the same state and lock.
#[derive(Clone, Default)]
pub struct MemoryBackend {
    shared: Arc<Mutex<Shared>>,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().expect("memory backend lock")
    }
}

struct MemoryLock {
    shared: Arc<Mutex<Shared>>,
    id: String,
}

impl MemoryLock {
    fn remove(&self) {
        let mut s = self.shared.lock().expect("memory backend lock");
        if s.lock.as_ref().is_some_and(|l| l.id == self.id) {
            s.lock = None;
        }
    }
}

#[async_trait]
impl HeldLock for MemoryLock {
    async fn release(self: Box<Self>) -> Result<(), StateError> {
        self.remove();
        Ok(())
    }
    fn release_now(self: Box<Self>) {
        self.remove();
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    fn describe(&self) -> String {
        "memory".into()
    }

    async fn load(&self) -> Result<Option<State>, StateError> {
        Ok(self.shared().state.clone())
    }

    async fn lock(&self, info: LockInfo, wait: Option<Duration>) -> Result<LockGuard, StateError> {
        let deadline = wait.map(|w| Instant::now() + w);
        loop {
            {
                let mut s = self.shared();
                match &s.lock {
                    None => {
                        s.lock = Some(info.clone());
                        let held = MemoryLock {
                            shared: self.shared.clone(),
                            id: info.id.clone(),
                        };
                        return Ok(LockGuard::new(info, Box::new(held)));
                    }
                    Some(holder) if deadline.is_none_or(|d| Instant::now() >= d) => {
                        return Err(StateError::Locked {
                            location: self.describe(),
                            unlock_command: format!("strata force-unlock {}", holder.id),
                            holder: Box::new(holder.clone()),
                            stale: false,
                        })
                    }
                    Some(_) => {}
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let mut s = self.shared();
        match &s.lock {
            Some(l) if l.id == id => {
                s.lock = None;
                Ok(())
            }
            other => Err(StateError::NoSuchLock {
                location: "memory".into(),
                id: id.into(),
                current: other.as_ref().map(|l| l.holder()),
            }),
        }
    }

    async fn write(&self, state: &State, expected: Option<u64>) -> Result<u64, StateError> {
        let mut s = self.shared();
        let found = s.state.as_ref().map(|s| s.serial);
        if found != expected {
            return Err(StateError::Conflict {
                location: "memory".into(),
                expected,
                found,
            });
        }
        let mut next = state.clone();
        next.serial = next_serial(state, expected);
        s.state = Some(next);
        Ok(next_serial(state, expected))
    }

    async fn writer(&self, state: &State) -> Result<Box<dyn StateWriter>, StateError> {
        let mut s = self.shared();
        if let Some(c) = &s.state {
            if c.lineage != state.lineage || c.serial != state.serial {
                return Err(StateError::Conflict {
                    location: "memory".into(),
                    expected: Some(state.serial),
                    found: Some(c.serial),
                });
            }
        }
        s.state = Some(state.clone());
        Ok(Box::new(SharedWriter {
            backend: self.clone(),
        }))
    }
}

/// Applies each batch to the shared state at once (memory is "durable").
struct SharedWriter {
    backend: MemoryBackend,
}

#[async_trait]
impl StateWriter for SharedWriter {
    async fn append(&mut self, records: Vec<Record>) -> Result<u64, StateError> {
        let mut s = self.backend.shared();
        let st = s.state.as_mut().expect("writer() stored a state");
        for r in &records {
            r.apply_to(st);
        }
        st.serial += 1;
        Ok(st.serial)
    }

    async fn finish(&mut self, state: &State) -> Result<(), StateError> {
        let mut s = self.backend.shared();
        let current = s.state.as_ref().map(|c| c.serial);
        if current != Some(state.serial) {
            return Err(StateError::Conflict {
                location: "memory".into(),
                expected: current,
                found: Some(state.serial),
            });
        }
        s.state = Some(state.clone());
        Ok(())
    }
}
