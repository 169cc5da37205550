//! The PostgreSQL backend: one database serves many stacks, each in its own
//! workspace (the stack's name).
//!
//! - `strata_state` holds each workspace's snapshot, lineage and serial;
//! - `strata_journal` holds the batches of a run under way (folded into the
//!   snapshot when it finishes);
//! - `strata_lock` names the holder of a workspace's lock, which is a session
//!   advisory lock: the server releases it when the holder's connection dies.
//!
//! Every write (whole state, journal batch, compaction) is conditional on the
//! serial it was based on, so a lost update is impossible even without the
//! lock. The schema is created on first use and evolves by numbered
//! migrations recorded in `schema_migrations`.

use super::journal::{self, Batch};
use super::lock::{HeldLock, LockGuard, LockInfo};
use super::{next_serial, Backend, State, StateError, StateWriter};
use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, Config, NoTls};
use uuid::Uuid;

mod writer;
use writer::PgWriter;

/// Schema migrations, applied in order, each once; never edit one that has
/// shipped, add the next.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "CREATE TABLE strata_state (
        workspace       text PRIMARY KEY,
        lineage         text NOT NULL,
        serial          bigint NOT NULL,
        snapshot_serial bigint NOT NULL,
        snapshot        text NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE strata_journal (
        workspace text NOT NULL REFERENCES strata_state (workspace) ON DELETE CASCADE,
        serial    bigint NOT NULL,
        lineage   text NOT NULL,
        records   text NOT NULL,
        PRIMARY KEY (workspace, serial)
    );
    CREATE TABLE strata_lock (
        workspace   text PRIMARY KEY,
        id          text NOT NULL,
        info        text NOT NULL,
        backend_pid integer NOT NULL,
        created     timestamptz NOT NULL DEFAULT now()
    );",
)];

/// Serializes schema migrations across every Strata talking to the database.
const MIGRATION_LOCK_KEY: i64 = 0x5354_5241_5441_0001;

/// How long a run keeps retrying a write while the server is unreachable
/// (a restart or fail-over) before it gives up.
const RECONNECT_FOR: Duration = Duration::from_secs(30);

/// State in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresBackend {
    config: Config,
    display: String,
    workspace: String,
    location_args: String,
    migrated: Arc<tokio::sync::OnceCell<()>>,
    idle: Arc<std::sync::Mutex<Vec<Client>>>,
}

/// How many idle connections a backend keeps for reuse.
const IDLE_CONNECTIONS: usize = 4;

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl PostgresBackend {
    /// A backend for `workspace` in the database at `url`
    /// (`postgres://user:password@host:port/db?sslmode=prefer`). The URL's
    /// password is used to connect and never shown.
    pub fn new(url: &str, workspace: &str) -> Result<Self, StateError> {
        let mut config = Config::from_str(url).map_err(|e| {
            StateError::Config(format!(
                "error: the PostgreSQL state URL is not valid: {e}\n  hint: write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE (?sslmode=disable|prefer|require)"
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("strata");
        }
        let display = display_url(&config);
        Ok(PostgresBackend {
            config,
            display,
            workspace: workspace.to_string(),
            location_args: String::new(),
            migrated: Arc::new(tokio::sync::OnceCell::new()),
            idle: Arc::new(std::sync::Mutex::new(Vec::new())),
        })
    }

    /// Arguments that point a `strata` command at this state, appended to the
    /// force-unlock command that lock errors print.
    pub fn with_location_args(mut self, args: impl Into<String>) -> Self {
        self.location_args = args.into();
        self
    }

    /// The workspace (one per stack).
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    fn db_error(&self, e: &tokio_postgres::Error) -> StateError {
        let message = match e.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => {
                let mut m = e.to_string();
                let mut src = std::error::Error::source(e);
                while let Some(s) = src {
                    m.push_str(&format!(": {s}"));
                    src = s.source();
                }
                m
            }
        };
        let hint = if e.as_db_error().is_some() {
            "check that the user may create tables in this database (the schema is created on first use)"
        } else {
            "check that the server runs and that the URL's host, port, user and password are right"
        };
        StateError::Database {
            location: self.describe(),
            message,
            hint: hint.into(),
            connection_lost: lost(e),
        }
    }

    /// A connection: an idle one this backend used before, or a new one.
    /// The schema is brought up to date on first use. Hand it back with
    /// [`give_back`](Self::give_back) when done.
    pub async fn connect(&self) -> Result<Client, StateError> {
        loop {
            let idle = self.idle.lock().expect("idle connections").pop();
            match idle {
                Some(c) if !c.is_closed() => return Ok(c),
                Some(_) => continue,
                None => return self.connect_new().await,
            }
        }
    }

    /// Keeps a connection for reuse.
    pub fn give_back(&self, client: Client) {
        let mut idle = self.idle.lock().expect("idle connections");
        if !client.is_closed() && idle.len() < IDLE_CONNECTIONS {
            idle.push(client);
        }
    }

    /// A new connection, never a kept one.
    async fn connect_new(&self) -> Result<Client, StateError> {
        let client = self.open().await?;
        self.migrated
            .get_or_try_init(|| self.migrate(&client))
            .await?;
        Ok(client)
    }

    async fn open(&self) -> Result<Client, StateError> {
        let client = if self.config.get_ssl_mode() == SslMode::Disable {
            let (client, conn) = self
                .config
                .connect(NoTls)
                .await
                .map_err(|e| self.db_error(&e))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            client
        } else {
            let (client, conn) = self
                .config
                .connect(tls()?)
                .await
                .map_err(|e| self.db_error(&e))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            client
        };
        Ok(client)
    }

    async fn migrate(&self, client: &Client) -> Result<(), StateError> {
        let e = |err: tokio_postgres::Error| self.db_error(&err);
        client.batch_execute("BEGIN").await.map_err(e)?;
        let result = async {
            client
                .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
                .await?;
            client
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (
                        version    integer PRIMARY KEY,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )",
                )
                .await?;
            let row = client
                .query_one(
                    "SELECT coalesce(max(version), 0) FROM schema_migrations",
                    &[],
                )
                .await?;
            let current: i32 = row.get(0);
            for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
                client.batch_execute(sql).await?;
                client
                    .execute(
                        "INSERT INTO schema_migrations (version) VALUES ($1)",
                        &[version],
                    )
                    .await?;
            }
            client.batch_execute("COMMIT").await
        }
        .await;
        if let Err(err) = result {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(e(err));
        }
        Ok(())
    }

    fn conflict(&self, expected: Option<u64>, found: Option<u64>) -> StateError {
        StateError::Conflict {
            location: self.describe(),
            expected,
            found,
        }
    }

    async fn stored_serial(&self, client: &Client) -> Result<Option<(Uuid, u64)>, StateError> {
        let row = client
            .query_opt(
                "SELECT lineage, serial FROM strata_state WHERE workspace = $1",
                &[&self.workspace],
            )
            .await
            .map_err(|e| self.db_error(&e))?;
        Ok(row.map(|r| {
            let lineage: String = r.get(0);
            let serial: i64 = r.get(1);
            (Uuid::parse_str(&lineage).unwrap_or_default(), serial as u64)
        }))
    }

    async fn load_with(&self, client: &mut Client) -> Result<Option<State>, StateError> {
        let e = |err: tokio_postgres::Error| self.db_error(&err);
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(e)?;
        let Some(row) = tx
            .query_opt(
                "SELECT snapshot, serial FROM strata_state WHERE workspace = $1",
                &[&self.workspace],
            )
            .await
            .map_err(e)?
        else {
            return Ok(None);
        };
        let snapshot: String = row.get(0);
        let serial: i64 = row.get(1);
        let rows = tx
            .query(
                "SELECT serial, lineage, records FROM strata_journal WHERE workspace = $1 ORDER BY serial",
                &[&self.workspace],
            )
            .await
            .map_err(e)?;
        tx.commit().await.map_err(e)?;
        let location = self.describe();
        let mut state = State::from_json(&snapshot, &location)?;
        let mut batches = Vec::with_capacity(rows.len());
        for r in rows {
            let s: i64 = r.get(0);
            let lineage: String = r.get(1);
            let records: String = r.get(2);
            batches.push(Batch {
                lineage: Uuid::parse_str(&lineage).unwrap_or_default(),
                serial: s as u64,
                records: serde_json::from_str(&records).map_err(|err| StateError::Corrupt {
                    location: location.clone(),
                    message: format!("journal batch {s}: {err}"),
                })?,
            });
        }
        journal::replay(&mut state, &batches, &location)?;
        if state.serial != serial as u64 {
            return Err(StateError::Corrupt {
                location,
                message: format!(
                    "the workspace is at serial {serial} but its snapshot and journal reach {}",
                    state.serial
                ),
            });
        }
        Ok(Some(state))
    }

    /// Replaces the snapshot with `state` (at its serial, which must be the
    /// stored one) and drops the journal it folds in.
    async fn compact(&self, client: &mut Client, state: &State) -> Result<(), StateError> {
        let e = |err: tokio_postgres::Error| self.db_error(&err);
        let tx = client.transaction().await.map_err(e)?;
        let n = tx
            .execute(
                "UPDATE strata_state SET snapshot = $2, snapshot_serial = serial, updated_at = now()
                 WHERE workspace = $1 AND serial = $3 AND lineage = $4",
                &[
                    &self.workspace,
                    &state.to_json(),
                    &(state.serial as i64),
                    &state.lineage.to_string(),
                ],
            )
            .await
            .map_err(e)?;
        if n != 1 {
            drop(tx);
            let found = self.stored_serial(client).await?.map(|s| s.1);
            return Err(self.conflict(Some(state.serial), found));
        }
        tx.execute(
            "DELETE FROM strata_journal WHERE workspace = $1 AND serial <= $2",
            &[&self.workspace, &(state.serial as i64)],
        )
        .await
        .map_err(e)?;
        tx.commit().await.map_err(e)
    }

    fn lock_key(&self) -> i64 {
        let d = Sha256::digest(format!("strata-lock:{}", self.workspace).as_bytes());
        i64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
    }

    async fn holder(&self, client: &Client) -> Result<Option<(LockInfo, i32)>, StateError> {
        let row = client
            .query_opt(
                "SELECT info, backend_pid FROM strata_lock WHERE workspace = $1",
                &[&self.workspace],
            )
            .await
            .map_err(|e| self.db_error(&e))?;
        Ok(row.and_then(|r| {
            let info: String = r.get(0);
            let pid: i32 = r.get(1);
            serde_json::from_str(&info).ok().map(|i| (i, pid))
        }))
    }
}

fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, StateError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StateError::Config(format!("error: TLS set-up failed: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// `postgres://user@host:port/db`: the URL without its password.
fn display_url(c: &Config) -> String {
    let host = match c.get_hosts().first() {
        Some(Host::Tcp(h)) if h.contains(':') => format!("[{h}]"),
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    let user = c.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let db = c.get_dbname().or(c.get_user()).unwrap_or("postgres");
    format!("postgres://{user}{host}:{port}/{db}")
}

/// True for failures where the server went away (restart, network), after
/// which a retry on a new connection may succeed.
fn lost(e: &tokio_postgres::Error) -> bool {
    match e.as_db_error() {
        // admin_shutdown, crash_shutdown, cannot_connect_now; connection exceptions.
        Some(db) => db.code().code().starts_with("57P") || db.code().code().starts_with("08"),
        None => {
            e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        }
    }
}

fn connection_lost(e: &StateError) -> bool {
    matches!(
        e,
        StateError::Database {
            connection_lost: true,
            ..
        }
    )
}

struct PgLock {
    client: Client,
    workspace: String,
    id: String,
    key: i64,
}

#[async_trait]
impl HeldLock for PgLock {
    async fn release(self: Box<Self>) -> Result<(), StateError> {
        // Ending the session releases the advisory lock in any case; this
        // also clears the holder's row at once.
        let _ = self
            .client
            .execute(
                "DELETE FROM strata_lock WHERE workspace = $1 AND id = $2",
                &[&self.workspace, &self.id],
            )
            .await;
        let _ = self
            .client
            .execute("SELECT pg_advisory_unlock($1)", &[&self.key])
            .await;
        Ok(())
    }

    fn release_now(self: Box<Self>) {
        // Dropping the client closes the session, and the server lets go of
        // the advisory lock; the row naming the holder is overwritten by the
        // next holder.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = self.release().await;
            });
        }
    }
}

#[async_trait]
impl Backend for PostgresBackend {
    fn describe(&self) -> String {
        format!("{} (workspace {})", self.display, self.workspace)
    }

    async fn load(&self) -> Result<Option<State>, StateError> {
        let mut client = self.connect().await?;
        let state = self.load_with(&mut client).await?;
        self.give_back(client);
        Ok(state)
    }

    async fn lock(&self, info: LockInfo, wait: Option<Duration>) -> Result<LockGuard, StateError> {
        let client = self.connect().await?;
        let key = self.lock_key();
        let deadline = wait.map(|w| Instant::now() + w);
        let e = |err: tokio_postgres::Error| self.db_error(&err);
        let mut unnamed_tries = 0;
        loop {
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .await
                .map_err(e)?
                .get(0);
            if got {
                let body = serde_json::to_string(&info).expect("lock info serializes");
                client
                    .execute(
                        "INSERT INTO strata_lock (workspace, id, info, backend_pid)
                         VALUES ($1, $2, $3, pg_backend_pid())
                         ON CONFLICT (workspace) DO UPDATE SET id = $2, info = $3,
                             backend_pid = pg_backend_pid(), created = now()",
                        &[&self.workspace, &info.id, &body],
                    )
                    .await
                    .map_err(e)?;
                let held = PgLock {
                    client,
                    workspace: self.workspace.clone(),
                    id: info.id.clone(),
                    key,
                };
                return Ok(LockGuard::new(info, Box::new(held)));
            }
            let holder = self.holder(&client).await?;
            if deadline.is_none_or(|d| Instant::now() >= d) {
                // The holder writes its row right after taking the lock; give
                // it a moment before reporting an unnamed holder.
                match holder {
                    Some((holder, _)) if holder.id != info.id => {
                        return Err(StateError::Locked {
                            location: self.describe(),
                            unlock_command: format!(
                                "strata force-unlock {}{}",
                                holder.id, self.location_args
                            ),
                            holder: Box::new(holder),
                            stale: false,
                        })
                    }
                    _ if unnamed_tries < 10 => unnamed_tries += 1,
                    _ => return Err(StateError::Database {
                        location: self.describe(),
                        message: "the workspace is locked by a session that recorded no holder"
                            .into(),
                        hint:
                            "another client holds the advisory lock; retry, or pass --lock-timeout"
                                .into(),
                        connection_lost: false,
                    }),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            } else {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let client = self.connect().await?;
        let e = |err: tokio_postgres::Error| self.db_error(&err);
        match self.holder(&client).await? {
            Some((info, pid)) if info.id == id => {
                // End the holder's session if it still holds the lock: the
                // server then releases the advisory lock.
                client
                    .execute(
                        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l
                         WHERE l.locktype = 'advisory' AND l.granted AND l.pid = $1",
                        &[&pid],
                    )
                    .await
                    .map_err(e)?;
                client
                    .execute(
                        "DELETE FROM strata_lock WHERE workspace = $1 AND id = $2",
                        &[&self.workspace, &id],
                    )
                    .await
                    .map_err(e)?;
                self.give_back(client);
                Ok(())
            }
            other => Err(StateError::NoSuchLock {
                location: self.describe(),
                id: id.to_string(),
                current: other.map(|(l, _)| format!("{}, lock ID {}", l.holder(), l.id)),
            }),
        }
    }

    async fn write(&self, state: &State, expected: Option<u64>) -> Result<u64, StateError> {
        let mut client = self.connect().await?;
        let e = |err: tokio_postgres::Error| self.db_error(&err);
        let mut next = state.clone();
        next.serial = next_serial(state, expected);
        let serial = next.serial as i64;
        let body = next.to_json();
        let lineage = next.lineage.to_string();
        let written = match expected {
            None => client
                .execute(
                    "INSERT INTO strata_state (workspace, lineage, serial, snapshot_serial, snapshot)
                     VALUES ($1, $2, $3, $3, $4) ON CONFLICT (workspace) DO NOTHING",
                    &[&self.workspace, &lineage, &serial, &body],
                )
                .await
                .map_err(e)?,
            Some(exp) => {
                let tx = client.transaction().await.map_err(e)?;
                let n = tx
                    .execute(
                        "UPDATE strata_state SET lineage = $2, serial = $3, snapshot_serial = $3,
                             snapshot = $4, updated_at = now()
                         WHERE workspace = $1 AND serial = $5",
                        &[&self.workspace, &lineage, &serial, &body, &(exp as i64)],
                    )
                    .await
                    .map_err(e)?;
                if n == 1 {
                    tx.execute(
                        "DELETE FROM strata_journal WHERE workspace = $1",
                        &[&self.workspace],
                    )
                    .await
                    .map_err(e)?;
                    tx.commit().await.map_err(e)?;
                }
                n
            }
        };
        if written != 1 {
            let found = self.stored_serial(&client).await?.map(|s| s.1);
            self.give_back(client);
            return Err(self.conflict(expected, found));
        }
        self.give_back(client);
        Ok(next.serial)
    }

    async fn writer(&self, state: &State) -> Result<Box<dyn StateWriter>, StateError> {
        let mut client = self.connect().await?;
        match self.stored_serial(&client).await? {
            Some((lineage, serial)) if lineage != state.lineage || serial != state.serial => {
                return Err(self.conflict(Some(state.serial), Some(serial)))
            }
            Some(_) => self.compact(&mut client, state).await?,
            None => {
                let n = client
                    .execute(
                        "INSERT INTO strata_state (workspace, lineage, serial, snapshot_serial, snapshot)
                         VALUES ($1, $2, $3, $3, $4) ON CONFLICT (workspace) DO NOTHING",
                        &[
                            &self.workspace,
                            &state.lineage.to_string(),
                            &(state.serial as i64),
                            &state.to_json(),
                        ],
                    )
                    .await
                    .map_err(|e| self.db_error(&e))?;
                if n != 1 {
                    let found = self.stored_serial(&client).await?.map(|s| s.1);
                    return Err(self.conflict(None, found));
                }
            }
        }
        let mut w = PgWriter {
            backend: self.clone(),
            client,
            append: None,
            lineage: state.lineage,
            serial: state.serial,
        };
        w.prepare().await?;
        Ok(Box::new(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        let b = PostgresBackend::new(
            "postgres://strata:s3cret@127.0.0.1:5433/states?sslmode=disable",
            "production",
        )
        .unwrap();
        assert_eq!(
            b.describe(),
            "postgres://strata@127.0.0.1:5433/states (workspace production)"
        );
        assert!(!format!("{b:?}").contains("s3cret"));
        let e = PostgresBackend::new("postgres://x:s3cret@h/db?bogus=1", "w").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("hint:"), "{e}");
    }

    #[test]
    fn workspaces_get_distinct_lock_keys() {
        let a = PostgresBackend::new("postgres://u@h/db", "production").unwrap();
        let b = PostgresBackend::new("postgres://u@h/db", "staging").unwrap();
        assert_ne!(a.lock_key(), b.lock_key());
    }
}
