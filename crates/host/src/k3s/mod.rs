//! k3s over SSH, one file per phase (as k0sctl does): [`config`],
//! [`install`], [`init_server`], [`join`], [`ready`], [`node_labels`],
//! [`kubeconfig`], [`upgrade`], [`uninstall`]; [`probe`] observes a member
//! for drift. The [`K3sProvider`] runs them for `k3s_server` and
//! `k3s_agent` resources over the node connections it shares with the host
//! provider.

pub mod config;
pub mod init_server;
pub mod install;
pub mod join;
pub mod kubeconfig;
pub mod node_labels;
pub mod probe;
pub mod ready;
pub mod spec;
pub mod uninstall;
pub mod upgrade;

use crate::node::spec::NodeSpec;
use crate::pool::Pool;
use crate::ssh::Session;
use async_trait::async_trait;
use serde_json::{json, Value};
use spec::K3sSpec;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use strata_engine::provider::{
    ApplyRequest, LiveView, PlanRefinement, PlanRequest, Provider, ProviderError,
};
use strata_engine::state::ResourceState;
use strata_engine::{Address, AttrPath, ResourceType, SENSITIVE};

/// What the k3s provider knows of the cluster: how to reach each node, which
/// one is the first server, and where clients reach the API.
#[derive(Debug, Clone, Default)]
pub struct K3sCluster {
    /// Nodes by name.
    pub nodes: BTreeMap<String, NodeSpec>,
    /// The node of the server with `cluster_init`.
    pub first_server: Option<String>,
    /// The API endpoint the kubeconfig is pointed at.
    pub api_endpoint: Option<String>,
    /// Where to write the fetched kubeconfig (mode 0600), if anywhere.
    pub kubeconfig_out: Option<PathBuf>,
    /// How long a member may take to become ready.
    pub ready_timeout: Duration,
}

/// The provider of `k3s_server` and `k3s_agent` resources.
pub struct K3sProvider {
    pool: Arc<Pool>,
    cluster: K3sCluster,
}

fn fail(address: &Address, message: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(format!("{address}: {message}"))
}

impl K3sProvider {
    /// A provider reaching `cluster`'s nodes through `pool`.
    pub fn new(pool: Arc<Pool>, mut cluster: K3sCluster) -> Self {
        if cluster.ready_timeout.is_zero() {
            cluster.ready_timeout = Duration::from_secs(180);
        }
        K3sProvider { pool, cluster }
    }

    async fn session_of(&self, node: &str) -> Result<Arc<Session>, ProviderError> {
        let spec = self.cluster.nodes.get(node).ok_or_else(|| {
            ProviderError::new(format!(
                "node {node} is not declared in the stack (nor recorded in state), so it cannot be reached"
            ))
        })?;
        match self.pool.session(node, &spec.target).await {
            Ok(s) => Ok(s),
            Err(e) => {
                let mut p = ProviderError::from(e);
                p.message = format!("node {node}: {}", p.message);
                Err(p)
            }
        }
    }

    async fn first(&self) -> Result<Arc<Session>, ProviderError> {
        let first = self.cluster.first_server.as_deref().ok_or_else(|| {
            ProviderError::new(
                "the cluster has no first server (cluster_init) in the stack or state",
            )
        })?;
        self.session_of(first).await
    }

    /// The cluster's kubeconfig: fetched from the first server, pointed at
    /// the API endpoint, and written to the configured file when there is one.
    pub async fn kubeconfig(&self) -> Result<String, ProviderError> {
        let endpoint = self
            .cluster
            .api_endpoint
            .clone()
            .ok_or_else(|| ProviderError::new("the cluster has no API endpoint"))?;
        let first = self.first().await?;
        let yaml = kubeconfig::fetch(&first, &endpoint)
            .await
            .map_err(ProviderError::retryable)?;
        if let Some(path) = &self.cluster.kubeconfig_out {
            kubeconfig::write_local(path, &yaml).map_err(ProviderError::new)?;
        }
        Ok(yaml)
    }

    /// Which of the labels Strata sets through the API the Node carries now
    /// (`None` when there are none to check or the API cannot be asked: no
    /// drift is claimed then).
    async fn observed_labels(&self, spec: &K3sSpec) -> Option<BTreeMap<String, String>> {
        if spec.api_labels.is_empty() {
            return None;
        }
        let api = self.first().await.ok()?;
        let labels = node_labels::current(&api, &spec.node).await.ok()?;
        Some(
            spec.api_labels
                .keys()
                .filter_map(|k| labels.get(k).map(|v| (k.clone(), v.clone())))
                .collect(),
        )
    }

    fn decode(
        rtype: ResourceType,
        attrs: &Value,
        address: &Address,
    ) -> Result<K3sSpec, ProviderError> {
        K3sSpec::from_attributes(rtype, attrs).map_err(|e| fail(address, e))
    }

    /// The join token: the stack's, else the first server's.
    async fn token(
        &self,
        spec: &K3sSpec,
        request: &ApplyRequest<'_>,
    ) -> Result<Option<String>, ProviderError> {
        let path = AttrPath::parse("token").expect("literal path");
        if let Some(t) = request.secrets.get(&path) {
            return Ok(Some(t.clone()));
        }
        if let Some(t) = request
            .desired
            .attributes
            .get("token")
            .and_then(Value::as_str)
        {
            if t != SENSITIVE {
                return Ok(Some(t.to_string()));
            }
        }
        if spec.cluster_init {
            return Ok(None);
        }
        let first = self.first().await?;
        join::read_token(&first)
            .await
            .map(Some)
            .map_err(|e| fail(&request.desired.address, e))
    }
}

/// A member's recorded attributes with what the node runs now; `None` when
/// nothing of k3s is left on it.
fn observed_attributes(
    recorded: &Value,
    seen: probe::Observed,
    api_labels: Option<BTreeMap<String, String>>,
) -> Option<Value> {
    if !seen.installed() {
        return None;
    }
    let mut attrs = recorded.clone();
    if let Some(labels) = api_labels {
        attrs["api_labels"] = json!(labels);
    }
    attrs["version"] = json!(seen.version.unwrap_or_else(|| "missing".into()));
    attrs["config"] = json!(seen.config.unwrap_or_default());
    attrs["service"] = json!(seen.service);
    Some(attrs)
}

#[async_trait]
impl Provider for K3sProvider {
    fn types(&self) -> &[ResourceType] {
        &[ResourceType::K3sServer, ResourceType::K3sAgent]
    }

    async fn read(
        &self,
        address: &Address,
        prior: &ResourceState,
    ) -> Result<Option<Value>, ProviderError> {
        let spec = Self::decode(prior.rtype, &prior.attributes, address)?;
        let session = self.session_of(&spec.node).await?;
        let seen = probe::observe(&session, &spec)
            .await
            .map_err(|e| fail(address, e))?;
        let labels = self.observed_labels(&spec).await;
        Ok(observed_attributes(&prior.attributes, seen, labels))
    }

    /// For a member in state, the plan compares the stack with what the node
    /// runs now, so that an apply after drift repairs it.
    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanRefinement, ProviderError> {
        let d = request.desired;
        Self::decode(d.rtype, &d.attributes, &d.address)?;
        let Some(prior) = request.prior else {
            return Ok(PlanRefinement::default());
        };
        let spec = Self::decode(prior.rtype, &prior.attributes, &d.address)?;
        let session = self.session_of(&spec.node).await?;
        let seen = probe::observe(&session, &spec)
            .await
            .map_err(|e| fail(&d.address, e))?;
        Ok(PlanRefinement {
            live: Some(LiveView {
                before: observed_attributes(
                    &prior.attributes,
                    seen,
                    self.observed_labels(&spec).await,
                ),
                after: d.attributes.clone(),
                ..LiveView::default()
            }),
            ..PlanRefinement::default()
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let address = &request.desired.address;
        let spec = Self::decode(request.desired.rtype, &request.desired.attributes, address)?;
        let session = self.session_of(&spec.node).await?;
        let seen = probe::observe(&session, &spec)
            .await
            .map_err(|e| fail(address, e))?;
        let config_changed = config::write(&session, &spec, seen.config.as_deref())
            .await
            .map_err(|e| fail(address, e))?;
        let timeout = self.cluster.ready_timeout;
        let api = if spec.cluster_init {
            session.clone()
        } else {
            self.first().await?
        };
        let installed = seen.version.clone().filter(|_| seen.unit);
        if spec.needs_install(installed.as_deref()) {
            let token = self.token(&spec, &request).await?;
            let done = match (&installed, spec.cluster_init) {
                (Some(from), _) => {
                    upgrade::run(&session, &api, &spec, from, token.as_deref(), timeout).await
                }
                (None, true) => init_server::run(&session, &spec, token.as_deref(), timeout).await,
                (None, false) => {
                    let token = token.unwrap_or_default();
                    join::run(&session, &api, &spec, &token, timeout).await
                }
            };
            done.map_err(|e| fail(address, e))?;
        } else {
            if config_changed || seen.service != "active" {
                install::restart(&session, &spec)
                    .await
                    .map_err(|e| fail(address, e))?;
            }
            ready::wait(&session, &api, &spec, timeout)
                .await
                .map_err(|e| fail(address, e))?;
        }
        let before = request
            .prior
            .and_then(|p| spec::K3sSpec::from_attributes(p.rtype, &p.attributes).ok())
            .map(|p| p.api_labels)
            .unwrap_or_default();
        node_labels::apply(&api, &spec, &before)
            .await
            .map_err(|e| fail(address, e))?;
        let mut attrs = request.desired.attributes.clone();
        attrs["service"] = json!("active");
        Ok(attrs)
    }

    async fn delete(&self, address: &Address, prior: &ResourceState) -> Result<(), ProviderError> {
        let spec = Self::decode(prior.rtype, &prior.attributes, address)?;
        let session = self.session_of(&spec.node).await?;
        uninstall::run(&session, &spec)
            .await
            .map_err(|e| fail(address, e))?;
        if spec.cluster_init {
            // The cluster goes with its first server.
            return Ok(());
        }
        // Best effort: the member is gone either way; a first server that
        // cannot be asked leaves a NotReady Node, which is said.
        let forgotten = match self.first().await {
            Ok(api) => uninstall::forget_node(&api, &spec).await,
            Err(e) => Err(e.message),
        };
        if let Err(e) = forgotten {
            tracing::warn!("{address}: k3s was uninstalled, but its Node object stays: {e}");
        }
        Ok(())
    }
}
