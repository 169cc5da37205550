//! The `kube-sim` binary: serves the emulator until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use std::io::Write;

use clap::Parser;
use kube_sim::{FaultConfig, SimConfig, SimServer};

/// A LIST of thousands of objects allocates heavily; mimalloc serves it markedly faster.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// An honest Kubernetes API emulator.
#[derive(Parser, Debug)]
#[command(name = "kube-sim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// Where to write a kubeconfig for this server.
    #[arg(long)]
    kubeconfig_out: Option<PathBuf>,
    /// State file persisting objects across restarts.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Bearer token clients must present (generated when omitted).
    #[arg(long, env = "KUBE_SIM_TOKEN")]
    token: Option<String>,
    /// Serve plain HTTP without authentication instead of HTTPS (debugging only).
    #[arg(long)]
    insecure_plain_http: bool,
    /// Never answer with aggregated discovery.
    #[arg(long)]
    no_aggregated_discovery: bool,
    /// Milliseconds before workloads report themselves available.
    #[arg(long, default_value_t = 500)]
    rollout_delay_ms: u64,
    /// Directory of the CRD manifests well-known charts ship (longhorn.yaml,
    /// crd-monitoring-*.yaml, crd-argoproj-*.yaml, crd-strimzi-*.yaml, crd-cnpg-*.yaml),
    /// installed by the Helm-controller stand-in. Without it, HelmCharts install no CRDs.
    #[arg(long, env = "KUBE_SIM_FIXTURES")]
    fixtures: Option<PathBuf>,
    /// Name of the Node the server seeds.
    #[arg(long, default_value = "kube-sim-node")]
    node_name: String,
    /// Kubernetes version `/version` reports, `MAJOR.MINOR.PATCH`.
    #[arg(long, default_value = "1.36.1", value_parser = parse_version)]
    kubernetes_version: (u32, u32, u32),
    /// A further IP address or DNS name for the server certificate (repeatable).
    #[arg(long)]
    tls_san: Vec<String>,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    fault_latency_ms: u64,
    /// Fraction of requests answered 503 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    fault_unavailable_rate: f64,
    /// Fraction of requests answered 429 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    fault_throttle_rate: f64,
    /// API group whose requests all fail with 503 (`core` for the core group).
    #[arg(long)]
    fault_failing_group: Option<String>,
    /// Fraction of connections dropped without an answer.
    #[arg(long, default_value_t = 0.0)]
    fault_drop_rate: f64,
}

/// `1.36.3` (a leading `v` and a `+build` suffix are ignored).
fn parse_version(s: &str) -> Result<(u32, u32, u32), String> {
    let core = s
        .trim_start_matches('v')
        .split('+')
        .next()
        .unwrap_or_default();
    let parts: Vec<u32> = core
        .split('.')
        .map(|p| p.parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{s:?} is not MAJOR.MINOR.PATCH"))?;
    match parts[..] {
        [a, b, c] => Ok((a, b, c)),
        _ => Err(format!("{s:?} is not MAJOR.MINOR.PATCH")),
    }
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    if let Some(dir) = a.fixtures.as_ref().filter(|d| !d.is_dir()) {
        anyhow::bail!("--fixtures {}: no such directory", dir.display());
    }
    let config = SimConfig {
        listen: a.listen,
        plain_http: a.insecure_plain_http,
        token: a.token,
        kubeconfig_out: a.kubeconfig_out,
        state: a.state,
        aggregated_discovery: !a.no_aggregated_discovery,
        rollout_delay: Duration::from_millis(a.rollout_delay_ms),
        fixtures_dir: a.fixtures,
        faults: FaultConfig {
            latency: Duration::from_millis(a.fault_latency_ms),
            unavailable_rate: a.fault_unavailable_rate,
            throttle_rate: a.fault_throttle_rate,
            failing_group: a.fault_failing_group,
            drop_rate: a.fault_drop_rate,
        },
        node_name: a.node_name,
        version: a.kubernetes_version,
        tls_sans: a.tls_san,
    };
    let server = SimServer::start(config)?;
    // Printing must never kill the server when nobody reads stdout any more.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "kube-sim listening on {}", server.url());
    let _ = writeln!(out, "kubeconfig: {}", server.kubeconfig_path().display());
    let _ = out.flush();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        Ok::<_, std::io::Error>(())
    })?;
    server.shutdown();
    Ok(())
}
