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

    /// A failure that may go away when the call is repeated.
    pub fn retryable(message: impl Into<String>) -> Self {
        ProviderError {
            message: message.into(),
            retryable: true,
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

/// How a provider refines a plan: paths that force replacement, values only
/// known after apply, and what the real object looks like now compared with
/// what applying would make of it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PlanRefinement {
    /// Further attributes whose change forces replacement.
    pub force_new: Vec<crate::ForceNew>,
    /// Further attributes only known after apply.
    pub computed: Vec<AttrPath>,
    /// The real object now and after the change, when the provider could look.
    pub live: Option<LiveView>,
}

/// The real object as it is and as applying the desired resource would leave
/// it (for Kubernetes: the live object and a server-side dry-run apply, both
/// normalised), so a plan shows exactly what will change in the real world.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LiveView {
    /// The object now; `None` when it does not exist.
    pub before: Option<Value>,
    /// The object as applying would leave it.
    pub after: Value,
    /// Who owns fields of the existing object today (for adoption), e.g.
    /// `["kubectl-client-side-apply", "helm"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managers: Vec<String>,
    /// Paths whose values are secret on either side (a Secret's `data`); the
    /// plan compares them and then hides them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<AttrPath>,
}

/// One create or update as a plan sees it, with secrets resolved where they
/// are available (a provider's dry run needs real values).
pub struct PlanRequest<'a> {
    /// The resource.
    pub desired: &'a DesiredResource,
    /// What state recorded, if anything.
    pub prior: Option<&'a ResourceState>,
    /// Sensitive values available to this plan, by attribute path; a path
    /// missing here is treated as unchanged.
    pub secrets: &'a BTreeMap<AttrPath, String>,
}

/// Who last wrote a field of a real object (Kubernetes: a `managedFields`
/// entry), to say who caused drift.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldOwner {
    /// The writer's name (a field manager such as `kubectl` or `kubectl-edit`).
    pub manager: String,
    /// When it wrote, RFC 3339, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// What a provider observed of one real object.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The object in the same shape as its recorded attributes (only the
    /// attributes Strata manages), so the two can be compared directly.
    pub attributes: Value,
    /// Owners of attributes that someone other than Strata wrote last.
    pub owners: Vec<(AttrPath, FieldOwner)>,
}

impl Observed {
    /// An observation with no ownership information.
    pub fn plain(attributes: Value) -> Self {
        Observed {
            attributes,
            owners: Vec::new(),
        }
    }

    /// The owner of the attribute at `path`: the entry at that path, or the
    /// nearest one above or below it.
    pub fn owner_of(&self, path: &AttrPath) -> Option<&FieldOwner> {
        self.owners
            .iter()
            .filter(|(p, _)| path.starts_with(p) || p.starts_with(path))
            .max_by_key(|(p, _)| p.0.len())
            .map(|(_, o)| o)
    }
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

    /// Observes many resources at once, for refresh: providers that can read
    /// in batches (one LIST per kind) override this. The default reads one by
    /// one. Returns one result per item, in order.
    async fn read_batch(
        &self,
        items: &[(Address, ResourceState)],
    ) -> Vec<Result<Option<Observed>, ProviderError>> {
        let mut out = Vec::with_capacity(items.len());
        for (address, prior) in items {
            out.push(
                self.read(address, prior)
                    .await
                    .map(|v| v.map(Observed::plain)),
            );
        }
        out
    }

    /// Refines the plan of one resource (e.g. a server-side dry run). The
    /// default adds nothing: the stack's own `force_new` and `computed` rules stand.
    async fn plan(&self, _request: PlanRequest<'_>) -> Result<PlanRefinement, ProviderError> {
        Ok(PlanRefinement::default())
    }

    /// Creates or updates the resource; returns its attributes as applied,
    /// computed values filled in and sensitive values left as placeholders.
    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError>;

    /// Deletes the resource.
    async fn delete(&self, address: &Address, prior: &ResourceState) -> Result<(), ProviderError>;
}
