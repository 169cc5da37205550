//! Shared helpers for the kube-sim conformance tests: a real kubectl and in-process servers.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use kube_sim::{SimConfig, SimServer};

/// The fixtures directory shipped next to the workspace.
pub fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/k8s"
    ))
}

fn workspace() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The real kubectl: `STRATA_KUBECTL` or `<workspace>/target/venv/bin/kubectl`. Panics (fails
/// the test) when it is missing.
pub fn kubectl_path() -> PathBuf {
    let path = std::env::var_os("STRATA_KUBECTL")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/venv/bin/kubectl"));
    assert!(
        path.is_file(),
        "kubectl not found at {}: run scripts/install-kubectl (or set STRATA_KUBECTL)",
        path.display()
    );
    path
}

/// Starts a TLS server with the fixtures and a short rollout delay.
pub fn server() -> SimServer {
    server_with(|_| {})
}

/// Starts a server after adjusting its configuration.
pub fn server_with(adjust: impl FnOnce(&mut SimConfig)) -> SimServer {
    let mut config = SimConfig {
        fixtures_dir: Some(fixtures()),
        rollout_delay: Duration::from_millis(200),
        ..SimConfig::default()
    };
    adjust(&mut config);
    SimServer::start(config).expect("kube-sim starts")
}

/// Runs kubectl against a server with an isolated HOME and KUBECONFIG.
pub struct Kubectl {
    bin: PathBuf,
    home: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Kubectl {
    /// A kubectl bound to `server`.
    pub fn new(server: &SimServer) -> Self {
        Self::with_kubeconfig(server.kubeconfig_path())
    }

    /// A kubectl using an explicit kubeconfig.
    pub fn with_kubeconfig(kubeconfig: &Path) -> Self {
        Kubectl {
            bin: kubectl_path(),
            home: tempfile::tempdir().expect("temp home"),
            kubeconfig: kubeconfig.to_path_buf(),
        }
    }

    /// Runs kubectl with `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    /// Runs kubectl with `args` and extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(&self.bin)
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .env("PATH", "/usr/bin:/bin")
            .envs(env.iter().copied())
            .output()
            .expect("kubectl runs")
    }

    /// Runs kubectl and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs kubectl expecting failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// `kubectl get -o json` parsed.
    pub fn get_json(&self, args: &[&str]) -> serde_json::Value {
        let mut full = vec!["get", "-o", "json"];
        full.extend_from_slice(args);
        serde_json::from_str(&self.ok(&full)).expect("kubectl prints JSON")
    }

    /// Writes a manifest into the temp home and returns its path.
    pub fn write_manifest(&self, name: &str, text: &str) -> PathBuf {
        let p = self.home.path().join(name);
        std::fs::write(&p, text).expect("write manifest");
        p
    }
}

/// Polls `f` until it returns true or `timeout` passes.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// Managers named in an object's managedFields, as `manager/operation/subresource`.
pub fn managers(obj: &serde_json::Value) -> Vec<String> {
    obj["metadata"]["managedFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    format!(
                        "{}/{}/{}",
                        m["manager"].as_str().unwrap_or(""),
                        m["operation"].as_str().unwrap_or(""),
                        m["subresource"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A raw HTTPS answer: status, headers (lower-case names) and body.
pub struct RawResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header pairs.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl RawResponse {
    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request over TLS with no client-side retries; `Err` when the connection drops.
pub async fn raw_request(
    srv: &SimServer,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> std::io::Result<RawResponse> {
    raw_request_with_body(srv, method, path, token, None).await
}

/// Like [`raw_request`], with an optional `(content type, body)`.
pub async fn raw_request_with_body(
    srv: &SimServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
) -> std::io::Result<RawResponse> {
    raw_request_accept(srv, method, path, token, body, "application/json").await
}

/// Like [`raw_request_with_body`], with an explicit `Accept` header.
pub async fn raw_request_accept(
    srv: &SimServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
    accept: &str,
) -> std::io::Result<RawResponse> {
    use rustls::pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut roots = rustls::RootCertStore::empty();
    let ca = rustls::pki_types::CertificateDer::from_pem_slice(
        srv.ca_pem().expect("TLS server").as_bytes(),
    )
    .expect("CA PEM");
    roots.add(ca).expect("CA accepted");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(srv.addr()).await?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("server name");
    let mut tls = connector.connect(name, tcp).await?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let content = body
        .map(|(ct, b)| format!("Content-Type: {ct}\r\nContent-Length: {}\r\n", b.len()))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}{content}Accept: {accept}\r\nConnection: close\r\n\r\n{}",
        body.map(|(_, b)| b).unwrap_or("")
    );
    tls.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    let _ = tls.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no response"))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(RawResponse {
        status,
        headers,
        body: body.to_string(),
    })
}
