//! Plans against the real world: each create or update is shown to its
//! provider (for Kubernetes, a server-side dry-run apply compared with the
//! live object), so the plan says what will really change, adopts objects
//! that exist but are not recorded, and notices objects deleted or changed
//! outside Strata.

use crate::apply::Providers;
use crate::plan::{resolve_parts, Action, Plan, SecretValues};
use crate::provider::{LiveView, PlanRefinement, PlanRequest, ProviderError};
use crate::state::State;
use crate::{AttrPath, DesiredResource, SENSITIVE};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Refines `plan` with what the providers see of the real objects, at most
/// `parallelism` at a time. Objects a provider could not compare keep their
/// stack-only plan, and the returned warnings say why.
pub async fn refine(
    plan: &mut Plan,
    state: Option<&State>,
    providers: &Providers,
    secrets: &(dyn SecretValues + Sync),
    parallelism: usize,
) -> Vec<String> {
    let permits = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut tasks = JoinSet::new();
    for (i, c) in plan.changes.iter().enumerate() {
        let Some(desired) = c.desired.clone() else {
            continue;
        };
        let Some(provider) = providers.get(desired.rtype).cloned() else {
            continue;
        };
        let prior = state.and_then(|s| s.resources.get(&c.address)).cloned();
        let resolved = available_secrets(&desired, secrets);
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let request = PlanRequest {
                desired: &desired,
                prior: prior.as_ref(),
                secrets: &resolved,
            };
            (i, provider.plan(request).await)
        });
    }
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, result) = match joined {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        match result {
            Ok(refinement) => merge(plan, i, refinement),
            Err(ProviderError { message, .. }) => failures
                .entry(message)
                .or_default()
                .push(plan.changes[i].address.to_string()),
        }
    }
    let mut warnings = Vec::new();
    for (message, addresses) in failures {
        warnings.push(format!(
            "{} could not be compared with the real object ({message}); {} planned from the stack and state alone",
            list_some(&addresses),
            if addresses.len() == 1 { "it is" } else { "they are" },
        ));
    }
    warnings
}

/// `a, b, c and 4 more`.
fn list_some(items: &[String]) -> String {
    const SHOWN: usize = 3;
    if items.len() <= SHOWN {
        return items.join(", ");
    }
    format!(
        "{} and {} more",
        items[..SHOWN].join(", "),
        items.len() - SHOWN
    )
}

/// The resource's sensitive values that can be resolved now.
fn available_secrets(
    d: &DesiredResource,
    secrets: &(dyn SecretValues + Sync),
) -> BTreeMap<AttrPath, String> {
    d.sensitive
        .iter()
        .filter_map(|s| match resolve_parts(&s.parts, secrets) {
            Ok(Some(v)) => Some((s.path.clone(), v)),
            _ => None,
        })
        .collect()
}

fn merge(plan: &mut Plan, i: usize, r: PlanRefinement) {
    let c = &mut plan.changes[i];
    let recorded = c.before.is_some() || c.action == Action::NoOp || c.action == Action::Update;
    if let Some(d) = c.desired.as_mut() {
        d.force_new.extend(r.force_new);
        d.computed.extend(r.computed);
    }
    let Some(mut live) = r.live else {
        return;
    };
    hide_secrets(c, &mut live);
    let diff_is_empty = {
        let empty = Value::Object(Default::default());
        let skip: Vec<&AttrPath> = c
            .desired
            .iter()
            .flat_map(|d| d.computed.iter().chain(&d.lifecycle.ignore_changes))
            .collect();
        crate::diff::diff(live.before.as_ref().unwrap_or(&empty), &live.after, &skip).is_empty()
            && c.sensitive_changes.is_empty()
    };
    match (&live.before, c.action) {
        (None, Action::NoOp | Action::Update) if recorded => {
            c.action = Action::Create;
            c.reason = Some("it was deleted outside Strata; it is created again".into());
            c.before = None;
        }
        (Some(_), Action::Create) if c.before.is_none() && c.reason.is_none() => {
            let owners = if live.managers.is_empty() {
                String::new()
            } else {
                format!(
                    "; its fields are owned today by {}",
                    live.managers.join(", ")
                )
            };
            c.reason = Some(format!(
                "it already exists but is not in state: Strata adopts it{owners}"
            ));
        }
        (Some(_), Action::NoOp) if !diff_is_empty => {
            c.action = Action::Update;
            c.reason = Some("it was changed outside Strata; applying restores it".into());
        }
        _ => {}
    }
    if c.action == Action::NoOp {
        return;
    }
    c.live = Some(live);
}

/// Replaces secret values on both sides with the placeholder, noting the
/// paths whose value changes.
fn hide_secrets(c: &mut crate::plan::ResourceChange, live: &mut LiveView) {
    let mut paths: Vec<AttrPath> = live.sensitive.clone();
    paths.extend(
        c.desired
            .iter()
            .flat_map(|d| d.sensitive.iter().map(|s| s.path.clone())),
    );
    paths.sort();
    paths.dedup();
    for p in &paths {
        let before = live.before.as_ref().and_then(|b| p.get(b)).cloned();
        let after = p.get(&live.after).cloned();
        if before != after && before.is_some() && !c.sensitive_changes.contains(p) {
            c.sensitive_changes.push(p.clone());
        }
        let placeholder = Value::String(SENSITIVE.into());
        if let (Some(b), Some(_)) = (live.before.as_mut(), &before) {
            p.set(b, placeholder.clone());
        }
        if after.is_some() {
            p.set(&mut live.after, placeholder);
        }
    }
    live.sensitive = paths;
}
