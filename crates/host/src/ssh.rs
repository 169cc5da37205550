//! The SSH transport: one authenticated russh connection to a node, over
//! which commands run (quoted, through `sudo -n` for non-root users) and
//! files move (checked by SHA-256).

use crate::error::{short, SshError};
use crate::hostkey::{fingerprint, HostKeyPolicy};
use crate::quote::command_line;
use russh::client::{self, Handle};
use russh::keys::agent::client::AgentClient;
use russh::keys::agent::AgentIdentity;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::ChannelMsg;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where and as whom to connect.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SshTarget {
    /// Host name or IP of the SSH endpoint (may differ from the node's
    /// cluster address: NAT, a published port).
    pub host: String,
    /// SSH port.
    pub port: u16,
    /// Login user; anyone but root runs commands through `sudo -n`.
    pub user: String,
    /// Private key file; without one the ssh-agent (`SSH_AUTH_SOCK`) is used.
    pub key: Option<PathBuf>,
    /// Name of the environment variable holding the key's passphrase.
    pub key_passphrase_env: Option<String>,
    /// How the host key is verified.
    pub host_key: HostKeyPolicy,
    /// A jump host to tunnel through (`ssh -J`).
    pub jump: Option<Box<SshTarget>>,
}

impl SshTarget {
    /// `user@host:port`, with ` via user@jump:port` when tunnelled.
    pub fn endpoint(&self) -> String {
        let mut s = format!("{}@{}:{}", self.user, self.host, self.port);
        if let Some(j) = &self.jump {
            s.push_str(&format!(" via {}", j.endpoint()));
        }
        s
    }
}

/// Timeouts, keepalive and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshOptions {
    /// Bound on TCP connect + handshake + authentication.
    pub connect_timeout: Duration,
    /// Bound on one remote command.
    pub command_timeout: Duration,
    /// Keepalive interval when the server is silent.
    pub keepalive_interval: Duration,
    /// Unanswered keepalives before the connection counts as lost.
    pub keepalive_max: usize,
    /// Connection attempts for retryable failures (refused, reset, timeout).
    pub connect_attempts: u32,
    /// First backoff between attempts; doubles each time.
    pub backoff: Duration,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            connect_timeout: Duration::from_secs(15),
            command_timeout: Duration::from_secs(600),
            keepalive_interval: Duration::from_secs(10),
            keepalive_max: 3,
            connect_attempts: 4,
            backoff: Duration::from_millis(500),
        }
    }
}

/// What a remote command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Exit status (255 when the command died of a signal).
    pub status: u32,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
}

impl Output {
    /// True when the exit status is 0.
    pub fn success(&self) -> bool {
        self.status == 0
    }

    /// Standard output as text (lossy).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The last lines of standard error, trimmed, for messages.
    pub fn stderr_tail(&self) -> String {
        let s = String::from_utf8_lossy(&self.stderr);
        let lines: Vec<&str> = s.trim().lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    }
}

/// The russh handler: checks the host key and remembers what was seen.
struct Verifier {
    host: String,
    port: u16,
    policy: HostKeyPolicy,
    seen: Arc<Mutex<Seen>>,
}

#[derive(Default)]
struct Seen {
    key: Option<PublicKey>,
    refusal: Option<SshError>,
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(c) => PublicKey::from(c.public_key().clone()),
        };
        let verdict = self.policy.check(&self.host, self.port, &key);
        let mut seen = self.seen.lock().expect("not poisoned");
        seen.key = Some(key);
        match verdict {
            Ok(()) => Ok(true),
            Err(e) => {
                seen.refusal = Some(e);
                Ok(false)
            }
        }
    }
}

/// One authenticated SSH connection to a node. Cheap to share (`Arc`):
/// every command opens its own channel on the one connection.
pub struct Session {
    handle: Handle<Verifier>,
    endpoint: String,
    user: String,
    host_key: String,
    options: SshOptions,
    // Keeps the jump host's connection open as long as this one lives.
    _jump: Option<Arc<Session>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("endpoint", &self.endpoint)
            .field("host_key", &self.host_key)
            .finish()
    }
}

impl Session {
    /// Connects and authenticates, retrying network failures with
    /// exponential backoff. Host key and authentication failures are final.
    pub async fn connect(target: &SshTarget, options: &SshOptions) -> Result<Session, SshError> {
        let mut delay = options.backoff;
        let mut attempt = 1;
        loop {
            match Box::pin(Self::connect_once(target, options)).await {
                Ok(s) => return Ok(s),
                Err(e) if e.retryable() && attempt < options.connect_attempts.max(1) => {
                    tracing::debug!("{e}; retrying in {delay:?}");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn connect_once(target: &SshTarget, options: &SshOptions) -> Result<Session, SshError> {
        let endpoint = target.endpoint();
        let jump = match &target.jump {
            Some(j) => Some(Arc::new(Box::pin(Session::connect(j, options)).await?)),
            None => None,
        };
        let config = Arc::new(client::Config {
            keepalive_interval: Some(options.keepalive_interval),
            keepalive_max: options.keepalive_max,
            nodelay: true,
            ..Default::default()
        });
        let seen = Arc::new(Mutex::new(Seen::default()));
        let verifier = Verifier {
            host: target.host.clone(),
            port: target.port,
            policy: target.host_key.clone(),
            seen: seen.clone(),
        };
        let connect = async {
            match &jump {
                None => {
                    client::connect(config, (target.host.as_str(), target.port), verifier).await
                }
                Some(j) => {
                    let channel = j
                        .handle
                        .channel_open_direct_tcpip(
                            target.host.clone(),
                            target.port as u32,
                            "127.0.0.1",
                            0,
                        )
                        .await?;
                    client::connect_stream(config, channel.into_stream(), verifier).await
                }
            }
        };
        let handle = tokio::time::timeout(options.connect_timeout, connect)
            .await
            .map_err(|_| SshError::ConnectTimeout {
                endpoint: endpoint.clone(),
                after: options.connect_timeout,
            })?;
        let mut handle = match handle {
            Ok(h) => h,
            Err(e) => {
                let mut seen = seen.lock().expect("not poisoned");
                if let Some(refusal) = seen.refusal.take() {
                    return Err(refusal);
                }
                return Err(SshError::Connect {
                    endpoint,
                    reason: e.to_string(),
                });
            }
        };
        let host_key = seen
            .lock()
            .expect("not poisoned")
            .key
            .as_ref()
            .map(fingerprint)
            .unwrap_or_default();
        tokio::time::timeout(
            options.connect_timeout,
            authenticate(&mut handle, target, &endpoint),
        )
        .await
        .map_err(|_| SshError::ConnectTimeout {
            endpoint: endpoint.clone(),
            after: options.connect_timeout,
        })??;
        Ok(Session {
            handle,
            endpoint,
            user: target.user.clone(),
            host_key,
            options: options.clone(),
            _jump: jump,
        })
    }

    /// Fingerprint (`SHA256:...`) of the host key the node presented.
    pub fn host_key_fingerprint(&self) -> &str {
        &self.host_key
    }

    /// `user@host:port` of this connection.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether the connection is gone (node down, keepalive timeout).
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Whether commands go through `sudo -n`.
    pub fn uses_sudo(&self) -> bool {
        self.user != "root"
    }

    /// Runs a program with arguments, each shell-quoted, as root (through
    /// `sudo -n` for other users). A non-zero exit is not an error here.
    pub async fn run(&self, args: &[&str]) -> Result<Output, SshError> {
        self.run_with_input(args, &[]).await
    }

    /// Like [`Session::run`], with bytes on the command's standard input.
    pub async fn run_with_input(&self, args: &[&str], stdin: &[u8]) -> Result<Output, SshError> {
        let mut line = command_line(args);
        if self.uses_sudo() {
            line = format!("sudo -n -- {line}");
        }
        let out = self.exec(&line, stdin).await?;
        if self.uses_sudo() && out.status == 1 {
            let err = String::from_utf8_lossy(&out.stderr);
            if err.starts_with("sudo:") && err.contains("password") {
                return Err(SshError::Sudo {
                    user: self.user.clone(),
                    endpoint: self.endpoint.clone(),
                    detail: err.trim().to_string(),
                });
            }
        }
        Ok(out)
    }

    /// Runs a POSIX shell script (`sh -c SCRIPT sh ARGS...`) as root; the
    /// arguments are `$1`, `$2`, ... inside it.
    pub async fn script(&self, script: &str, args: &[&str]) -> Result<Output, SshError> {
        let mut all = vec!["sh", "-c", script, "sh"];
        all.extend_from_slice(args);
        self.run(&all).await
    }

    /// Like [`Session::script`], but a non-zero exit is an error carrying
    /// the command's stderr.
    pub async fn script_ok(&self, script: &str, args: &[&str]) -> Result<Output, SshError> {
        let out = self.script(script, args).await?;
        if !out.success() {
            return Err(self.failed(script, &out));
        }
        Ok(out)
    }

    /// The error for a command that exited non-zero.
    pub fn failed(&self, command: &str, out: &Output) -> SshError {
        SshError::Command {
            endpoint: self.endpoint.clone(),
            command: short(command),
            status: out.status,
            stderr: out.stderr_tail(),
        }
    }

    /// Writes `bytes` to `path` atomically (temporary file, then rename) with
    /// `mode`, creating parent directories; the node checks the SHA-256 of
    /// what arrived before the file takes its place.
    pub async fn upload(&self, bytes: &[u8], path: &str, mode: u32) -> Result<(), SshError> {
        let sha = hex::encode(Sha256::digest(bytes));
        let script = r#"set -e
mkdir -p -- "$(dirname -- "$1")"
t=$(mktemp -- "$1.strata-XXXXXX")
cat > "$t"
s=$(sha256sum -- "$t" | cut -d' ' -f1)
if [ "$s" != "$2" ]; then rm -f -- "$t"; echo "checksum:$s" >&2; exit 3; fi
chmod -- "$3" "$t"
mv -f -- "$t" "$1""#;
        let mode = format!("{mode:o}");
        let args = ["sh", "-c", script, "sh", path, &sha, &mode];
        let out = self.run_with_input(&args, bytes).await?;
        if out.status == 3 {
            let err = String::from_utf8_lossy(&out.stderr);
            if let Some(actual) = err.trim().strip_prefix("checksum:") {
                return Err(SshError::Checksum {
                    what: "upload",
                    path: path.to_string(),
                    endpoint: self.endpoint.clone(),
                    expected: sha,
                    actual: actual.to_string(),
                });
            }
        }
        if !out.success() {
            return Err(self.failed(&format!("upload to {path}"), &out));
        }
        Ok(())
    }

    /// Reads a remote file, checked against the SHA-256 the node computes.
    pub async fn download(&self, path: &str) -> Result<Vec<u8>, SshError> {
        let out = self
            .script(
                r#"set -e; s=$(sha256sum -- "$1" | cut -d' ' -f1); printf '%s\n' "$s"; cat -- "$1""#,
                &[path],
            )
            .await?;
        if !out.success() || out.stdout.len() < 65 {
            return Err(self.failed(&format!("download of {path}"), &out));
        }
        let expected = String::from_utf8_lossy(&out.stdout[..64]).into_owned();
        let body = out.stdout[65..].to_vec();
        let actual = hex::encode(Sha256::digest(&body));
        if actual != expected {
            return Err(SshError::Checksum {
                what: "download",
                path: path.to_string(),
                endpoint: self.endpoint.clone(),
                expected,
                actual,
            });
        }
        Ok(body)
    }

    /// Runs one command line as given, within the command timeout.
    async fn exec(&self, line: &str, stdin: &[u8]) -> Result<Output, SshError> {
        let timeout = self.options.command_timeout;
        match tokio::time::timeout(timeout, self.exec_unbounded(line, stdin)).await {
            Ok(r) => r,
            Err(_) => Err(SshError::CommandTimeout {
                endpoint: self.endpoint.clone(),
                command: short(line),
                after: timeout,
            }),
        }
    }

    async fn exec_unbounded(&self, line: &str, stdin: &[u8]) -> Result<Output, SshError> {
        let lost = |reason: String| SshError::Lost {
            endpoint: self.endpoint.clone(),
            command: short(line),
            reason,
        };
        let mut channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| lost(format!("cannot open a channel: {e}")))?;
        channel
            .exec(true, line.as_bytes())
            .await
            .map_err(|e| lost(e.to_string()))?;
        if !stdin.is_empty() {
            channel
                .data_bytes(stdin.to_vec())
                .await
                .map_err(|e| lost(e.to_string()))?;
        }
        channel.eof().await.map_err(|e| lost(e.to_string()))?;
        let mut out = Output {
            status: 255,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        let mut status = None;
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } => out.stdout.extend_from_slice(&data),
                ChannelMsg::ExtendedData { data, ext: 1 } => out.stderr.extend_from_slice(&data),
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                ChannelMsg::ExitSignal { signal_name, .. } => {
                    out.stderr
                        .extend_from_slice(format!("killed by signal {signal_name:?}").as_bytes());
                    status = Some(255);
                }
                _ => {}
            }
        }
        match status {
            Some(s) => {
                out.status = s;
                Ok(out)
            }
            None if self.handle.is_closed() => Err(lost(
                "the connection closed (node stopped, rebooted or unreachable)".into(),
            )),
            None => Err(lost("the channel closed without an exit status".into())),
        }
    }
}

/// Offers the configured key file, or else the agent's identities.
async fn authenticate(
    handle: &mut Handle<Verifier>,
    target: &SshTarget,
    endpoint: &str,
) -> Result<(), SshError> {
    let host = format!("{}:{}", target.host, target.port);
    let net = |e: russh::Error| SshError::Connect {
        endpoint: endpoint.to_string(),
        reason: format!("during authentication: {e}"),
    };
    if let Some(path) = &target.key {
        let key = load_key(path, target.key_passphrase_env.as_deref())?;
        let fp = fingerprint(key.public_key());
        let hash = handle
            .best_supported_rsa_hash()
            .await
            .map_err(net)?
            .flatten();
        let r = handle
            .authenticate_publickey(
                &target.user,
                PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .map_err(net)?;
        if r.success() {
            return Ok(());
        }
        return Err(SshError::Auth {
            user: target.user.clone(),
            endpoint: host,
            tried: format!("key {} ({fp})", path.display()),
            them: "this key".into(),
        });
    }
    let mut agent = AgentClient::connect_env().await.map_err(|e| SshError::Key {
        path: "ssh-agent".into(),
        reason: format!(
            "no key file is configured and no ssh-agent is reachable ({e}); set ssh.key or SSH_AUTH_SOCK"
        ),
    })?;
    let identities = agent
        .request_identities()
        .await
        .map_err(|e| SshError::Key {
            path: "ssh-agent".into(),
            reason: format!("cannot list the agent's keys: {e}"),
        })?;
    let mut tried = Vec::new();
    for id in identities {
        let AgentIdentity::PublicKey { key, comment } = id else {
            continue;
        };
        tried.push(format!("{} {}", fingerprint(&key), comment));
        let hash = handle
            .best_supported_rsa_hash()
            .await
            .map_err(net)?
            .flatten();
        let hash = if key.algorithm().is_rsa() { hash } else { None };
        match handle
            .authenticate_publickey_with(&target.user, key, hash, &mut agent)
            .await
        {
            Ok(r) if r.success() => return Ok(()),
            Ok(_) => {}
            Err(e) => tracing::debug!("agent could not sign: {e:?}"),
        }
    }
    if tried.is_empty() {
        return Err(SshError::Key {
            path: "ssh-agent".into(),
            reason: "the agent holds no keys; add one with ssh-add".into(),
        });
    }
    let them = if tried.len() == 1 {
        "this key"
    } else {
        "these keys"
    };
    Err(SshError::Auth {
        user: target.user.clone(),
        endpoint: host,
        tried: format!("ssh-agent keys {}", tried.join(", ")),
        them: them.into(),
    })
}

/// Loads a private key (ed25519, RSA, ECDSA; OpenSSH or PEM), decrypting it
/// with the passphrase from the named environment variable.
pub fn load_key(
    path: &std::path::Path,
    passphrase_env: Option<&str>,
) -> Result<russh::keys::PrivateKey, SshError> {
    let err = |reason: String| SshError::Key {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let passphrase = match passphrase_env {
        Some(var) => Some(std::env::var(var).map_err(|_| {
            err(format!(
                "its passphrase is to come from the environment variable {var}, which is not set"
            ))
        })?),
        None => None,
    };
    russh::keys::decode_secret_key(&text, passphrase.as_deref()).map_err(|e| {
        let msg = e.to_string();
        match (&e, passphrase_env) {
            (russh::keys::Error::KeyIsEncrypted, None) => err(
                "the key is encrypted; name the environment variable holding its passphrase with key_passphrase_env".into(),
            ),
            (_, Some(var)) if passphrase.is_some() && msg.to_lowercase().contains("decrypt") => {
                err(format!("the passphrase in {var} does not decrypt it"))
            }
            _ => err(msg),
        }
    })
}
