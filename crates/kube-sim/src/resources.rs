//! The resource types the server knows: built-in kinds and kinds defined by CRDs.

use std::collections::HashMap;
use std::sync::Arc;

use crate::builtins::{Builtin, BUILTINS};

/// Where the structural information (list types, map types) of a kind comes from.
#[derive(Debug, Clone)]
pub enum SchemaSource {
    /// A built-in kind: list types come from a table of well-known field names.
    Builtin,
    /// A custom resource: the CRD's `openAPIV3Schema` for this version.
    Crd(Arc<crate::crd_schema::CrdSchema>),
}

/// Paths of the `/scale` subresource fields.
#[derive(Debug, Clone)]
pub struct ScaleSpec {
    /// Dotted path of the desired replica count, e.g. `.spec.replicas`.
    pub spec_replicas: String,
    /// Dotted path of the observed replica count.
    pub status_replicas: String,
    /// Dotted path of the label selector string, if any.
    pub label_selector: Option<String>,
}

/// An additional printer column of a CRD version.
#[derive(Debug, Clone)]
pub struct PrinterColumn {
    /// Column title.
    pub name: String,
    /// OpenAPI type of the column.
    pub type_: String,
    /// Simple JSON path of the value.
    pub json_path: String,
}

/// One served resource (group, version, plural) and everything needed to serve it.
#[derive(Debug, Clone)]
pub struct ResourceType {
    /// API group, empty for the core group.
    pub group: String,
    /// Version, e.g. `v1`.
    pub version: String,
    /// Kind, e.g. `ConfigMap`.
    pub kind: String,
    /// Lower-case plural, e.g. `configmaps`.
    pub plural: String,
    /// Lower-case singular.
    pub singular: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Short names for kubectl.
    pub short_names: Vec<String>,
    /// Categories (e.g. `all`).
    pub categories: Vec<String>,
    /// Whether a `/status` subresource exists (status is then ignored on the main resource).
    pub status: bool,
    /// The `/scale` subresource, if any.
    pub scale: Option<ScaleSpec>,
    /// Whether `metadata.generation` is maintained.
    pub generation: bool,
    /// Structural schema source.
    pub schema: SchemaSource,
    /// Whether this is the group's preferred (storage) version.
    pub preferred: bool,
    /// Name of the CRD serving this type, if any.
    pub crd: Option<String>,
    /// Printer columns for table output.
    pub columns: Vec<PrinterColumn>,
}

impl ResourceType {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Key of the object store (objects are shared across versions).
    pub fn store_key(&self) -> ResKey {
        ResKey {
            group: self.group.clone(),
            plural: self.plural.clone(),
        }
    }

    /// Whether this is a review kind (`authorization.k8s.io`): only `create`, nothing stored.
    pub fn is_review(&self) -> bool {
        self.group == "authorization.k8s.io"
    }

    /// Whether this is the Namespace type.
    pub fn is_namespace(&self) -> bool {
        self.group.is_empty() && self.plural == "namespaces"
    }
}

/// Store key of a resource: group and plural.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ResKey {
    /// API group.
    pub group: String,
    /// Plural resource name.
    pub plural: String,
}

impl ResKey {
    /// Builds a key.
    pub fn new(group: &str, plural: &str) -> Self {
        ResKey {
            group: group.into(),
            plural: plural.into(),
        }
    }
}

fn builtin_type(x: &Builtin) -> ResourceType {
    ResourceType {
        group: x.group.into(),
        version: x.version.into(),
        kind: x.kind.into(),
        plural: x.plural.into(),
        singular: x.kind.to_lowercase(),
        namespaced: x.namespaced,
        short_names: x.short.iter().map(|s| s.to_string()).collect(),
        categories: if x.all { vec!["all".into()] } else { vec![] },
        status: x.status,
        scale: x.scale.then(|| ScaleSpec {
            spec_replicas: ".spec.replicas".into(),
            status_replicas: ".status.replicas".into(),
            label_selector: None,
        }),
        generation: x.generation,
        schema: SchemaSource::Builtin,
        preferred: true,
        crd: None,
        columns: vec![],
    }
}

/// All served resource types, looked up by group/version/plural or kind.
#[derive(Debug, Clone)]
pub struct Registry {
    /// Bumped whenever the served types change (used as the OpenAPI hash).
    pub revision: u64,
    types: Vec<Arc<ResourceType>>,
    by_gvr: HashMap<(String, String, String), Arc<ResourceType>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// A registry holding the built-in kinds.
    pub fn new() -> Self {
        let mut r = Registry {
            revision: 1,
            types: vec![],
            by_gvr: HashMap::new(),
        };
        for x in BUILTINS {
            r.insert(builtin_type(x));
        }
        for x in crate::convert::OTHER_VERSIONS {
            let mut t = builtin_type(x);
            t.preferred = false;
            r.insert(t);
        }
        r
    }

    fn insert(&mut self, t: ResourceType) {
        let t = Arc::new(t);
        self.by_gvr.insert(
            (t.group.clone(), t.version.clone(), t.plural.clone()),
            t.clone(),
        );
        self.types.push(t);
    }

    /// Looks a type up by group, version and plural.
    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.by_gvr
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
            .cloned()
    }

    /// Looks a type up by group, version and kind.
    pub fn by_kind(&self, group: &str, version: &str, kind: &str) -> Option<Arc<ResourceType>> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.kind == kind)
            .cloned()
    }

    /// The preferred-version type for a store key.
    pub fn preferred(&self, key: &ResKey) -> Option<Arc<ResourceType>> {
        let mut found = None;
        for t in &self.types {
            if t.group == key.group && t.plural == key.plural {
                if t.preferred {
                    return Some(t.clone());
                }
                found.get_or_insert(t.clone());
            }
        }
        found
    }

    /// All types, built-ins first, in registration order.
    pub fn all(&self) -> &[Arc<ResourceType>] {
        &self.types
    }

    /// Replaces the types served for one CRD (an empty list removes them).
    pub fn set_crd(&mut self, crd_name: &str, types: Vec<ResourceType>) {
        self.types.retain(|t| t.crd.as_deref() != Some(crd_name));
        self.by_gvr
            .retain(|_, t| t.crd.as_deref() != Some(crd_name));
        self.revision += 1;
        for t in types {
            self.insert(t);
        }
    }

    /// Groups in discovery order with their versions (preferred first).
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = vec![];
        for t in &self.types {
            if t.group.is_empty() {
                continue;
            }
            let idx = match out.iter().position(|(g, _)| *g == t.group) {
                Some(i) => i,
                None => {
                    out.push((t.group.clone(), vec![]));
                    out.len() - 1
                }
            };
            let versions = &mut out[idx].1;
            if !versions.contains(&t.version) {
                if t.preferred {
                    versions.insert(0, t.version.clone());
                } else {
                    versions.push(t.version.clone());
                }
            }
        }
        out
    }

    /// Types served under one group/version.
    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<Arc<ResourceType>> {
        self.types
            .iter()
            .filter(|t| t.group == group && t.version == version)
            .cloned()
            .collect()
    }
}
