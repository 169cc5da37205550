//! Which providers a stack needs, and how they reach the real world. The CLI
//! only assembles them; the providers do the talking.

use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::Arc;
use strata_engine::apply::Providers;
use strata_engine::provider::ProviderError;
use strata_engine::{ResourceType, State};
use strata_host::{HostProvider, K3sCluster, K3sProvider, NodeSpec, Pool, SshOptions};
use strata_kube::{KubeProvider, KubeSettings, KubeconfigAccess, KubeconfigSource};
use strata_stack::Stack;

/// The providers of one run.
pub struct Wired {
    /// By resource type.
    pub providers: Providers,
    /// The Kubernetes provider, when the stack targets a cluster.
    pub kube: Option<Arc<KubeProvider>>,
    /// Only the providers that reach hosts over SSH (nodes and k3s), for
    /// when the cluster's API is down.
    pub hosts: Providers,
    /// The cluster is one the stack builds, and state says its first server
    /// has not been applied yet: there is nothing to ask.
    cluster_not_built: bool,
    /// The stack declares `[k3s.*]`.
    builds_cluster: bool,
}

/// `~/x` → `$HOME/x`.
fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// The kubeconfig of a cluster Strata builds: fetched from its first server
/// when the Kubernetes provider first needs it, never stored.
struct FromK3s(Arc<K3sProvider>);

#[async_trait]
impl KubeconfigAccess for FromK3s {
    async fn kubeconfig(&self) -> Result<KubeconfigSource, ProviderError> {
        Ok(KubeconfigSource::Text {
            yaml: self.0.kubeconfig().await?,
            context: None,
        })
    }
}

/// How to reach every node (state's, then the stack's, each with the host
/// key state recorded on first use) and which server initialises the cluster.
fn k3s_cluster(stack: &Stack, state: Option<&State>) -> K3sCluster {
    let mut cluster = K3sCluster::default();
    let recorded = |address: &strata_engine::Address| {
        state
            .and_then(|s| s.resources.get(address))
            .and_then(|r| r.attributes.get(strata_host::provider::HOST_KEY_OBSERVED))
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let in_state = state
        .iter()
        .flat_map(|s| s.resources.iter())
        .map(|(a, r)| (a, r.rtype, &r.attributes));
    let in_stack = stack
        .expanded
        .resources
        .iter()
        .map(|r| (&r.address, r.rtype, &r.attributes));
    for (address, rtype, attrs) in in_state.chain(in_stack) {
        match rtype {
            ResourceType::Node => {
                if let Ok(spec) = NodeSpec::from_attributes(attrs, recorded(address)) {
                    cluster.nodes.insert(spec.name.clone(), spec);
                }
            }
            ResourceType::K3sServer
                if attrs.get("cluster_init").and_then(|v| v.as_bool()) == Some(true) =>
            {
                cluster.first_server = attrs
                    .get("node")
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
                cluster.api_endpoint = attrs
                    .get("api_endpoint")
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
            }
            _ => {}
        }
    }
    cluster.kubeconfig_out = stack
        .model
        .clusters
        .first()
        .and_then(|k| k.kubeconfig_out.as_deref())
        .map(expand_home);
    cluster
}

/// The providers `stack` needs; `state` tells how nodes were reached before.
pub fn wire(stack: &Stack, state: Option<&State>) -> Wired {
    let mut providers = Providers::default();
    let mut hosts = Providers::default();
    let pool = Arc::new(Pool::new(SshOptions::default()));
    let host = Arc::new(HostProvider::with_pool(pool.clone()));
    let k3s = Arc::new(K3sProvider::new(pool, k3s_cluster(stack, state)));
    providers.register(host.clone());
    providers.register(k3s.clone());
    hosts.register(host);
    hosts.register(k3s.clone());
    let mut kube = None;
    let mut cluster_not_built = false;
    if let Some(target) = &stack.model.cluster {
        let source = KubeconfigSource::File {
            path: expand_home(&target.kubeconfig),
            context: target.context.clone(),
        };
        let p = Arc::new(KubeProvider::new(Arc::new(source), KubeSettings::default()));
        providers.register(p.clone());
        kube = Some(p);
    } else if !stack.model.clusters.is_empty() {
        let p = Arc::new(KubeProvider::new(
            Arc::new(FromK3s(k3s)),
            KubeSettings::default(),
        ));
        providers.register(p.clone());
        kube = Some(p);
        cluster_not_built = !state.is_some_and(|s| {
            s.resources.values().any(|r| {
                r.rtype == ResourceType::K3sServer
                    && r.attributes.get("cluster_init").and_then(|v| v.as_bool()) == Some(true)
            })
        });
    }
    Wired {
        providers,
        hosts,
        kube,
        cluster_not_built,
        builds_cluster: !stack.model.clusters.is_empty(),
    }
}

impl Wired {
    /// Whether the stack builds its own k3s cluster (rather than targeting
    /// an existing one or none).
    pub fn builds_cluster(&self) -> bool {
        self.builds_cluster
    }

    /// Checks that the cluster answers; the reason it does not, otherwise.
    /// `Ok(false)` when the stack targets no cluster at all, or builds one
    /// that does not exist yet.
    pub async fn cluster_reachable(&self) -> Result<bool, String> {
        match &self.kube {
            None => Ok(false),
            Some(_) if self.cluster_not_built => Ok(false),
            Some(k) => k.cluster().await.map(|_| true).map_err(|e| e.message),
        }
    }
}
