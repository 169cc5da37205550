//! What can go wrong between Strata and a node, in words an operator can act on.

use std::time::Duration;

/// An SSH transport failure.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SshError {
    /// No TCP connection or SSH handshake could be made.
    #[error("cannot connect to {endpoint}: {reason}")]
    Connect {
        /// `user@host:port` (and the jump host, if any).
        endpoint: String,
        /// Why, as the operating system or the server said it.
        reason: String,
    },
    /// Connecting took longer than the connect timeout.
    #[error("connecting to {endpoint} timed out after {}s; check that the node is up and that {endpoint} is its SSH address", .after.as_secs_f32())]
    ConnectTimeout {
        /// `user@host:port`.
        endpoint: String,
        /// The timeout.
        after: Duration,
    },
    /// The node presented a host key other than the expected one.
    #[error("host key of {endpoint} has changed: expected {expected} ({source_of_expectation}), the node presents {observed}; if the node was rebuilt on purpose, update {fix}, otherwise someone may be intercepting the connection")]
    HostKeyChanged {
        /// `host:port`.
        endpoint: String,
        /// Fingerprint of the expected key.
        expected: String,
        /// Fingerprint of the key the node presented.
        observed: String,
        /// Where the expectation comes from (pinned, known_hosts line, state).
        source_of_expectation: String,
        /// What to update when the change is legitimate.
        fix: String,
    },
    /// With a known_hosts file configured, the node is not listed in it.
    #[error("host key of {endpoint} ({observed}) is not in {known_hosts}; add it (ssh-keyscan -p PORT HOST >> {known_hosts}) after checking its fingerprint")]
    HostKeyUnknown {
        /// `host:port`.
        endpoint: String,
        /// Fingerprint of the key the node presented.
        observed: String,
        /// The known_hosts file.
        known_hosts: String,
    },
    /// A private key could not be loaded.
    #[error("cannot use SSH key {path}: {reason}")]
    Key {
        /// The key file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The node refused every credential offered.
    #[error("authentication as {user} to {endpoint} failed: {tried}; the node does not accept {them} — add the public key to ~{user}/.ssh/authorized_keys on the node or configure the right key")]
    Auth {
        /// Login user.
        user: String,
        /// `host:port`.
        endpoint: String,
        /// What was offered (key files with fingerprints, agent identities).
        tried: String,
        /// "this key" or "these keys".
        them: String,
    },
    /// A command did not finish within the command timeout.
    #[error("`{command}` on {endpoint} did not finish within {}s; the node may be down or overloaded", .after.as_secs_f32())]
    CommandTimeout {
        /// `host:port`.
        endpoint: String,
        /// The command (as sent, shortened).
        command: String,
        /// The timeout.
        after: Duration,
    },
    /// The connection broke while a command ran.
    #[error("connection to {endpoint} was lost while running `{command}`: {reason}")]
    Lost {
        /// `host:port`.
        endpoint: String,
        /// The command.
        command: String,
        /// What was seen (closed channel, keepalive timeout).
        reason: String,
    },
    /// A non-root user cannot use `sudo -n`.
    #[error("user {user} on {endpoint} cannot run sudo without a password ({detail}); allow it password-less sudo (NOPASSWD) or connect as root")]
    Sudo {
        /// Login user.
        user: String,
        /// `host:port`.
        endpoint: String,
        /// What sudo said.
        detail: String,
    },
    /// A transfer arrived altered.
    #[error(
        "{what} of {path} on {endpoint} failed its SHA-256 check: sent {expected}, got {actual}"
    )]
    Checksum {
        /// "upload" or "download".
        what: &'static str,
        /// Remote path.
        path: String,
        /// `host:port`.
        endpoint: String,
        /// The SHA-256 expected.
        expected: String,
        /// The SHA-256 seen.
        actual: String,
    },
    /// A remote command failed.
    #[error("`{command}` on {endpoint} exited with {status}: {stderr}")]
    Command {
        /// `host:port`.
        endpoint: String,
        /// The command.
        command: String,
        /// Its exit status.
        status: u32,
        /// The end of what it wrote to stderr.
        stderr: String,
    },
}

impl SshError {
    /// Whether trying again later may succeed: network trouble, not a
    /// refused key or a changed host key.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            SshError::Connect { .. }
                | SshError::ConnectTimeout { .. }
                | SshError::CommandTimeout { .. }
                | SshError::Lost { .. }
        )
    }
}

impl From<SshError> for strata_engine::provider::ProviderError {
    fn from(e: SshError) -> Self {
        strata_engine::provider::ProviderError {
            retryable: e.retryable(),
            message: e.to_string(),
        }
    }
}

/// Shortens a command for messages: the first line, at most 120 characters.
pub(crate) fn short(command: &str) -> String {
    let first = command.lines().next().unwrap_or_default();
    let mut s: String = first.chars().take(120).collect();
    if s.len() < command.len() {
        s.push('…');
    }
    s
}
