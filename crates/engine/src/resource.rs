//! Desired resources: what a stack asks for, in the engine's terms.

use crate::{Address, AttrPath};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The kinds of resources Strata manages. Every Kubernetes object (HelmChart
/// included) is a `k8s_object`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    /// A Linux host reached over SSH.
    Node,
    /// A k3s server (control plane + embedded etcd) on one node.
    K3sServer,
    /// A k3s agent (worker) on one node.
    K3sAgent,
    /// One Kubernetes object.
    K8sObject,
}

impl ResourceType {
    /// The name used in plans, state and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Node => "node",
            ResourceType::K3sServer => "k3s_server",
            ResourceType::K3sAgent => "k3s_agent",
            ResourceType::K8sObject => "k8s_object",
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of a sensitive value's template: literal text or a secret's value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretPart {
    /// Text copied as is.
    Literal(String),
    /// The value of the named secret, resolved at run time.
    Secret(String),
}

/// How a resolved sensitive value is written into the attributes at apply time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretEncoding {
    /// As the plain string.
    #[default]
    Plain,
    /// Base64-encoded (Kubernetes Secret `data`).
    Base64,
}

/// A value that contains secrets. The attributes hold the placeholder
/// [`SENSITIVE`] at `path`; the real value is assembled from `parts` only when a
/// provider needs it, and only a salted fingerprint of it is ever stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensitiveValue {
    /// Where the value goes in the attributes.
    pub path: AttrPath,
    /// Literal text and secret references, concatenated.
    pub parts: Vec<SecretPart>,
    /// How the value is encoded when written.
    #[serde(default)]
    pub encoding: SecretEncoding,
}

/// The placeholder shown wherever a sensitive value would be.
pub const SENSITIVE: &str = "(sensitive)";

/// The placeholder shown for a value only known after apply.
pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// Per-resource lifecycle rules from the stack.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// Refuse to destroy or replace this resource.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protect: bool,
    /// Attribute paths whose changes are not planned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_changes: Vec<AttrPath>,
}

/// A resource as the stack wants it to be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesiredResource {
    /// Its stable address.
    pub address: Address,
    /// What kind of resource it is.
    #[serde(rename = "type")]
    pub rtype: ResourceType,
    /// Canonical JSON attributes (a full manifest for Kubernetes objects).
    pub attributes: Value,
    /// Values assembled from secrets at apply time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<SensitiveValue>,
    /// Attributes the provider fills in (facts, generated ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub computed: Vec<AttrPath>,
    /// Attributes whose change forces a replacement, with the reason shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub force_new: Vec<ForceNew>,
    /// Resources that must exist before this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Address>,
    /// Lifecycle rules.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// Orders resources that do not depend on each other: lower phases come
    /// first (hosts, then the cluster, then what runs on it), so plans read
    /// layer by layer.
    #[serde(default)]
    pub phase: u8,
}

/// An attribute whose change cannot be made in place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForceNew {
    /// The attribute.
    pub path: AttrPath,
    /// Why it cannot change in place, e.g. "the Deployment selector is immutable".
    pub reason: String,
}

impl ForceNew {
    /// A rule for the attribute at `path` (written as in `ignore_changes`).
    ///
    /// # Panics
    /// When `path` is not a valid attribute path; it is always a literal.
    pub fn new(path: &str, reason: impl Into<String>) -> Self {
        ForceNew {
            path: AttrPath::parse(path).expect("force-new paths are literals"),
            reason: reason.into(),
        }
    }
}

impl DesiredResource {
    /// A resource with no sensitive, computed or replacement rules.
    pub fn new(address: impl Into<String>, rtype: ResourceType, attributes: Value) -> Self {
        DesiredResource {
            address: Address::new(address),
            rtype,
            attributes,
            sensitive: Vec::new(),
            computed: Vec::new(),
            force_new: Vec::new(),
            depends_on: Vec::new(),
            lifecycle: Lifecycle::default(),
            phase: 0,
        }
    }

    /// True when the value at `path` is sensitive (or lies inside one).
    pub fn is_sensitive(&self, path: &AttrPath) -> bool {
        self.sensitive.iter().any(|s| path.starts_with(&s.path))
    }
}
