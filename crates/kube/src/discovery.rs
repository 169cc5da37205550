//! Which kinds the cluster serves, from discovery, cached per group-version.
//! Kinds served by a CRD created moments ago may not be discoverable yet:
//! [`Kinds::wait_for`] looks again, within a bound, until they are.

use crate::retry;
use kube::discovery::ApiResource;
use kube::Client;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use strata_engine::provider::ProviderError;

/// A kind the cluster serves.
#[derive(Clone, Debug)]
pub struct ServedKind {
    /// How to reach it.
    pub resource: ApiResource,
    /// Whether its objects live in namespaces.
    pub namespaced: bool,
}

type GroupKinds = Arc<HashMap<String, ServedKind>>;

/// The discovery cache.
#[derive(Clone)]
pub struct Kinds {
    client: Client,
    cache: Arc<Mutex<HashMap<String, GroupKinds>>>,
    /// One lookup at a time per group-version: the many objects of a kind
    /// that start together share the first one's answer instead of each
    /// asking (and each opening a connection to ask).
    lookups: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Kinds {
    /// An empty cache.
    pub fn new(client: Client) -> Self {
        Kinds {
            client,
            cache: Arc::new(Mutex::new(HashMap::new())),
            lookups: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The kind, if the cluster serves it; looks the group-version up again
    /// when the cached answer does not have it.
    pub async fn find(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<Option<ServedKind>, ProviderError> {
        if let Some(k) = self.cached(api_version, kind) {
            return Ok(Some(k));
        }
        let lookup = self
            .lookups
            .lock()
            .expect("lookups")
            .entry(api_version.to_string())
            .or_default()
            .clone();
        let _one_at_a_time = lookup.lock().await;
        // Whoever looked before us may have brought the kind.
        if let Some(k) = self.cached(api_version, kind) {
            return Ok(Some(k));
        }
        let fresh = self.fetch(api_version).await?;
        let found = fresh.get(kind).cloned();
        self.cache
            .lock()
            .expect("cache")
            .insert(api_version.to_string(), fresh);
        Ok(found)
    }

    fn cached(&self, api_version: &str, kind: &str) -> Option<ServedKind> {
        let cache = self.cache.lock().expect("cache");
        cache.get(api_version).and_then(|g| g.get(kind)).cloned()
    }

    /// The kind, waiting up to `bound` for it to become discoverable (a CRD
    /// applied in the same run needs a moment to be Established).
    pub async fn wait_for(
        &self,
        api_version: &str,
        kind: &str,
        bound: Duration,
    ) -> Result<ServedKind, ProviderError> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            if let Some(k) = self.find(api_version, kind).await? {
                return Ok(k);
            }
            if start.elapsed() >= bound {
                return Err(ProviderError::new(format!(
                    "the cluster does not serve {kind} ({api_version}), even after waiting {}s; install the CRD that provides it (or the chart that ships it) first",
                    bound.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    async fn fetch(&self, api_version: &str) -> Result<GroupKinds, ProviderError> {
        let result = retry::idempotent(|| async {
            if api_version.contains('/') {
                self.client.list_api_group_resources(api_version).await
            } else {
                self.client.list_core_api_resources(api_version).await
            }
        })
        .await;
        let list = match result {
            Ok(l) => l,
            Err(e) if retry::status_code(&e) == Some(404) => return Ok(Arc::new(HashMap::new())),
            Err(e) => {
                return Err(ProviderError::retryable(format!(
                    "discovery of {api_version} failed: {}",
                    retry::describe(&e)
                )))
            }
        };
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        let mut kinds = HashMap::new();
        for r in list.resources {
            if r.name.contains('/') {
                continue;
            }
            kinds.insert(
                r.kind.clone(),
                ServedKind {
                    resource: ApiResource {
                        group: group.clone(),
                        version: version.clone(),
                        api_version: api_version.to_string(),
                        kind: r.kind.clone(),
                        plural: r.name.clone(),
                    },
                    namespaced: r.namespaced,
                },
            );
        }
        Ok(Arc::new(kinds))
    }
}
