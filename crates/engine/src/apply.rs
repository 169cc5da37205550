//! The apply walker: runs a plan's changes with bounded parallelism, each
//! resource once its dependencies succeeded, recording intent in state before
//! every change and the result right after.

use crate::plan::{resolve_parts, Action, Plan, ResourceChange, SecretValues};
use crate::provider::{ApplyRequest, Provider, ProviderError};
use crate::state::{
    fingerprint, OutputState, Record, ResourceState, ResourceStatus, State, StateError, StateWriter,
};
use crate::{Address, AttrPath, ResourceType, SENSITIVE};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::task::JoinSet;

pub use crate::state::MemoryStore;

/// Providers by the resource types they handle.
#[derive(Default, Clone)]
pub struct Providers(BTreeMap<ResourceType, Arc<dyn Provider>>);

impl Providers {
    /// Registers a provider for every type it declares.
    pub fn register(&mut self, p: Arc<dyn Provider>) {
        for t in p.types() {
            self.0.insert(*t, p.clone());
        }
    }

    /// The provider of a type.
    pub fn get(&self, t: ResourceType) -> Option<&Arc<dyn Provider>> {
        self.0.get(&t)
    }
}

/// What the walker reports as it goes, for progress displays.
#[derive(Clone, Debug, PartialEq)]
pub enum ApplyEvent {
    /// A change started.
    Started {
        /// The resource.
        address: Address,
        /// What is being done.
        action: Action,
    },
    /// A change finished.
    Finished {
        /// The resource.
        address: Address,
        /// What was done.
        action: Action,
        /// How long it took.
        elapsed: std::time::Duration,
        /// Why it failed, if it did.
        error: Option<String>,
    },
}

/// A receiver of [`ApplyEvent`]s.
#[derive(Clone)]
pub struct EventSink(pub Arc<dyn Fn(&ApplyEvent) + Send + Sync>);

impl std::fmt::Debug for EventSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventSink")
    }
}

/// Options of an apply run.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// How many changes may run at once.
    pub parallelism: usize,
    /// Set to stop scheduling new changes (Ctrl-C); running ones finish.
    pub stop: Arc<AtomicBool>,
    /// Where progress goes, if anywhere.
    pub events: Option<EventSink>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 10,
            stop: Arc::new(AtomicBool::new(false)),
            events: None,
        }
    }
}

impl ApplyOptions {
    fn emit(&self, e: ApplyEvent) {
        if let Some(sink) = &self.events {
            (sink.0)(&e);
        }
    }
}

/// What an apply run did.
#[derive(Debug, Default, PartialEq)]
pub struct ApplyOutcome {
    /// Changes that succeeded, in completion order.
    pub succeeded: Vec<Address>,
    /// Changes that failed, with the provider's message.
    pub failed: Vec<(Address, String)>,
    /// Changes not run because a dependency failed or the run was stopped.
    pub skipped: Vec<Address>,
}

struct Done {
    index: usize,
    result: Result<Option<Value>, ProviderError>,
    elapsed: std::time::Duration,
}

/// Applies `plan` to `state`, recording through `writer` the intent of every
/// change before it runs and its result right after: the intents of the
/// changes started together and the results that completed together go in
/// one durable batch (group commit). `state` follows every batch (serial
/// included); call [`StateWriter::finish`] with it afterwards to compact.
/// Returns what happened; state errors abort the run.
pub async fn apply(
    plan: &Plan,
    state: &mut State,
    writer: &mut dyn StateWriter,
    providers: &Providers,
    secrets: &(dyn SecretValues + Sync),
    opts: &ApplyOptions,
) -> Result<ApplyOutcome, StateError> {
    let changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    let index: HashMap<&Address, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (&c.address, i))
        .collect();
    // waiting[i]: how many changes i still waits for; dependents[j]: who waits for j.
    let mut waiting = vec![0usize; changes.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    for (i, c) in changes.iter().enumerate() {
        let deps: Vec<&Address> = match &c.desired {
            Some(d) => d.depends_on.iter().collect(),
            None => state
                .resources
                .iter()
                .filter(|(_, s)| s.dependencies.contains(&c.address))
                .map(|(a, _)| a)
                .collect(),
        };
        for d in deps {
            if let Some(&j) = index.get(d) {
                let same_phase =
                    (changes[j].action == Action::Delete) == (c.action == Action::Delete);
                if same_phase {
                    waiting[i] += 1;
                    dependents[j].push(i);
                }
            }
        }
    }
    let mut non_deletes_left = changes
        .iter()
        .filter(|c| c.action != Action::Delete)
        .count();
    let mut ready: std::collections::BTreeSet<usize> =
        (0..changes.len()).filter(|&i| waiting[i] == 0).collect();
    let mut blocked = vec![false; changes.len()];
    let mut outcome = ApplyOutcome::default();
    let mut running = JoinSet::new();
    // Records not yet durable: results of finished changes, then intents of
    // the changes about to start. Written as one batch before any starts.
    let mut batch: Vec<Record> = Vec::new();
    loop {
        let mut starting = Vec::new();
        while running.len() + starting.len() < opts.parallelism.max(1)
            && !opts.stop.load(Ordering::SeqCst)
        {
            let next = ready
                .iter()
                .copied()
                .find(|&i| changes[i].action != Action::Delete || non_deletes_left == 0);
            let Some(i) = next else { break };
            ready.remove(&i);
            let c = changes[i];
            let Some(provider) = providers.get(c.rtype).cloned() else {
                fail(
                    i,
                    format!("no provider handles {} resources", c.rtype),
                    &changes,
                    &mut outcome,
                    &mut blocked,
                    &dependents,
                );
                if c.action != Action::Delete {
                    non_deletes_left -= 1;
                }
                continue;
            };
            let resolved = match resolve_all(c, secrets) {
                Ok(r) => r,
                Err(e) => {
                    fail(i, e, &changes, &mut outcome, &mut blocked, &dependents);
                    if c.action != Action::Delete {
                        non_deletes_left -= 1;
                    }
                    continue;
                }
            };
            batch.push(record_intent(state, c));
            let prior = state.resources.get(&c.address).cloned();
            starting.push((i, provider, resolved, plan_prior(c, prior)));
        }
        if !batch.is_empty() {
            state.serial = writer.append(std::mem::take(&mut batch)).await?;
        }
        for (i, provider, resolved, prior_before) in starting {
            let c = changes[i];
            let desired = c.desired.clone();
            let action = c.action;
            let address = c.address.clone();
            opts.emit(ApplyEvent::Started {
                address: address.clone(),
                action,
            });
            running.spawn(async move {
                let started = std::time::Instant::now();
                let result = run_one(
                    &*provider,
                    &address,
                    action,
                    desired.as_ref(),
                    prior_before.as_ref(),
                    &resolved,
                )
                .await;
                Done {
                    index: i,
                    result,
                    elapsed: started.elapsed(),
                }
            });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        // Everything else that finished meanwhile joins the same batch.
        let mut finished = vec![joined];
        while let Some(j) = running.try_join_next() {
            finished.push(j);
        }
        for joined in finished {
            let done = match joined {
                Ok(d) => d,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            };
            let c = changes[done.index];
            if c.action != Action::Delete {
                non_deletes_left -= 1;
            }
            opts.emit(ApplyEvent::Finished {
                address: c.address.clone(),
                action: c.action,
                elapsed: done.elapsed,
                error: done.result.as_ref().err().map(|e| e.message.clone()),
            });
            match done.result {
                Ok(applied) => {
                    batch.push(record_success(state, c, applied, secrets));
                    outcome.succeeded.push(c.address.clone());
                    for &k in &dependents[done.index] {
                        waiting[k] -= 1;
                        if waiting[k] == 0 && !blocked[k] {
                            ready.insert(k);
                        }
                    }
                }
                Err(e) => {
                    batch.extend(record_failure(state, c, &e));
                    fail(
                        done.index,
                        e.message,
                        &changes,
                        &mut outcome,
                        &mut blocked,
                        &dependents,
                    );
                }
            }
        }
    }
    if outcome.failed.is_empty() && !opts.stop.load(Ordering::SeqCst) {
        if let Some(outputs) = new_outputs(plan) {
            batch.push(Record::Outputs { outputs });
        }
    }
    if !batch.is_empty() {
        for r in &batch {
            if let Record::Outputs { outputs } = r {
                state.outputs = outputs.clone();
            }
        }
        state.serial = writer.append(batch).await?;
    }
    for (i, c) in changes.iter().enumerate() {
        let finished = outcome.succeeded.contains(&c.address)
            || outcome.failed.iter().any(|(a, _)| a == &c.address);
        if !finished && !outcome.skipped.contains(&c.address) {
            let _ = i;
            outcome.skipped.push(c.address.clone());
        }
    }
    Ok(outcome)
}

fn plan_prior(c: &ResourceChange, current: Option<ResourceState>) -> Option<ResourceState> {
    // The intent record replaced attributes only for creates; the prior is what
    // existed before this run.
    match c.action {
        Action::Create => None,
        _ => current,
    }
}

async fn run_one(
    provider: &dyn Provider,
    address: &Address,
    action: Action,
    desired: Option<&crate::DesiredResource>,
    prior: Option<&ResourceState>,
    secrets: &BTreeMap<AttrPath, String>,
) -> Result<Option<Value>, ProviderError> {
    match (action, desired) {
        (Action::Delete, _) => {
            let prior = prior.ok_or_else(|| {
                ProviderError::new(format!("{address}: nothing recorded to delete"))
            })?;
            provider.delete(address, prior).await.map(|_| None)
        }
        (Action::Replace, Some(d)) => {
            if let Some(p) = prior {
                provider.delete(address, p).await?;
            }
            let req = ApplyRequest {
                desired: d,
                prior: None,
                action: Action::Create,
                secrets,
            };
            provider.apply(req).await.map(Some)
        }
        (_, Some(d)) => {
            let req = ApplyRequest {
                desired: d,
                prior,
                action,
                secrets,
            };
            provider.apply(req).await.map(Some)
        }
        (_, None) => Err(ProviderError::new(format!(
            "{address}: no desired attributes"
        ))),
    }
}

fn resolve_all(
    c: &ResourceChange,
    secrets: &dyn SecretValues,
) -> Result<BTreeMap<AttrPath, String>, String> {
    let mut out = BTreeMap::new();
    for s in c.desired.iter().flat_map(|d| &d.sensitive) {
        match resolve_parts(&s.parts, secrets)? {
            Some(v) => {
                out.insert(s.path.clone(), v);
            }
            None => {
                return Err(format!(
                    "{}: a secret used at {} is not available; set it and run apply again",
                    c.address, s.path
                ))
            }
        }
    }
    Ok(out)
}

/// The outputs after a complete run, when they change.
fn new_outputs(plan: &Plan) -> Option<BTreeMap<String, OutputState>> {
    if plan.output_changes.iter().all(|o| o.action == Action::NoOp) {
        return None;
    }
    Some(
        plan.output_changes
            .iter()
            .filter_map(|o| {
                let value = o.after.clone()?;
                Some((
                    o.name.clone(),
                    OutputState {
                        value,
                        sensitive: o.sensitive,
                    },
                ))
            })
            .collect(),
    )
}

fn record_intent(state: &mut State, c: &ResourceChange) -> Record {
    let pending = ResourceStatus::Pending {
        action: match c.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::NoOp => "no-op",
        }
        .to_string(),
    };
    match state.resources.get_mut(&c.address) {
        Some(r) => r.status = pending,
        None => {
            let d = c
                .desired
                .as_ref()
                .expect("creates carry desired attributes");
            state.resources.insert(
                c.address.clone(),
                ResourceState {
                    rtype: d.rtype,
                    attributes: d.attributes.clone(),
                    sensitive: BTreeMap::new(),
                    dependencies: d.depends_on.clone(),
                    status: pending,
                    protect: d.lifecycle.protect,
                },
            );
        }
    }
    Record::Intent {
        address: c.address.clone(),
        resource: state.resources[&c.address].clone(),
    }
}

fn record_success(
    state: &mut State,
    c: &ResourceChange,
    applied: Option<Value>,
    secrets: &dyn SecretValues,
) -> Record {
    let Some(d) = &c.desired else {
        state.resources.remove(&c.address);
        return Record::Removal {
            address: c.address.clone(),
        };
    };
    let mut attributes = applied.unwrap_or_else(|| d.attributes.clone());
    let mut sensitive = BTreeMap::new();
    for s in &d.sensitive {
        s.path.set(&mut attributes, Value::String(SENSITIVE.into()));
        if let Ok(Some(v)) = resolve_parts(&s.parts, secrets) {
            sensitive.insert(s.path.to_string(), fingerprint(&state.lineage, &s.path, &v));
        }
    }
    let resource = ResourceState {
        rtype: d.rtype,
        attributes,
        sensitive,
        dependencies: d.depends_on.clone(),
        status: ResourceStatus::Ready,
        protect: d.lifecycle.protect,
    };
    state.resources.insert(c.address.clone(), resource.clone());
    Record::Result {
        address: c.address.clone(),
        resource,
    }
}

fn record_failure(state: &mut State, c: &ResourceChange, e: &ProviderError) -> Option<Record> {
    let r = state.resources.get_mut(&c.address)?;
    r.status = match c.action {
        // A failed create or replace may have left something behind.
        Action::Create | Action::Replace => ResourceStatus::Tainted {
            reason: e.message.clone(),
        },
        // A failed update or delete leaves the recorded object as it was; the
        // next plan shows the same change again.
        _ => ResourceStatus::Ready,
    };
    Some(Record::Result {
        address: c.address.clone(),
        resource: r.clone(),
    })
}

fn fail(
    i: usize,
    message: String,
    changes: &[&ResourceChange],
    outcome: &mut ApplyOutcome,
    blocked: &mut [bool],
    dependents: &[Vec<usize>],
) {
    outcome.failed.push((changes[i].address.clone(), message));
    let mut stack = dependents[i].clone();
    while let Some(k) = stack.pop() {
        if !blocked[k] {
            blocked[k] = true;
            stack.extend(dependents[k].iter().copied());
        }
    }
}
