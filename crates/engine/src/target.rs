//! Narrowing a plan: `--target ADDRESS` (a resource or a whole component, with
//! what it needs, or for deletes what needs it) and `--replace ADDRESS`.

use crate::plan::{Action, Plan, PlanError};
use crate::state::State;
use crate::Address;
use std::collections::{BTreeSet, HashMap};

/// The reason of a replacement asked for with `--replace`.
pub const REPLACE_REQUESTED: &str = "replacement requested with --replace";

/// Keeps only the changes `targets` select. Creates and updates keep their
/// dependencies too (a Deployment needs its namespace); deletes keep the
/// resources that depend on the target (they must go first). Output changes
/// are dropped: a targeted run does not update outputs.
pub fn select_targets(
    plan: &mut Plan,
    targets: &[String],
    state: Option<&State>,
) -> Result<(), String> {
    if targets.is_empty() {
        return Ok(());
    }
    let mut unknown = Vec::new();
    let mut keep: BTreeSet<Address> = BTreeSet::new();
    for t in targets {
        let hits: Vec<&Address> = plan
            .changes
            .iter()
            .map(|c| &c.address)
            .filter(|a| a.matches(t))
            .collect();
        if hits.is_empty() {
            unknown.push(t.clone());
        }
        keep.extend(hits.into_iter().cloned());
    }
    if !unknown.is_empty() {
        let known: Vec<&str> = plan.changes.iter().map(|c| c.address.as_str()).collect();
        let hints: Vec<String> = unknown
            .iter()
            .map(|u| match closest(u, &known) {
                Some(s) => format!("`{u}` (did you mean `{s}`?)"),
                None => format!("`{u}`"),
            })
            .collect();
        return Err(format!(
            "--target {} names no resource of the stack or its state\n  hint: `strata state list` and `strata plan` show every address",
            hints.join(", ")
        ));
    }
    // Dependencies of kept creates/updates, dependents of kept deletes.
    let deps: HashMap<&Address, Vec<&Address>> = plan
        .changes
        .iter()
        .filter_map(|c| {
            c.desired
                .as_ref()
                .map(|d| (&c.address, d.depends_on.iter().collect()))
        })
        .collect();
    let mut stack: Vec<Address> = keep.iter().cloned().collect();
    while let Some(a) = stack.pop() {
        let is_delete = plan
            .changes
            .iter()
            .any(|c| c.address == a && c.action == Action::Delete);
        let next: Vec<Address> = if is_delete {
            state
                .map(|s| {
                    s.resources
                        .iter()
                        .filter(|(_, r)| r.dependencies.contains(&a))
                        .map(|(x, _)| x.clone())
                        .collect()
                })
                .unwrap_or_default()
        } else {
            deps.get(&a)
                .map(|v| v.iter().map(|x| (*x).clone()).collect())
                .unwrap_or_default()
        };
        for n in next {
            if keep.insert(n.clone()) {
                stack.push(n);
            }
        }
    }
    plan.changes.retain(|c| keep.contains(&c.address));
    plan.output_changes.clear();
    plan.warnings.push(format!(
        "only part of the stack is planned (--target {}): the rest may not match it afterwards; run a full plan to see everything",
        targets.join(", ")
    ));
    Ok(())
}

/// Turns the changes of `addresses` into replacements (`--replace`).
pub fn force_replace(
    plan: &mut Plan,
    addresses: &[String],
    state: Option<&State>,
) -> Result<(), Vec<PlanError>> {
    let mut errors = Vec::new();
    for a in addresses {
        let Some(c) = plan.changes.iter_mut().find(|c| c.address.as_str() == a) else {
            errors.push(PlanError::Graph(format!(
                "--replace {a} names no resource of the stack\n  hint: `strata state list` shows the addresses in state"
            )));
            continue;
        };
        let prior = state.and_then(|s| s.resources.get(&c.address));
        match (c.action, prior) {
            (Action::Delete, _) => errors.push(PlanError::Graph(format!(
                "--replace {a}: it is no longer in the stack, so it can only be deleted"
            ))),
            (Action::Create, _) | (_, None) => {}
            (_, Some(p)) => {
                if p.protect || c.desired.as_ref().is_some_and(|d| d.lifecycle.protect) {
                    errors.push(PlanError::Protected {
                        address: c.address.clone(),
                        verb: "replaced",
                        hint: "--replace was asked for; to go ahead, set protect = false on the resource first".into(),
                    });
                    continue;
                }
                c.action = Action::Replace;
                c.reason = Some(REPLACE_REQUESTED.into());
                if c.before.is_none() {
                    c.before = Some(p.attributes.clone());
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn closest<'a>(needle: &str, haystack: &[&'a str]) -> Option<&'a str> {
    haystack
        .iter()
        .copied()
        .map(|h| {
            let common = needle
                .chars()
                .zip(h.chars())
                .take_while(|(a, b)| a == b)
                .count();
            (common, h)
        })
        .filter(|(c, _)| *c >= 3)
        .max_by_key(|(c, _)| *c)
        .map(|(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{plan, DesiredOutput, NoSecrets, PlanInput};
    use crate::{DesiredResource, ResourceType};
    use serde_json::json;
    use std::collections::BTreeMap;

    fn stack() -> Vec<DesiredResource> {
        let ns = DesiredResource::new("namespace.web", ResourceType::K8sObject, json!({"n": 1}));
        let mut dep = DesiredResource::new(
            "app.web/Deployment",
            ResourceType::K8sObject,
            json!({"d": 1}),
        );
        dep.depends_on.push(ns.address.clone());
        let other = DesiredResource::new(
            "app.db/Deployment",
            ResourceType::K8sObject,
            json!({"d": 2}),
        );
        vec![ns, dep, other]
    }

    fn planned() -> Plan {
        let input = PlanInput {
            stack: "s",
            stack_sha256: "x",
            desired: stack(),
            outputs: BTreeMap::from([(
                "o".to_string(),
                DesiredOutput {
                    value: json!(1),
                    sensitive: false,
                },
            )]),
            secrets: &NoSecrets,
            destroy: false,
        };
        plan(input, None).unwrap()
    }

    #[test]
    fn a_target_keeps_its_dependencies_only() {
        let mut p = planned();
        select_targets(&mut p, &["app.web".into()], None).unwrap();
        let kept: Vec<&str> = p.changes.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(kept, vec!["namespace.web", "app.web/Deployment"]);
        assert!(p.output_changes.is_empty());
        assert!(p.warnings.iter().any(|w| w.contains("--target app.web")));
    }

    #[test]
    fn an_unknown_target_is_refused_with_a_suggestion() {
        let mut p = planned();
        let e = select_targets(&mut p, &["app.wbe".into()], None).unwrap_err();
        assert!(e.contains("`app.wbe`") && e.contains("did you mean"), "{e}");
    }

    #[test]
    fn replace_needs_a_recorded_resource() {
        let mut p = planned();
        let e = force_replace(&mut p, &["app.nope".into()], None).unwrap_err();
        assert!(e[0].to_string().contains("names no resource"));
    }
}
