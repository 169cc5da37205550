//! The engine's [`Provider`] for `node` resources: every resource on a node
//! shares the node's one SSH connection from the [`Pool`].

use crate::error::SshError;
use crate::node::{self, spec::NodeSpec, Undo};
use crate::pool::Pool;
use crate::ssh::{Session, SshOptions};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::Arc;
use strata_engine::provider::{ApplyRequest, PlanRefinement, PlanRequest, Provider, ProviderError};
use strata_engine::state::ResourceState;
use strata_engine::{Address, AttrPath, ResourceType};

/// Attribute holding the host key fingerprint seen (trust on first use).
pub const HOST_KEY_OBSERVED: &str = "host_key_observed";

/// Manages `node` resources over SSH.
pub struct HostProvider {
    pool: Arc<Pool>,
}

impl Default for HostProvider {
    fn default() -> Self {
        HostProvider::new(SshOptions::default())
    }
}

fn recorded_key(attrs: &Value) -> Option<String> {
    attrs
        .get(HOST_KEY_OBSERVED)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn decode(
    attrs: &Value,
    prior: Option<&Value>,
    address: &Address,
) -> Result<NodeSpec, ProviderError> {
    NodeSpec::from_attributes(attrs, prior.and_then(recorded_key))
        .map_err(|e| ProviderError::new(format!("{address}: {e}")))
}

impl HostProvider {
    /// A provider whose connections use `options`.
    pub fn new(options: SshOptions) -> Self {
        HostProvider::with_pool(Arc::new(Pool::new(options)))
    }

    /// A provider sharing `pool` (with the k3s provider: one connection per node).
    pub fn with_pool(pool: Arc<Pool>) -> Self {
        HostProvider { pool }
    }

    /// The connection pool (one connection per node).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    async fn session(
        &self,
        spec: &NodeSpec,
        address: &Address,
    ) -> Result<Arc<Session>, ProviderError> {
        self.pool
            .session(&spec.name, &spec.target)
            .await
            .map_err(|e| self.error(address, e))
    }

    fn error(&self, address: &Address, e: SshError) -> ProviderError {
        let mut p = ProviderError::from(e);
        p.message = format!("{address}: {}", p.message);
        p
    }

    /// Drops a node's connection after a transport failure, so the next call reconnects.
    async fn after(&self, spec: &NodeSpec, e: &SshError) {
        if e.retryable() {
            self.pool.forget(&spec.name).await;
        }
    }
}

#[async_trait]
impl Provider for HostProvider {
    fn types(&self) -> &[ResourceType] {
        &[ResourceType::Node]
    }

    async fn read(
        &self,
        address: &Address,
        prior: &ResourceState,
    ) -> Result<Option<Value>, ProviderError> {
        let spec = decode(&prior.attributes, Some(&prior.attributes), address)?;
        let session = self.session(&spec, address).await?;
        let ask = node::probe::Ask::for_specs(&spec, None);
        let observed = match node::probe::probe(&session, &ask).await {
            Ok(o) => o,
            Err(e) => {
                self.after(&spec, &e).await;
                return Err(self.error(address, e));
            }
        };
        let attrs = node::observed_attributes(&session, &prior.attributes, &spec, &observed)
            .await
            .map_err(|e| self.error(address, e))?;
        Ok(Some(attrs))
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanRefinement, ProviderError> {
        let desired = request.desired;
        decode(&desired.attributes, None, &desired.address)?;
        Ok(PlanRefinement {
            computed: ["facts", HOST_KEY_OBSERVED, "undo"]
                .iter()
                .map(|p| AttrPath::parse(p).expect("literal paths"))
                .collect(),
            ..PlanRefinement::default()
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let address = &request.desired.address;
        let prior_attrs = request.prior.map(|p| &p.attributes);
        let spec = decode(&request.desired.attributes, prior_attrs, address)?;
        let prior_spec = prior_attrs.and_then(|a| NodeSpec::from_attributes(a, None).ok());
        let mut undo = prior_attrs.map(Undo::from_attributes).unwrap_or_default();
        let session = self.session(&spec, address).await?;
        let observed = node::apply(&session, &spec, prior_spec.as_ref(), &mut undo)
            .await
            .map_err(|problems| ProviderError {
                message: format!("{address}: {}", problems.join("\n")),
                retryable: false,
            })?;
        let mut attrs = request.desired.attributes.clone();
        attrs["facts"] = observed.facts.to_json();
        attrs[HOST_KEY_OBSERVED] = json!(session.host_key_fingerprint());
        attrs["undo"] = serde_json::to_value(&undo).expect("plain data");
        Ok(attrs)
    }

    async fn delete(&self, address: &Address, prior: &ResourceState) -> Result<(), ProviderError> {
        let spec = decode(&prior.attributes, Some(&prior.attributes), address)?;
        let undo = Undo::from_attributes(&prior.attributes);
        let session = self.session(&spec, address).await?;
        node::delete(&session, &spec, &undo)
            .await
            .map_err(|e| ProviderError::new(format!("{address}: {e}")))
    }
}
