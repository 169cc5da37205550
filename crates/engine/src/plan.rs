//! Planning: compare desired resources with state and decide, per resource,
//! whether to create, update, replace, delete or leave it alone.

use crate::diff::{diff, AttrChange};
use crate::state::{fingerprint, ResourceStatus, State};
use crate::{Address, AttrPath, DesiredResource, ResourceGraph, ResourceType, SecretPart};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// The reason of a delete whose resource left the stack.
pub const NOT_IN_STACK: &str = "it is no longer in the stack";

/// The plan file format this build writes.
pub const PLAN_FORMAT_VERSION: &str = "1.0";

/// What will happen to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Nothing: desired and recorded state agree.
    NoOp,
    /// A new resource.
    Create,
    /// An in-place change.
    Update,
    /// Delete, then create again (an attribute cannot change in place).
    Replace,
    /// The resource is gone from the stack.
    Delete,
}

impl Action {
    /// The actions list of `terraform show -json`.
    pub fn terraform_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Update => &["update"],
            Action::Replace => &["delete", "create"],
            Action::Delete => &["delete"],
        }
    }
}

/// Sensitive values resolved on demand. `Ok(None)` means "not available here"
/// (an unset environment variable during a plan); the plan then treats the
/// value as unchanged and warns.
pub trait SecretValues {
    /// The value of the named secret.
    fn get(&self, name: &str) -> Result<Option<String>, String>;
}

/// No secrets at all: every sensitive value is unknown.
pub struct NoSecrets;

impl SecretValues for NoSecrets {
    fn get(&self, _: &str) -> Result<Option<String>, String> {
        Ok(None)
    }
}

/// Assembles a sensitive value from its parts, or `None` if a secret is unavailable.
pub fn resolve_parts(
    parts: &[SecretPart],
    secrets: &dyn SecretValues,
) -> Result<Option<String>, String> {
    let mut s = String::new();
    for p in parts {
        match p {
            SecretPart::Literal(l) => s.push_str(l),
            SecretPart::Secret(name) => match secrets.get(name)? {
                Some(v) => s.push_str(&v),
                None => return Ok(None),
            },
        }
    }
    Ok(Some(s))
}

/// The planned change of one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// The resource's address.
    pub address: Address,
    /// Its type.
    #[serde(rename = "type")]
    pub rtype: ResourceType,
    /// What will happen.
    pub action: Action,
    /// Why (for replacements and reconciliations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Attributes recorded in state, when the resource changes (no-ops leave
    /// it out: their recorded attributes equal `after` up to ignored paths).
    pub before: Option<Value>,
    /// Paths of sensitive values in `before`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before_sensitive: Vec<AttrPath>,
    /// The desired resource (absent for deletes).
    pub desired: Option<DesiredResource>,
    /// Fingerprints the sensitive values will have (those resolvable now).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub after_fingerprints: BTreeMap<String, String>,
    /// Attribute paths whose change forces the replacement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace_paths: Vec<AttrPath>,
    /// Sensitive paths whose value changes (by fingerprint).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_changes: Vec<AttrPath>,
    /// The real object now and as applying would leave it, when the plan
    /// could look (sensitive values already replaced by placeholders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<crate::provider::LiveView>,
}

impl ResourceChange {
    /// The desired attributes, if the resource will exist after apply.
    pub fn after(&self) -> Option<&Value> {
        self.desired.as_ref().map(|d| &d.attributes)
    }

    /// Paths of sensitive values in `after`.
    pub fn after_sensitive(&self) -> Vec<AttrPath> {
        self.desired
            .iter()
            .flat_map(|d| d.sensitive.iter().map(|s| s.path.clone()))
            .collect()
    }

    /// Paths only known after apply.
    pub fn after_unknown(&self) -> &[AttrPath] {
        self.desired.as_ref().map_or(&[], |d| &d.computed)
    }

    /// The attribute-level differences, skipping computed and ignored paths:
    /// between the real object and what applying makes of it when the plan
    /// looked at the real world, otherwise between state and the stack.
    /// (No-ops carry no `before`: they have no differences.)
    pub fn attribute_changes(&self) -> Vec<AttrChange> {
        if let Some(live) = &self.live {
            let empty = Value::Object(Default::default());
            return diff(
                live.before.as_ref().unwrap_or(&empty),
                &live.after,
                &self.skipped_paths(),
            );
        }
        match (&self.before, self.action) {
            (None, Action::NoOp) => Vec::new(),
            (Some(b), _) => self.changes_from(b),
            (None, _) => self.changes_from(&Value::Object(Default::default())),
        }
    }

    /// The attribute-level differences from `before` to the desired attributes.
    fn changes_from(&self, before: &Value) -> Vec<AttrChange> {
        let empty = Value::Object(Default::default());
        let after = self.after().unwrap_or(&empty);
        diff(before, after, &self.skipped_paths())
    }

    /// Paths a diff leaves out: computed and ignored attributes.
    fn skipped_paths(&self) -> Vec<&AttrPath> {
        self.desired
            .iter()
            .flat_map(|d| d.computed.iter().chain(&d.lifecycle.ignore_changes))
            .collect()
    }

    /// True when the plan found the object already in the real world while
    /// state does not record it: applying adopts it.
    pub fn adopts(&self) -> bool {
        self.action == Action::Create
            && self.before.is_none()
            && self.live.as_ref().is_some_and(|l| l.before.is_some())
    }
}

/// A change of a stack output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    /// The output's name.
    pub name: String,
    /// What happens to it.
    pub action: Action,
    /// The recorded value.
    pub before: Option<Value>,
    /// The new value.
    pub after: Option<Value>,
    /// Whether it is sensitive (then both sides are placeholders).
    pub sensitive: bool,
}

/// A desired stack output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesiredOutput {
    /// The value (a placeholder when sensitive).
    pub value: Value,
    /// Whether it is sensitive.
    pub sensitive: bool,
}

/// A complete plan: ordered changes plus what it was made against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Plan file format.
    pub format_version: String,
    /// The Strata version that made it.
    pub strata_version: String,
    /// The stack's name.
    pub stack: String,
    /// Lineage of the state it was made against (`None`: no state yet).
    pub lineage: Option<Uuid>,
    /// Serial of that state.
    pub serial: u64,
    /// Where that state lives, as its backend describes it (set by the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_location: Option<String>,
    /// SHA-256 over the stack's files.
    pub stack_sha256: String,
    /// The stack directory as given to `strata plan`, so `strata apply
    /// PLANFILE` finds the stack again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_dir: Option<String>,
    /// Changes in apply order: creates and updates in dependency order, then
    /// deletes in reverse dependency order. No-ops are included.
    pub changes: Vec<ResourceChange>,
    /// Output changes.
    pub output_changes: Vec<OutputChange>,
    /// Things the reader should know (unavailable secrets, reconciliations).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The stack's variables as resolved for this plan (set by the caller;
    /// variables never hold secrets); `strata apply PLANFILE` uses them again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Value>,
}

/// Counts of planned actions, with replacements counted as a create and a delete.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Resources to create (replacements included).
    pub create: usize,
    /// Resources to update in place.
    pub update: usize,
    /// Resources to delete (replacements included).
    pub delete: usize,
    /// Of those, how many are replacements.
    #[serde(skip)]
    pub replace: usize,
}

impl Plan {
    /// Counts of each action.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => {
                    s.create += 1;
                    s.delete += 1;
                    s.replace += 1;
                }
                Action::Delete => s.delete += 1,
                Action::NoOp => {}
            }
        }
        s
    }

    /// The changes that do something (no-ops left out), in apply order.
    pub fn changed(&self) -> impl Iterator<Item = &ResourceChange> {
        self.changes.iter().filter(|c| c.action != Action::NoOp)
    }

    /// True when applying would change any resource or output.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
            || self.output_changes.iter().any(|c| c.action != Action::NoOp)
    }
}

/// Why a plan cannot be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    /// A protected resource would be destroyed.
    #[error("{address} is protected and would be {verb}\n  hint: {hint}")]
    Protected {
        /// The resource.
        address: Address,
        /// "deleted" or "replaced".
        verb: &'static str,
        /// What to do about it.
        hint: String,
    },
    /// The dependency graph is broken.
    #[error("{0}")]
    Graph(String),
    /// A secret could not be read.
    #[error("{0}")]
    Secret(String),
}

/// What a plan is made from.
pub struct PlanInput<'a> {
    /// The stack's name.
    pub stack: &'a str,
    /// SHA-256 over the stack's files.
    pub stack_sha256: &'a str,
    /// Desired resources.
    pub desired: Vec<DesiredResource>,
    /// Desired outputs.
    pub outputs: BTreeMap<String, DesiredOutput>,
    /// Secret values, resolved on demand.
    pub secrets: &'a dyn SecretValues,
    /// A plan to destroy everything (`desired` is then empty).
    pub destroy: bool,
}

/// Makes a plan. Never writes state.
pub fn plan(input: PlanInput<'_>, state: Option<&State>) -> Result<Plan, Vec<PlanError>> {
    let graph = ResourceGraph::build(&input.desired).map_err(|errs| {
        errs.into_iter()
            .map(|e| PlanError::Graph(e.to_string()))
            .collect::<Vec<_>>()
    })?;
    let order = graph.order();
    let empty = State::new();
    let st = state.unwrap_or(&empty);
    let salt = st.lineage;
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut unresolved = std::collections::BTreeSet::new();
    let mut slots: Vec<Option<DesiredResource>> = input.desired.into_iter().map(Some).collect();
    let mut changes = Vec::with_capacity(slots.len());
    let mut desired_addrs = HashSet::with_capacity(slots.len());
    for i in order {
        let d = slots[i].take().expect("each index once");
        desired_addrs.insert(d.address.clone());
        let mut fps = BTreeMap::new();
        for s in &d.sensitive {
            match resolve_parts(&s.parts, input.secrets) {
                Ok(Some(v)) => {
                    fps.insert(s.path.to_string(), fingerprint(&salt, &s.path, &v));
                }
                Ok(None) => {
                    unresolved.extend(s.parts.iter().filter_map(|p| match p {
                        SecretPart::Secret(n) => Some(n.clone()),
                        SecretPart::Literal(_) => None,
                    }));
                }
                Err(e) => errors.push(PlanError::Secret(e)),
            }
        }
        let change = match st.resources.get(&d.address) {
            None => new_change(Action::Create, d, fps),
            Some(prior) => plan_existing(prior, d, fps, &mut errors),
        };
        changes.push(change);
    }
    changes.extend(plan_deletes(st, &desired_addrs, input.destroy, &mut errors));
    if !unresolved.is_empty() {
        warnings.push(format!(
            "secrets not available to this plan: {}; their values are treated as unchanged and are resolved at apply time",
            unresolved.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let output_changes = plan_outputs(&input.outputs, st);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION.to_string(),
        strata_version: env!("CARGO_PKG_VERSION").to_string(),
        stack: input.stack.to_string(),
        lineage: state.map(|s| s.lineage),
        serial: state.map_or(0, |s| s.serial),
        state_location: None,
        stack_sha256: input.stack_sha256.to_string(),
        stack_dir: None,
        changes,
        output_changes,
        warnings,
        variables: BTreeMap::new(),
    })
}

fn new_change(action: Action, d: DesiredResource, fps: BTreeMap<String, String>) -> ResourceChange {
    ResourceChange {
        address: d.address.clone(),
        rtype: d.rtype,
        action,
        reason: None,
        before: None,
        before_sensitive: Vec::new(),
        desired: Some(d),
        after_fingerprints: fps,
        replace_paths: Vec::new(),
        sensitive_changes: Vec::new(),
        live: None,
    }
}

fn sensitive_paths(p: &crate::state::ResourceState) -> Vec<AttrPath> {
    p.sensitive
        .keys()
        .filter_map(|k| AttrPath::parse(k).ok())
        .collect()
}

fn plan_existing(
    prior: &crate::state::ResourceState,
    d: DesiredResource,
    fps: BTreeMap<String, String>,
    errors: &mut Vec<PlanError>,
) -> ResourceChange {
    let protect = d.lifecycle.protect || prior.protect;
    let addr = d.address.clone();
    // `before` is filled in only when something changes: cloning every
    // recorded manifest for no-ops dominated plans of large, unchanged stacks.
    let mut c = new_change(Action::NoOp, d, fps);
    let d = c.desired.as_ref().expect("desired set");
    match &prior.status {
        ResourceStatus::Pending { action } if action == "create" || action == "replace" => {
            c.action = Action::Create;
            c.reason = Some(format!(
                "an earlier {action} was interrupted; the object is adopted if it exists"
            ));
            return c;
        }
        ResourceStatus::Tainted { reason } => {
            c.action = Action::Replace;
            c.reason = Some(format!("the last apply failed part-way: {reason}"));
        }
        _ => {}
    }
    if c.action == Action::NoOp && prior.rtype != d.rtype {
        c.action = Action::Replace;
        c.reason = Some(format!(
            "its type changes from {} to {}",
            prior.rtype, d.rtype
        ));
    }
    if c.action == Action::NoOp {
        let attr_changes = c.changes_from(&prior.attributes);
        for s in &d.sensitive {
            let key = s.path.to_string();
            let changed = match (prior.sensitive.get(&key), c.after_fingerprints.get(&key)) {
                (Some(a), Some(b)) => a != b,
                (None, _) => true,
                (Some(_), None) => false,
            };
            if changed {
                c.sensitive_changes.push(s.path.clone());
            }
        }
        let sensitive_removed = prior
            .sensitive
            .keys()
            .any(|k| !d.sensitive.iter().any(|s| s.path.to_string() == *k));
        for f in &d.force_new {
            let hit = attr_changes
                .iter()
                .any(|a| a.path.starts_with(&f.path) || f.path.starts_with(&a.path));
            if hit {
                c.replace_paths.push(f.path.clone());
                c.reason.get_or_insert_with(|| {
                    format!("{} cannot change in place: {}", f.path, f.reason)
                });
            }
        }
        c.action = if !c.replace_paths.is_empty() {
            Action::Replace
        } else if !attr_changes.is_empty() || !c.sensitive_changes.is_empty() || sensitive_removed {
            Action::Update
        } else if matches!(prior.status, ResourceStatus::Pending { .. }) {
            c.reason = Some("an earlier update was interrupted; it is applied again".into());
            Action::Update
        } else if prior.protect != d.lifecycle.protect {
            c.reason = Some(format!(
                "protect changes to {}; state remembers it",
                d.lifecycle.protect
            ));
            Action::Update
        } else {
            Action::NoOp
        };
    }
    if c.action != Action::NoOp {
        c.before = Some(prior.attributes.clone());
        c.before_sensitive = sensitive_paths(prior);
    }
    if c.action == Action::Replace && protect {
        errors.push(PlanError::Protected {
            address: addr,
            verb: "replaced",
            hint: format!(
                "{}; to go ahead, set protect = false on the resource first",
                c.reason.clone().unwrap_or_default()
            ),
        });
    }
    c
}

fn plan_deletes(
    st: &State,
    desired: &HashSet<Address>,
    destroy: bool,
    errors: &mut Vec<PlanError>,
) -> Vec<ResourceChange> {
    let gone_set: HashSet<&Address> = st
        .resources
        .keys()
        .filter(|a| !desired.contains(*a))
        .collect();
    // Deletes run in reverse dependency order: a resource goes only after
    // everything that depended on it, so the edges are reversed here.
    let mut gone: Vec<&Address> = gone_set.iter().copied().collect();
    gone.sort();
    let position: std::collections::HashMap<&Address, usize> =
        gone.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    let mut reversed: Vec<DesiredResource> = gone
        .iter()
        .map(|a| DesiredResource::new(a.as_str(), st.resources[*a].rtype, Value::Null))
        .collect();
    for a in &gone {
        for dep in &st.resources[*a].dependencies {
            if let Some(&i) = position.get(dep) {
                reversed[i].depends_on.push((*a).clone());
            }
        }
    }
    let order = match ResourceGraph::build(&reversed) {
        Ok(g) => g.order(),
        Err(_) => (0..reversed.len()).collect(),
    };
    order
        .into_iter()
        .map(|i| {
            let addr = &reversed[i].address;
            let prior = &st.resources[addr];
            if prior.protect {
                let hint = if destroy {
                    "set protect = false on it in the stack and apply that first, or run `strata state rm` to forget it without deleting it"
                } else {
                    "it is no longer in the stack, but state records protect = true; put it back, or run `strata state rm` to forget it without deleting it"
                };
                errors.push(PlanError::Protected {
                    address: addr.clone(),
                    verb: "deleted",
                    hint: hint.into(),
                });
            }
            ResourceChange {
                address: addr.clone(),
                rtype: prior.rtype,
                action: Action::Delete,
                reason: Some(if destroy { "destroy" } else { NOT_IN_STACK }.into()),
                before: Some(prior.attributes.clone()),
                before_sensitive: sensitive_paths(prior),
                desired: None,
                after_fingerprints: BTreeMap::new(),
                replace_paths: Vec::new(),
                sensitive_changes: Vec::new(),
                live: None,
            }
        })
        .collect()
}

fn plan_outputs(desired: &BTreeMap<String, DesiredOutput>, st: &State) -> Vec<OutputChange> {
    let mut out = Vec::new();
    for (name, d) in desired {
        let before = st.outputs.get(name);
        let action = match before {
            None => Action::Create,
            Some(b) if b.value == d.value && b.sensitive == d.sensitive => Action::NoOp,
            Some(_) => Action::Update,
        };
        out.push(OutputChange {
            name: name.clone(),
            action,
            before: before.map(|b| b.value.clone()),
            after: Some(d.value.clone()),
            sensitive: d.sensitive,
        });
    }
    for (name, b) in &st.outputs {
        if !desired.contains_key(name) {
            out.push(OutputChange {
                name: name.clone(),
                action: Action::Delete,
                before: Some(b.value.clone()),
                after: None,
                sensitive: b.sensitive,
            });
        }
    }
    out
}
