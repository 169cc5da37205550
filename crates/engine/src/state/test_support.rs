//! Helpers for tests that need a real PostgreSQL (Strata's own and those of
//! tools built on it). `scripts/test-all` starts a throwaway server and
//! exports:
//!
//! - `STRATA_TEST_PG_URL`: a superuser URL of that server's `postgres` database;
//! - `STRATA_TEST_PG_BIN`: the directory holding `initdb` and `pg_ctl`;
//! - `STRATA_TEST_PG_OS_USER`: the unprivileged user servers run as when the
//!   tests run as root.
//!
//! Without them a test skips with a printed reason, except in CI
//! (`STRATA_CI` set), where a missing server fails the test.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

fn skip_or_fail<T>(what: &str) -> Option<T> {
    if std::env::var_os("STRATA_CI").is_some() {
        panic!(
            "STRATA_CI is set but {what} is not: scripts/test-all starts PostgreSQL for the tests"
        );
    }
    eprintln!(
        "skipped: {what} is not set (run ./scripts/test-all, which starts a PostgreSQL server)"
    );
    None
}

/// The admin URL of the test server, or `None` (with a printed reason) when
/// there is none outside CI.
pub fn admin_url() -> Option<String> {
    match std::env::var("STRATA_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => skip_or_fail("STRATA_TEST_PG_URL"),
    }
}

/// `url` with its database replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    format!("{}/{db}{query}", &base[..authority_end])
}

fn block_on<F>(f: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    // On a thread of its own, so it works inside and outside a runtime.
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(f)
        })
        .join()
        .expect("database admin thread")
    })
}

async fn admin(url: &str, sql: &str) -> Result<(), tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(conn);
    let r = client.batch_execute(sql).await;
    drop(client);
    let _ = task.await;
    r
}

/// A database of its own for one test, dropped when the value is.
pub struct TestDatabase {
    /// URL of the new database (with the password; never print it).
    pub url: String,
    admin: String,
    name: String,
}

impl TestDatabase {
    /// Creates a fresh database on the test server; `None` when there is no
    /// server outside CI (the reason is printed).
    pub fn create(test: &str) -> Option<TestDatabase> {
        let admin = admin_url()?;
        Some(Self::create_on(&admin, test))
    }

    /// Creates a fresh database on the server at `admin`.
    pub fn create_on(admin: &str, test: &str) -> TestDatabase {
        static N: AtomicUsize = AtomicUsize::new(0);
        let clean: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        let name = format!(
            "strata_{clean}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        block_on(admin_sql(admin, &format!("CREATE DATABASE \"{name}\"")))
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        TestDatabase {
            url: with_database(admin, &name),
            admin: admin.to_string(),
            name,
        }
    }
}

async fn admin_sql(url: &str, sql: &str) -> Result<(), tokio_postgres::Error> {
    admin(url, sql).await
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        if let Err(e) = block_on(admin_sql(&self.admin, &sql)) {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}

/// A PostgreSQL server of a test's own (for tests that stop or restart it),
/// listening on 127.0.0.1; stopped and deleted when dropped.
pub struct TestServer {
    bin: PathBuf,
    data: tempfile::TempDir,
    os_user: Option<String>,
    /// The port it listens on.
    pub port: u16,
    /// Superuser URL of its `postgres` database.
    pub url: String,
}

impl TestServer {
    /// Initializes and starts a server; `None` outside CI when PostgreSQL's
    /// programs are not known (the reason is printed).
    pub fn start() -> Option<TestServer> {
        let bin = match std::env::var("STRATA_TEST_PG_BIN") {
            Ok(b) if !b.is_empty() => PathBuf::from(b),
            _ => return skip_or_fail("STRATA_TEST_PG_BIN"),
        };
        let os_user = std::env::var("STRATA_TEST_PG_OS_USER")
            .ok()
            .filter(|u| !u.is_empty() && unsafe { libc::geteuid() } == 0);
        let data = tempfile::Builder::new()
            .prefix("strata-pg-")
            .tempdir()
            .expect("temporary directory");
        let password = uuid::Uuid::new_v4().simple().to_string();
        std::fs::write(data.path().join("pwfile"), &password).expect("password file");
        if let Some(u) = &os_user {
            let ok = Command::new("chown")
                .args(["-R", u])
                .arg(data.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown of the test server's directory to {u}");
        }
        let port = free_port();
        let server = TestServer {
            bin,
            os_user,
            port,
            url: format!("postgres://strata:{password}@127.0.0.1:{port}/postgres?sslmode=disable"),
            data,
        };
        let pgdata = server.data.path().join("data");
        server.run(
            "initdb",
            &[
                "-D".as_ref(),
                pgdata.as_os_str(),
                "-U".as_ref(),
                "strata".as_ref(),
                "--auth=scram-sha-256".as_ref(),
                "--pwfile".as_ref(),
                server.data.path().join("pwfile").as_os_str(),
                "--no-sync".as_ref(),
            ],
        );
        server.pg_ctl("start");
        Some(server)
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) {
        let exe = self.bin.join(program);
        let mut cmd = match &self.os_user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let out = cmd
            .args(args)
            .current_dir(self.data.path())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
        assert!(
            out.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl(&self, action: &str) {
        let pgdata = self.data.path().join("data");
        let log = self.data.path().join("server.log");
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={}",
            self.port,
            self.data.path().display()
        );
        let mut args: Vec<&std::ffi::OsStr> = vec![
            action.as_ref(),
            "-D".as_ref(),
            pgdata.as_os_str(),
            "-l".as_ref(),
            log.as_os_str(),
            "-w".as_ref(),
            "-m".as_ref(),
            "fast".as_ref(),
        ];
        if action != "stop" {
            args.push("-o".as_ref());
            args.push(opts.as_ref());
        }
        self.run("pg_ctl", &args);
    }

    /// Stops the server (fast shutdown: sessions are ended).
    pub fn stop(&self) {
        self.pg_ctl("stop");
    }

    /// Starts it again on the same port.
    pub fn restart(&self) {
        self.pg_ctl("restart");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let pgdata = self.data.path().join("data");
        let exe = self.bin.join("pg_ctl");
        let mut cmd = match &self.os_user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let _ = cmd
            .arg("stop")
            .arg("-D")
            .arg(&pgdata)
            .args(["-m", "immediate", "-w"])
            .output();
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            super::with_database("postgres://u:p@h:1/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:1/x?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }
}
