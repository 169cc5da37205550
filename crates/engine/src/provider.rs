//! The Provider trait: how the engine reaches the real world. Providers
//! (SSH hosts, Kubernetes) implement it; they never touch state files.

use crate::plan::Action;
use crate::state::ResourceState;
use crate::{Address, AttrPath, DesiredResource, ResourceType};
use async_trait::async_trait;
use serde_json::Value;
use std::collections::BTreeMap;

/// A provider failure, with enough words for an operator to act on.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct ProviderError {
    /// What went wrong and, where known, what to do.
    pub message: String,
    /// Whether retrying the same call may succeed (timeouts, 429/503).
    pub retryable: bool,
}

impl ProviderError {
    /// A permanent failure.
    pub fn new(message: impl Into<String>) -> Self {
        ProviderError {
            message: message.into(),
            retryable: false,
        }
    }
}

/// One create, update or replace handed to a provider.
pub struct ApplyRequest<'a> {
    /// The resource.
    pub desired: &'a DesiredResource,
    /// What state recorded, if anything (for updates and adoption).
    pub prior: Option<&'a ResourceState>,
    /// The planned action.
    pub action: Action,
    /// Sensitive values, resolved for this call only, by attribute path.
    pub secrets: &'a BTreeMap<AttrPath, String>,
}

/// How a provider refines a plan: paths that force replacement and values
/// only known after apply, beyond what the stack declared.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PlanRefinement {
    /// Further attributes whose change forces replacement.
    pub force_new: Vec<crate::ForceNew>,
    /// Further attributes only known after apply.
    pub computed: Vec<AttrPath>,
}

/// A kind of infrastructure Strata can manage.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The resource types this provider handles.
    fn types(&self) -> &[ResourceType];

    /// Observes the real object behind a state entry, for refresh and drift.
    /// `Ok(None)` when it no longer exists.
    async fn read(
        &self,
        address: &Address,
        prior: &ResourceState,
    ) -> Result<Option<Value>, ProviderError>;

    /// Refines the plan of one resource (e.g. a server-side dry run). The
    /// default adds nothing: the stack's own `force_new` and `computed` rules stand.
    async fn plan(
        &self,
        _desired: &DesiredResource,
        _prior: Option<&ResourceState>,
    ) -> Result<PlanRefinement, ProviderError> {
        Ok(PlanRefinement::default())
    }

    /// Creates or updates the resource; returns its attributes as applied,
    /// computed values filled in and sensitive values left as placeholders.
    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError>;

    /// Deletes the resource.
    async fn delete(&self, address: &Address, prior: &ResourceState) -> Result<(), ProviderError>;
}
