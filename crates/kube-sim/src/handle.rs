//! [`SimServer`]: a running server on its own thread, stopped cleanly on drop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;
use tokio::sync::watch;

use crate::config::{FaultConfig, SimConfig};
use crate::sim::Sim;
use crate::store::State;

/// A running kube-sim server. Dropping it stops the server and saves its state file.
pub struct SimServer {
    addr: SocketAddr,
    url: String,
    ca_pem: Option<String>,
    token: String,
    kubeconfig: PathBuf,
    own_dir: Option<PathBuf>,
    sim: Arc<Sim>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl SimServer {
    /// Starts a server; returns once it accepts connections.
    pub fn start(mut config: SimConfig) -> anyhow::Result<SimServer> {
        let token = config
            .token
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        config.token = Some(token.clone());
        let mut state = State::new();
        if let Some(path) = &config.state {
            if path.exists() {
                state
                    .load(path)
                    .with_context(|| format!("loading state file {}", path.display()))?;
            }
        }
        crate::seed::seed(&mut state, &config);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kube-sim")
            .enable_all()
            .build()?;
        let listener = std::net::TcpListener::bind(config.listen)
            .with_context(|| format!("binding {}", config.listen))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let certs = if config.plain_http {
            None
        } else {
            let ca_key = config
                .state
                .as_ref()
                .map(|s| s.with_extension("ca-key.pem"));
            Some(crate::tls::generate(
                addr.ip(),
                &config.tls_sans,
                ca_key.as_deref(),
            )?)
        };
        let scheme = if config.plain_http { "http" } else { "https" };
        let url = format!("{scheme}://{addr}");
        let ca_pem = certs.as_ref().map(|c| c.ca_pem.clone());
        let (kubeconfig, own_dir) = match &config.kubeconfig_out {
            Some(p) => (p.clone(), None),
            None => {
                let dir = std::env::temp_dir()
                    .join(format!("kube-sim-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir)?;
                (dir.join("kubeconfig"), Some(dir))
            }
        };
        if let Some(parent) = kubeconfig.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(
            &kubeconfig,
            crate::kubeconfig::render(&url, ca_pem.as_deref(), &token),
        )
        .with_context(|| format!("writing kubeconfig {}", kubeconfig.display()))?;
        state.dirty = true;
        let sim = Sim::new(config, token.clone(), state, ca_pem.clone());
        // The seeded namespaces hold what every namespace has before the first request.
        crate::controllers::cluster::pass(&mut sim.state(), sim.ca_pem.as_deref());
        let (stop, stop_rx) = watch::channel(false);
        let tls = certs.map(|c| c.server_config);
        let sim2 = sim.clone();
        let thread = std::thread::Builder::new()
            .name("kube-sim".into())
            .spawn(move || {
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("kube-sim: cannot use listener: {e}");
                            return;
                        }
                    };
                    let controllers =
                        tokio::spawn(crate::controllers::run(sim2.clone(), stop_rx.clone()));
                    crate::server::run(sim2, listener, tls, stop_rx).await;
                    let _ = controllers.await;
                });
                rt.shutdown_timeout(std::time::Duration::from_secs(1));
            })?;
        Ok(SimServer {
            addr,
            url,
            ca_pem,
            token,
            kubeconfig,
            own_dir,
            sim,
            stop,
            thread: Some(thread),
        })
    }

    /// Starts a TLS server on 127.0.0.1 with a free port and default settings.
    pub fn start_default() -> anyhow::Result<SimServer> {
        Self::start(SimConfig::default())
    }

    /// The listen address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL (`https://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// PEM of the CA that signed the server certificate (`None` for plain HTTP).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Path of the kubeconfig written for this server.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// Connections and requests clients made so far.
    pub fn traffic(&self) -> &crate::traffic::Traffic {
        &self.sim.traffic
    }

    /// Changes fault injection while the server runs.
    pub fn set_faults(&self, faults: FaultConfig) {
        self.sim.faults.set(faults);
    }

    /// Stops the server (also done on drop).
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(dir) = self.own_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}
