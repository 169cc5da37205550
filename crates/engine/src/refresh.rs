//! Refresh: observe every resource recorded in state, in batches, and report
//! drift — what changed outside Strata, who changed it and when, and what was
//! deleted out of band.

use crate::apply::Providers;
use crate::diff::diff;
use crate::provider::{FieldOwner, Observed};
use crate::state::{fingerprint, ResourceState, State};
use crate::{Address, AttrPath, ResourceType, SENSITIVE};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use tokio::task::JoinSet;

/// One attribute that differs between state and the real object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftedField {
    /// Where.
    pub path: AttrPath,
    /// What Strata last applied (`None`: it was absent).
    pub recorded: Option<Value>,
    /// What the real object holds now (`None`: it was removed).
    pub live: Option<Value>,
    /// Who wrote it, when the real system says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<FieldOwner>,
    /// The stack leaves this attribute to others (`ignore_changes`, e.g. the
    /// replica count an autoscaler owns): reported, but not drift to repair.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignored: bool,
}

/// How one resource drifted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "drift", rename_all = "snake_case")]
pub enum DriftKind {
    /// The real object differs in the attributes Strata manages.
    Changed {
        /// The differing attributes.
        fields: Vec<DriftedField>,
    },
    /// The real object is gone.
    Missing,
}

/// Drift of one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceDrift {
    /// The resource.
    pub address: Address,
    /// Its type.
    #[serde(rename = "type")]
    pub rtype: ResourceType,
    /// What drifted.
    #[serde(flatten)]
    pub kind: DriftKind,
}

/// Everything a refresh found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RefreshReport {
    /// The stack's name.
    pub stack: String,
    /// Where its state lives.
    pub state: String,
    /// How many resources were observed.
    pub checked: usize,
    /// Resources that drifted, in address order.
    pub drift: Vec<ResourceDrift>,
    /// Resources that could not be observed, with the reason.
    pub errors: Vec<(Address, String)>,
    /// What was observed of each resource (`None`: missing), for `--write`.
    #[serde(skip)]
    pub observed: BTreeMap<Address, Option<Value>>,
}

impl ResourceDrift {
    /// True unless every drifted attribute is one the stack ignores.
    pub fn counts(&self) -> bool {
        match &self.kind {
            DriftKind::Missing => true,
            DriftKind::Changed { fields } => fields.iter().any(|f| !f.ignored),
        }
    }
}

impl RefreshReport {
    /// True when anything drifted (changes to ignored attributes aside).
    pub fn has_drift(&self) -> bool {
        self.drift.iter().any(ResourceDrift::counts)
    }

    /// How many resources drifted (changes to ignored attributes aside).
    pub fn drifted(&self) -> usize {
        self.drift.iter().filter(|d| d.counts()).count()
    }

    /// Records what was observed into `state`: drifted attributes take their
    /// real values (sensitive ones stay placeholders) and missing resources
    /// are forgotten, so the next plan puts them back.
    pub fn write_into(&self, state: &mut State) {
        for (address, seen) in &self.observed {
            match seen {
                None => {
                    state.resources.remove(address);
                }
                Some(v) => {
                    if let Some(r) = state.resources.get_mut(address) {
                        r.attributes = v.clone();
                    }
                }
            }
        }
    }
}

/// Observes every resource in `state` through its provider. Each provider
/// gets all of its resources in one call so it can batch (one LIST per kind);
/// providers run in parallel. `ignored` lists, per resource, the attributes
/// the stack leaves to others: their changes are reported as ignored.
pub async fn refresh(
    state: &State,
    providers: &Providers,
    ignored: &BTreeMap<Address, Vec<AttrPath>>,
) -> RefreshReport {
    let mut by_type: BTreeMap<ResourceType, Vec<(Address, ResourceState)>> = BTreeMap::new();
    let mut report = RefreshReport {
        checked: state.resources.len(),
        ..Default::default()
    };
    for (a, r) in &state.resources {
        by_type
            .entry(r.rtype)
            .or_default()
            .push((a.clone(), r.clone()));
    }
    let mut tasks = JoinSet::new();
    for (rtype, items) in by_type {
        let Some(provider) = providers.get(rtype).cloned() else {
            for (a, _) in items {
                report
                    .errors
                    .push((a, format!("no provider can read {rtype} resources here")));
            }
            continue;
        };
        tasks.spawn(async move {
            let results = provider.read_batch(&items).await;
            (items, results)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (items, results) = match joined {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        // Comparing is CPU work per resource: spread it over every core.
        let lineage = &state.lineage;
        let compared = crate::parallel::map(
            items.into_iter().zip(results).collect(),
            |((address, prior), result)| {
                let result = result.map(|seen| seen.map(|seen| compare(lineage, &prior, seen)));
                (address, prior.rtype, result)
            },
        );
        for (address, rtype, result) in compared {
            match result {
                Err(e) => report.errors.push((address, e.message)),
                Ok(None) => {
                    report.observed.insert(address.clone(), None);
                    report.drift.push(ResourceDrift {
                        address,
                        rtype,
                        kind: DriftKind::Missing,
                    });
                }
                Ok(Some((attributes, mut fields))) => {
                    if let Some(skip) = ignored.get(&address) {
                        for f in &mut fields {
                            f.ignored = skip.iter().any(|p| f.path.starts_with(p));
                        }
                    }
                    if !fields.is_empty() {
                        report.drift.push(ResourceDrift {
                            address: address.clone(),
                            rtype,
                            kind: DriftKind::Changed { fields },
                        });
                    }
                    report.observed.insert(address, Some(attributes));
                }
            }
        }
    }
    report.drift.sort_by(|a, b| a.address.cmp(&b.address));
    report.errors.sort();
    report
}

/// Compares what was recorded with what was observed. Sensitive attributes
/// are compared by fingerprint (of the value or of its base64 decoding) and
/// never leave this function in clear.
fn compare(
    lineage: &uuid::Uuid,
    prior: &ResourceState,
    mut seen: Observed,
) -> (Value, Vec<DriftedField>) {
    let mut sensitive_drift = Vec::new();
    for (key, recorded_fp) in &prior.sensitive {
        let Ok(path) = AttrPath::parse(key) else {
            continue;
        };
        let live = path.get(&seen.attributes).cloned();
        let same = match &live {
            Some(Value::String(v)) => {
                fingerprint(lineage, &path, v) == *recorded_fp
                    || decode_base64(v)
                        .is_some_and(|d| fingerprint(lineage, &path, &d) == *recorded_fp)
            }
            _ => false,
        };
        if live.is_some() {
            path.set(&mut seen.attributes, Value::String(SENSITIVE.into()));
        }
        if !same {
            sensitive_drift.push(DriftedField {
                ignored: false,
                changed_by: seen.owner_of(&path).cloned(),
                path,
                recorded: Some(Value::String(SENSITIVE.into())),
                live: live.map(|_| Value::String(format!("{SENSITIVE} (changed)"))),
            });
        }
    }
    let mut fields: Vec<DriftedField> = diff(&prior.attributes, &seen.attributes, &[])
        .into_iter()
        .map(|c| DriftedField {
            ignored: false,
            changed_by: seen.owner_of(&c.path).cloned(),
            path: c.path,
            recorded: c.before,
            live: c.after,
        })
        .collect();
    fields.extend(sensitive_drift);
    fields.sort_by(|a, b| a.path.cmp(&b.path));
    (seen.attributes, fields)
}

fn decode_base64(s: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ResourceStatus;
    use serde_json::json;

    fn recorded(attributes: Value) -> ResourceState {
        ResourceState {
            rtype: ResourceType::K8sObject,
            attributes,
            sensitive: BTreeMap::new(),
            dependencies: vec![],
            status: ResourceStatus::Ready,
            protect: false,
        }
    }

    #[test]
    fn drift_names_the_owner_of_each_field() {
        let prior = recorded(json!({"spec": {"replicas": 3, "image": "a"}}));
        let seen = Observed {
            attributes: json!({"spec": {"replicas": 5, "image": "a"}}),
            owners: vec![(
                AttrPath::parse("spec.replicas").unwrap(),
                FieldOwner {
                    manager: "kubectl".into(),
                    time: Some("2026-11-27T10:42:00Z".into()),
                },
            )],
        };
        let (_, fields) = compare(&uuid::Uuid::new_v4(), &prior, seen);
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].path.to_string(), "spec.replicas");
        assert_eq!(fields[0].recorded, Some(json!(3)));
        assert_eq!(fields[0].live, Some(json!(5)));
        assert_eq!(fields[0].changed_by.as_ref().unwrap().manager, "kubectl");
    }

    #[test]
    fn secrets_compare_by_fingerprint_and_never_leak() {
        let lineage = uuid::Uuid::new_v4();
        let path = AttrPath::parse("data.password").unwrap();
        let mut prior = recorded(json!({"data": {"password": SENSITIVE}}));
        prior
            .sensitive
            .insert(path.to_string(), fingerprint(&lineage, &path, "hunter2"));
        // base64("hunter2") as the API returns it: unchanged.
        let same = Observed::plain(json!({"data": {"password": "aHVudGVyMg=="}}));
        let (attrs, fields) = compare(&lineage, &prior, same);
        assert!(fields.is_empty(), "{fields:?}");
        assert_eq!(attrs["data"]["password"], SENSITIVE);
        let changed = Observed::plain(json!({"data": {"password": "b3RoZXI="}}));
        let (attrs, fields) = compare(&lineage, &prior, changed);
        assert_eq!(fields.len(), 1);
        let shown = serde_json::to_string(&fields).unwrap() + &attrs.to_string();
        assert!(
            !shown.contains("b3RoZXI=") && !shown.contains("other"),
            "{shown}"
        );
    }

    #[test]
    fn base64_decoding() {
        assert_eq!(decode_base64("aHVudGVyMg==").as_deref(), Some("hunter2"));
        assert_eq!(decode_base64("not base64!"), None);
    }
}
