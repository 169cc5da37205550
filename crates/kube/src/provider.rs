//! The Kubernetes provider: `k8s_object` resources through server-side apply.

use crate::cluster::{Cluster, KubeconfigSource};
use crate::discovery::ServedKind;
use crate::normalize::{normalize, project};
use crate::ownership::ManagedFields;
use crate::retry::{self, describe, status_code};
use crate::wait::{helm_job_name, readiness, Readiness};
use crate::FIELD_MANAGER;
use async_trait::async_trait;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_engine::plan::Action;
use strata_engine::provider::{
    ApplyRequest, LiveView, Observed, PlanRefinement, PlanRequest, Provider, ProviderError,
};
use strata_engine::state::ResourceState;
use strata_engine::{Address, AttrPath, DesiredResource, ResourceType, SecretEncoding};
use tokio::sync::{OnceCell, Semaphore};

/// Where the provider gets the cluster's kubeconfig once it needs it. A
/// kubeconfig file is available at once; a cluster Strata builds itself
/// hands its kubeconfig over only after its first server is up.
#[async_trait]
pub trait KubeconfigAccess: Send + Sync {
    /// The kubeconfig to connect with.
    async fn kubeconfig(&self) -> Result<KubeconfigSource, ProviderError>;
}

#[async_trait]
impl KubeconfigAccess for KubeconfigSource {
    async fn kubeconfig(&self) -> Result<KubeconfigSource, ProviderError> {
        Ok(self.clone())
    }
}

/// Timeouts of the provider.
#[derive(Clone, Debug)]
pub struct KubeSettings {
    /// How long to wait for the API server to answer when connecting.
    pub connect_timeout: Duration,
    /// How long an applied object may take to become ready, or a deleted one to go.
    pub ready_timeout: Duration,
    /// How long to wait for a CRD-served kind to become discoverable.
    pub kind_timeout: Duration,
    /// How many LIST calls a refresh runs at once.
    pub list_parallelism: usize,
}

impl Default for KubeSettings {
    fn default() -> Self {
        KubeSettings {
            connect_timeout: Duration::from_secs(10),
            ready_timeout: Duration::from_secs(600),
            kind_timeout: Duration::from_secs(180),
            list_parallelism: 8,
        }
    }
}

/// The provider of `k8s_object` resources.
pub struct KubeProvider {
    access: Arc<dyn KubeconfigAccess>,
    settings: KubeSettings,
    cluster: OnceCell<Cluster>,
}

/// apiVersion, kind, namespace and name of a manifest.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct ObjectRef {
    api_version: String,
    kind: String,
    namespace: Option<String>,
    name: String,
}

impl ObjectRef {
    fn of(manifest: &Value) -> Result<ObjectRef, ProviderError> {
        let s = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
        let (Some(api_version), Some(kind), Some(name)) = (
            s(&manifest["apiVersion"]),
            s(&manifest["kind"]),
            s(&manifest["metadata"]["name"]),
        ) else {
            return Err(ProviderError::new(
                "the manifest lacks apiVersion, kind or metadata.name",
            ));
        };
        Ok(ObjectRef {
            api_version,
            kind,
            namespace: s(&manifest["metadata"]["namespace"]),
            name,
        })
    }

    fn show(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

impl KubeProvider {
    /// A provider that connects, on first use, to the cluster `access` names.
    pub fn new(access: Arc<dyn KubeconfigAccess>, settings: KubeSettings) -> Self {
        KubeProvider {
            access,
            settings,
            cluster: OnceCell::new(),
        }
    }

    /// The connected cluster, connecting on first use. A failure is not
    /// remembered: the next call tries again (the cluster may be coming up).
    pub async fn cluster(&self) -> Result<&Cluster, ProviderError> {
        self.cluster
            .get_or_try_init(|| async {
                let source = self.access.kubeconfig().await?;
                Cluster::connect(&source, self.settings.connect_timeout).await
            })
            .await
    }

    /// The API of `r`'s kind, in its namespace when the kind is namespaced.
    /// `wait` bounds how long to wait for a CRD-served kind to appear; `None`
    /// answers at once (`Ok(None)` when the kind is not served).
    async fn api(
        &self,
        r: &ObjectRef,
        wait: Option<Duration>,
    ) -> Result<Option<(Api<DynamicObject>, ServedKind)>, ProviderError> {
        let cluster = self.cluster().await?;
        let served = match wait {
            Some(bound) => Some(
                cluster
                    .kinds
                    .wait_for(&r.api_version, &r.kind, bound)
                    .await?,
            ),
            None => cluster.kinds.find(&r.api_version, &r.kind).await?,
        };
        Ok(served.map(|k| {
            let api = if k.namespaced {
                let ns = r.namespace.as_deref().unwrap_or("default");
                Api::namespaced_with(cluster.client.clone(), ns, &k.resource)
            } else {
                Api::all_with(cluster.client.clone(), &k.resource)
            };
            (api, k)
        }))
    }

    async fn get(
        &self,
        api: &Api<DynamicObject>,
        r: &ObjectRef,
    ) -> Result<Option<Value>, ProviderError> {
        let got = retry::idempotent(|| api.get_opt(&r.name)).await;
        match got {
            Ok(Some(o)) => Ok(Some(to_value(o))),
            Ok(None) => Ok(None),
            Err(e) => Err(failure(&format!("reading {}", r.show()), &e)),
        }
    }

    /// Server-side apply of `body` (force: Strata's stack is the authority
    /// for the fields it sets); `dry_run` asks the server what it would store.
    async fn server_side_apply(
        &self,
        api: &Api<DynamicObject>,
        r: &ObjectRef,
        body: &Value,
        dry_run: bool,
    ) -> Result<Value, kube::Error> {
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        params.dry_run = dry_run;
        let patch = Patch::Apply(body);
        retry::idempotent(|| api.patch(&r.name, &params, &patch))
            .await
            .map(to_value)
    }

    /// Waits until the applied object is ready.
    async fn wait_ready(
        &self,
        api: &Api<DynamicObject>,
        r: &ObjectRef,
    ) -> Result<(), ProviderError> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            let Some(obj) = self.get(api, r).await? else {
                return Err(ProviderError::new(format!(
                    "{} disappeared right after it was applied; something else deletes it",
                    r.show()
                )));
            };
            let state = if r.kind == "HelmChart" && r.api_version.starts_with("helm.cattle.io/") {
                self.helm_install_state(&obj).await?
            } else {
                readiness(&r.kind, &obj)
            };
            match state {
                Readiness::Ready => return Ok(()),
                Readiness::Failed(why) => {
                    return Err(ProviderError::new(format!(
                        "{} is not ready: {why}",
                        r.show()
                    )))
                }
                Readiness::Waiting(what) => {
                    if start.elapsed() >= self.settings.ready_timeout {
                        return Err(ProviderError::new(format!(
                            "{} was applied but is not ready after {}s: still waiting for {what}",
                            r.show(),
                            self.settings.ready_timeout.as_secs()
                        )));
                    }
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// A HelmChart is ready once the Helm controller's install Job succeeded.
    async fn helm_install_state(&self, chart: &Value) -> Result<Readiness, ProviderError> {
        let job = ObjectRef {
            api_version: "batch/v1".into(),
            kind: "Job".into(),
            namespace: chart["metadata"]["namespace"].as_str().map(str::to_string),
            name: helm_job_name(chart),
        };
        let Some((api, _)) = self.api(&job, None).await? else {
            return Ok(Readiness::Waiting("the Helm controller".into()));
        };
        Ok(match self.get(&api, &job).await? {
            None => Readiness::Waiting(format!("the Helm controller to start Job {}", job.name)),
            Some(j) => match readiness("Job", &j) {
                Readiness::Failed(why) => Readiness::Failed(format!(
                    "the chart's install Job {} failed: {why}",
                    job.name
                )),
                Readiness::Waiting(_) => {
                    Readiness::Waiting(format!("the chart's install Job {}", job.name))
                }
                Readiness::Ready => Readiness::Ready,
            },
        })
    }

    /// LISTs one kind in one namespace (or cluster-wide), page by page. The
    /// items are read straight into JSON values: going through typed objects
    /// and back would cost more than the request itself for large lists.
    async fn list(&self, r: &ObjectRef) -> Result<Option<HashMap<String, Value>>, ProviderError> {
        let Some((api, _)) = self.api(r, None).await? else {
            return Ok(None);
        };
        let client = self.cluster().await?.client.clone();
        let request = kube::core::Request::new(api.resource_url());
        let mut params = ListParams::default().limit(500);
        // Each page is parsed on another thread while the next is fetched.
        let mut pages = Vec::new();
        loop {
            let text = retry::idempotent(|| async {
                let mut req = request.list(&params).map_err(kube::Error::BuildRequest)?;
                req.extensions_mut().insert("list");
                client.request_text(req).await
            })
            .await
            .map_err(|e| failure(&format!("listing {} objects", r.kind), &e))?;
            let head: RawListHead = serde_json::from_str(&text).map_err(|e| bad_list(r, &e))?;
            pages.push(tokio::task::spawn_blocking(move || {
                serde_json::from_str::<RawList>(&text)
            }));
            match head.metadata.continue_ {
                Some(token) if !token.is_empty() => params = params.continue_token(&token),
                _ => break,
            }
        }
        let mut out = HashMap::new();
        for page in pages {
            let page = page
                .await
                .map_err(|e| {
                    ProviderError::new(format!("reading a page of {} objects: {e}", r.kind))
                })?
                .map_err(|e| bad_list(r, &e))?;
            out.reserve(page.items.len());
            for v in page.items {
                if let Some(n) = v["metadata"]["name"].as_str() {
                    out.insert(n.to_string(), v);
                }
            }
        }
        Ok(Some(out))
    }
}

/// A LIST answer that is not a list.
fn bad_list(r: &ObjectRef, e: &serde_json::Error) -> ProviderError {
    ProviderError::new(format!(
        "listing {} objects: the API server answered with something that is not a list: {e}",
        r.kind
    ))
}

/// The head of a LIST page: what is needed to ask for the next one.
#[derive(serde::Deserialize)]
struct RawListHead {
    #[serde(default)]
    metadata: RawListMeta,
}

/// One page of a LIST, its items left as JSON.
#[derive(serde::Deserialize)]
struct RawList {
    #[serde(default)]
    items: Vec<Value>,
}

/// The part of a list's metadata paging needs.
#[derive(serde::Deserialize, Default)]
struct RawListMeta {
    #[serde(rename = "continue", default)]
    continue_: Option<String>,
}

/// An object as JSON.
fn to_value(o: DynamicObject) -> Value {
    serde_json::to_value(o).unwrap_or(Value::Null)
}

/// A failed call in an operator's words; retryable failures stay marked so.
fn failure(doing: &str, e: &kube::Error) -> ProviderError {
    let message = format!("{doing}: {}", describe(e));
    if retry::retryable(e) {
        ProviderError::retryable(format!(
            "{message} (the API server kept failing; try again)"
        ))
    } else {
        ProviderError::new(message)
    }
}

/// The manifest with secrets filled in, encoded as the stack asked.
fn with_secrets(
    d: &DesiredResource,
    secrets: &BTreeMap<AttrPath, String>,
    live: Option<&Value>,
) -> Value {
    use base64::Engine;
    let mut body = d.attributes.clone();
    for s in &d.sensitive {
        match secrets.get(&s.path) {
            Some(v) => {
                let v = match s.encoding {
                    SecretEncoding::Plain => v.clone(),
                    SecretEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(v),
                };
                s.path.set(&mut body, Value::String(v));
            }
            None => {
                // Not available to this run: treated as unchanged.
                match live.and_then(|l| s.path.get(l)) {
                    Some(v) => {
                        s.path.set(&mut body, v.clone());
                    }
                    None => {
                        remove_path(&mut body, &s.path);
                    }
                }
            }
        }
    }
    body
}

fn remove_path(v: &mut Value, path: &AttrPath) {
    use strata_engine::path::Segment;
    let Some((last, parent)) = path.0.split_last() else {
        return;
    };
    let parent = AttrPath(parent.to_vec());
    let mut at = v;
    for seg in &parent.0 {
        at = match (seg, at) {
            (Segment::Key(k), Value::Object(m)) => match m.get_mut(k) {
                Some(x) => x,
                None => return,
            },
            (Segment::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                Some(x) => x,
                None => return,
            },
            _ => return,
        };
    }
    match (last, at) {
        (Segment::Key(k), Value::Object(m)) => {
            m.remove(k);
        }
        (Segment::Index(i), Value::Array(a)) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

/// Attributes the stack asks Strata to leave alone (`ignore_changes`, e.g. the
/// replica count an autoscaler owns): once the object exists, a field someone
/// else owns is left out of the apply (so Strata stops owning it), and one
/// only Strata owns keeps its live value (so applying never changes it).
fn leave_ignored_alone(body: &mut Value, d: &DesiredResource, live: Option<&Value>) {
    let Some(live) = live else {
        return;
    };
    let managed = ManagedFields::of(live);
    let others = managed.others(FIELD_MANAGER);
    for p in &d.lifecycle.ignore_changes {
        let owned_by_others = others.iter().any(|m| managed.owns(m, live, &p.0));
        match p.get(live) {
            Some(v) if !owned_by_others => {
                p.set(body, v.clone());
            }
            _ => remove_path(body, p),
        }
    }
}

/// A live Secret as seen by a manifest that sets `stringData`: the API server
/// folds `stringData` into `data` (base64) and never returns it, so the keys the
/// manifest sets there are read back from `data`, decoded.
fn with_string_data<'a>(manifest: &Value, live: &'a Value) -> Cow<'a, Value> {
    use base64::Engine;
    let Some(wanted) = manifest.get("stringData").and_then(Value::as_object) else {
        return Cow::Borrowed(live);
    };
    if manifest.get("kind").and_then(Value::as_str) != Some("Secret")
        || live.get("stringData").is_some()
    {
        return Cow::Borrowed(live);
    }
    let mut view = serde_json::Map::new();
    for k in wanted.keys() {
        let decoded = live["data"][k]
            .as_str()
            .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
            .and_then(|b| String::from_utf8(b).ok());
        if let Some(text) = decoded {
            view.insert(k.clone(), Value::String(text));
        }
    }
    if view.is_empty() {
        return Cow::Borrowed(live);
    }
    let mut live = live.clone();
    live["stringData"] = Value::Object(view);
    Cow::Owned(live)
}

/// The `data`/`stringData` entries of a Secret on either side.
fn secret_paths(kind: &str, sides: &[Option<&Value>]) -> Vec<AttrPath> {
    if kind != "Secret" {
        return Vec::new();
    }
    let mut out = Vec::new();
    for v in sides.iter().flatten() {
        for field in ["data", "stringData"] {
            if let Some(m) = v[field].as_object() {
                for k in m.keys() {
                    let p = AttrPath::root().key(field).key(k);
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
        }
    }
    out
}

#[async_trait]
impl Provider for KubeProvider {
    fn types(&self) -> &[ResourceType] {
        &[ResourceType::K8sObject]
    }

    async fn read(
        &self,
        address: &Address,
        prior: &ResourceState,
    ) -> Result<Option<Value>, ProviderError> {
        let mut out = self.read_batch(&[(address.clone(), prior.clone())]).await;
        out.pop()
            .expect("one result per item")
            .map(|o| o.map(|o| o.attributes))
    }

    async fn read_batch(
        &self,
        items: &[(Address, ResourceState)],
    ) -> Vec<Result<Option<Observed>, ProviderError>> {
        // One LIST per kind and namespace, a few at a time.
        let mut refs = Vec::with_capacity(items.len());
        let mut groups: BTreeMap<ObjectRef, ()> = BTreeMap::new();
        for (_, prior) in items {
            let r = ObjectRef::of(&prior.attributes);
            if let Ok(r) = &r {
                groups.insert(group_of(r), ());
            }
            refs.push(r);
        }
        if let Err(e) = self.cluster().await {
            return items.iter().map(|_| Err(e.clone())).collect();
        }
        let permits = Arc::new(Semaphore::new(self.settings.list_parallelism.max(1)));
        let lists = futures::future::join_all(groups.into_keys().map(|g| {
            let permits = permits.clone();
            async move {
                let _p = permits.acquire_owned().await;
                let listed = self.list(&g).await;
                (g, listed)
            }
        }))
        .await;
        let mut lists: HashMap<ObjectRef, Result<Option<HashMap<String, Value>>, ProviderError>> =
            lists.into_iter().collect();
        // Pair each item with its live object (each object is in state once:
        // take it rather than copy it), then compare on every core.
        let found: Vec<Result<Option<Value>, ProviderError>> = refs
            .into_iter()
            .map(|r| {
                let r = r?;
                match lists.get_mut(&group_of(&r)).expect("listed every group") {
                    Err(e) => Err(e.clone()),
                    // The kind is not served any more (its CRD is gone): so is the object.
                    Ok(None) => Ok(None),
                    Ok(Some(objects)) => Ok(objects.remove(&r.name)),
                }
            })
            .collect();
        let pairs: Vec<_> = found.into_iter().zip(items).collect();
        strata_engine::parallel::map(pairs, |(found, (_, prior))| {
            found.map(|live| {
                live.map(|mut live| {
                    let managed = ManagedFields::take(&mut live);
                    let live = &with_string_data(&prior.attributes, &live);
                    let p = project(&prior.attributes, live, &managed, FIELD_MANAGER);
                    Observed {
                        attributes: p.attributes,
                        owners: p.owners,
                    }
                })
            })
        })
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanRefinement, ProviderError> {
        let d = request.desired;
        let r = ObjectRef::of(&d.attributes)?;
        let Some((api, served)) = self.api(&r, None).await? else {
            // Served only once its CRD is applied: nothing to compare yet.
            return Ok(PlanRefinement::default());
        };
        let live = self.get(&api, &r).await?;
        let mut body = with_secrets(d, request.secrets, live.as_ref());
        leave_ignored_alone(&mut body, d, live.as_ref());
        let secrets_missing = d
            .sensitive
            .iter()
            .any(|s| !request.secrets.contains_key(&s.path));
        let after = if secrets_missing && live.is_none() {
            // A dry run needs the real values; show the manifest itself.
            d.attributes.clone()
        } else {
            match self.server_side_apply(&api, &r, &body, true).await {
                Ok(v) => v,
                Err(e) if status_code(&e) == Some(404) && served.namespaced => {
                    // Its namespace does not exist yet (it is created in the same apply).
                    d.attributes.clone()
                }
                Err(e) => {
                    return Err(ProviderError::new(format!(
                        "the API server would reject {}: {}",
                        r.show(),
                        describe(&e)
                    )))
                }
            }
        };
        let managers = live
            .as_ref()
            .map(|l| ManagedFields::of(l).others(FIELD_MANAGER))
            .unwrap_or_default();
        let mut before = live;
        let mut after = after;
        if let Some(b) = before.as_mut() {
            normalize(b);
        }
        normalize(&mut after);
        let sensitive = secret_paths(&r.kind, &[before.as_ref(), Some(&after)]);
        Ok(PlanRefinement {
            live: Some(LiveView {
                before,
                after,
                managers,
                sensitive,
            }),
            ..Default::default()
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let d = request.desired;
        let r = ObjectRef::of(&d.attributes)?;
        let (api, _) = self
            .api(&r, Some(self.settings.kind_timeout))
            .await?
            .expect("waiting for the kind returns it or fails");
        let live = if d.lifecycle.ignore_changes.is_empty() || request.action == Action::Create {
            None
        } else {
            self.get(&api, &r).await?
        };
        let mut body = with_secrets(d, request.secrets, None);
        leave_ignored_alone(&mut body, d, live.as_ref());
        self.server_side_apply(&api, &r, &body, false)
            .await
            .map_err(|e| match status_code(&e) {
                Some(422) | Some(400) => ProviderError::new(format!(
                    "the API server rejected {}: {}",
                    r.show(),
                    describe(&e)
                )),
                Some(404) => ProviderError::new(format!(
                    "cannot apply {}: {}; does its namespace exist?",
                    r.show(),
                    describe(&e)
                )),
                _ => failure(&format!("applying {}", r.show()), &e),
            })?;
        self.wait_ready(&api, &r).await?;
        Ok(d.attributes.clone())
    }

    async fn delete(&self, _address: &Address, prior: &ResourceState) -> Result<(), ProviderError> {
        let r = ObjectRef::of(&prior.attributes)?;
        let Some((api, _)) = self.api(&r, None).await? else {
            // Its kind is gone (the CRD was deleted), and with it the object.
            return Ok(());
        };
        let params = DeleteParams::background();
        let deleted = retry::idempotent(|| api.delete(&r.name, &params)).await;
        match deleted {
            Ok(_) => {}
            Err(e) if status_code(&e) == Some(404) => return Ok(()),
            Err(e) => return Err(failure(&format!("deleting {}", r.show()), &e)),
        }
        let start = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            match self.get(&api, &r).await? {
                None => return Ok(()),
                Some(obj) if start.elapsed() >= self.settings.ready_timeout => {
                    let finalizers = obj["metadata"]["finalizers"].to_string();
                    return Err(ProviderError::new(format!(
                        "{} is still Terminating after {}s (finalizers: {finalizers}); whatever owns those finalizers has not released them",
                        r.show(),
                        self.settings.ready_timeout.as_secs()
                    )));
                }
                Some(_) => {}
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }
}

/// The LIST that finds `r`: its kind in its namespace.
fn group_of(r: &ObjectRef) -> ObjectRef {
    ObjectRef {
        name: String::new(),
        ..r.clone()
    }
}
