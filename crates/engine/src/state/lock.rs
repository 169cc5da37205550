//! Locks: who is changing a stack's state right now. Every command that
//! writes state takes one; a second writer fails at once naming the holder,
//! or waits with `--lock-timeout`.

use super::StateError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// What a lock records about its holder, shown to whoever finds it taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// The lock's ID, for `strata force-unlock ID`.
    pub id: String,
    /// The command holding it: "apply", "state push", ...
    pub operation: String,
    /// The user running it.
    pub who: String,
    /// The host it runs on.
    pub host: String,
    /// Its process ID on that host.
    pub pid: u32,
    /// When the lock was taken (UTC, RFC 3339).
    pub created: String,
    /// The Strata version holding it.
    pub version: String,
}

impl LockInfo {
    /// A lock for `operation` by this process, with a fresh ID.
    pub fn new(operation: impl Into<String>) -> Self {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.into(),
            who: std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| format!("uid {}", unsafe { libc::getuid() })),
            host: hostname(),
            pid: std::process::id(),
            created: rfc3339_utc(SystemTime::now()),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// One line naming the holder: `alice@ci-7 (pid 42) running `apply` since ...`.
    pub fn holder(&self) -> String {
        format!(
            "{}@{} (pid {}) running `{}` since {}",
            self.who, self.host, self.pid, self.operation, self.created
        )
    }
}

/// A held lock; released by [`release`](Self::release) or when dropped.
pub struct LockGuard {
    info: LockInfo,
    held: Option<Box<dyn HeldLock>>,
}

/// How a backend lets go of a lock it granted.
#[async_trait]
pub trait HeldLock: Send + Sync {
    /// Releases the lock, reporting failures.
    async fn release(self: Box<Self>) -> Result<(), StateError>;
    /// Releases the lock without waiting (from `Drop`); best effort.
    fn release_now(self: Box<Self>);
}

impl LockGuard {
    /// A guard for a lock a backend granted.
    pub fn new(info: LockInfo, held: Box<dyn HeldLock>) -> Self {
        LockGuard {
            info,
            held: Some(held),
        }
    }

    /// What the lock records.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Releases the lock.
    pub async fn release(mut self) -> Result<(), StateError> {
        match self.held.take() {
            Some(h) => h.release().await,
            None => Ok(()),
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(h) = self.held.take() {
            h.release_now();
        }
    }
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("info", &self.info)
            .finish()
    }
}

/// This machine's host name.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates
    // on success (truncation is handled by stopping at the first NUL).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown-host".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Whether a process with this ID runs on this machine.
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// `2025-01-31T12:34:56Z`.
pub fn rfc3339_utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096); // leap day 2024
        assert_eq!(rfc3339_utc(t), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        assert!(process_alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid));
    }
}
