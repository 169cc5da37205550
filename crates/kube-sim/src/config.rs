//! Server configuration and runtime-adjustable fault injection.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

/// How a server is started.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Serve plain HTTP without authentication instead of HTTPS (debugging only).
    pub plain_http: bool,
    /// Bearer token clients must present; generated when `None`.
    pub token: Option<String>,
    /// Where to write a kubeconfig for the server.
    pub kubeconfig_out: Option<PathBuf>,
    /// State file persisting objects across restarts.
    pub state: Option<PathBuf>,
    /// Serve aggregated discovery (`apidiscovery.k8s.io/v2`) when clients ask for it.
    pub aggregated_discovery: bool,
    /// Delay before workloads report themselves available.
    pub rollout_delay: Duration,
    /// Directory holding the CRD manifests the Helm-controller stand-in installs.
    pub fixtures_dir: Option<PathBuf>,
    /// Name of the single simulated Node.
    pub node_name: String,
    /// Kubernetes version reported by `/version`.
    pub version: (u32, u32, u32),
    /// Fault injection at start.
    pub faults: FaultConfig,
    /// Further IP addresses and DNS names the server certificate is valid for.
    pub tls_sans: Vec<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: "127.0.0.1:0".parse().expect("valid address"),
            plain_http: false,
            token: None,
            kubeconfig_out: None,
            state: None,
            aggregated_discovery: true,
            rollout_delay: Duration::from_millis(500),
            fixtures_dir: None,
            node_name: "kube-sim-node".into(),
            version: (1, 36, 1),
            faults: FaultConfig::default(),
            tls_sans: Vec::new(),
        }
    }
}

/// Faults to inject into request handling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Added latency per request.
    pub latency: Duration,
    /// Fraction (0..=1) of requests answered 503 with Retry-After.
    pub unavailable_rate: f64,
    /// Fraction (0..=1) of requests answered 429 with Retry-After.
    pub throttle_rate: f64,
    /// API group whose requests all fail with 503 (`core` for the core group).
    pub failing_group: Option<String>,
    /// Fraction (0..=1) of requests whose connection is dropped without an answer.
    pub drop_rate: f64,
}

/// Fault settings that can change while the server runs.
#[derive(Debug, Default)]
pub struct Faults {
    config: RwLock<FaultConfig>,
    counter: AtomicU64,
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Serve normally.
    Pass,
    /// Answer 503 with Retry-After.
    Unavailable,
    /// Answer 429 with Retry-After.
    Throttle,
    /// Close the connection without answering.
    Drop,
}

impl Faults {
    /// Faults from a configuration.
    pub fn new(config: FaultConfig) -> Self {
        Faults {
            config: RwLock::new(config),
            counter: AtomicU64::new(0),
        }
    }

    /// Replaces the fault configuration.
    pub fn set(&self, config: FaultConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
    }

    /// The current configuration.
    pub fn get(&self) -> FaultConfig {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Decides the fate of a request to `group` (None for non-API paths).
    pub fn decide(&self, group: Option<&str>) -> (Duration, FaultAction) {
        let c = self.get();
        if let (Some(g), Some(failing)) = (group, c.failing_group.as_deref()) {
            let g = if g.is_empty() { "core" } else { g };
            if g == failing {
                return (c.latency, FaultAction::Unavailable);
            }
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        // A deterministic low-discrepancy sequence: rates hold exactly over many requests.
        let x = ((n as f64) * 0.618_033_988_749_895).fract();
        let action = if x < c.drop_rate {
            FaultAction::Drop
        } else if x < c.drop_rate + c.unavailable_rate {
            FaultAction::Unavailable
        } else if x < c.drop_rate + c.unavailable_rate + c.throttle_rate {
            FaultAction::Throttle
        } else {
            FaultAction::Pass
        };
        (c.latency, action)
    }
}
