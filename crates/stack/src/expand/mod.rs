//! Expansion: turning decoded components into concrete desired resources with
//! their dependency edges — nodes, k3s servers and agents, HelmCharts,
//! namespaces and every Kubernetes object of apps, manifests and Argo CD.

mod apps;
mod charts;
mod hosts;
mod kube_vip;
pub(crate) mod manifests;
mod presets;
mod scope;
mod yaml_json;

pub use manifests::read_manifest_files;
pub use scope::Scope;

use crate::diag::{Diagnostic, Span};
use crate::k8s;
use crate::load::RawStack;
use crate::model::{Common, StackModel};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use strata_engine::{Address, DesiredOutput, DesiredResource, ForceNew, ResourceType};

/// The result of expansion.
#[derive(Debug, Default)]
pub struct Expanded {
    /// Desired resources in declaration order.
    pub resources: Vec<DesiredResource>,
    /// Desired outputs.
    pub outputs: BTreeMap<String, DesiredOutput>,
    /// Where each resource's component is declared.
    pub origins: HashMap<Address, Span>,
    /// Files read during expansion (dashboards), part of the stack's hash.
    pub files_read: Vec<(std::path::PathBuf, String)>,
}

/// Builds resources for one stack.
pub(crate) struct Builder<'a> {
    pub model: &'a StackModel,
    pub raw: &'a RawStack,
    pub scope: Scope<'a>,
    pub diags: &'a mut Vec<Diagnostic>,
    pub out: Expanded,
    /// Anchor resources of each component: what a dependency on it waits for.
    pub anchors: HashMap<String, Vec<Address>>,
    /// Namespace name -> the resource that creates it.
    pub namespaces: BTreeMap<String, Address>,
    /// The cluster's k3s servers (every object waits for them).
    pub servers: Vec<Address>,
    /// Every k3s resource (servers and agents).
    pub k3s_all: Vec<Address>,
    /// (group, kind or "*") -> component providing that CRD.
    pub crd_providers: Vec<(String, String, String)>,
    /// Kinds an existing cluster already serves: (group, kind or `*`).
    pub served_kinds: Vec<(String, String)>,
    /// (group, kind) -> whether the stack's CRD for it is cluster-scoped.
    pub crd_scopes: HashMap<(String, String), bool>,
    /// Object identity -> address, to catch two components making one object.
    identities: HashMap<String, (Address, Span)>,
    /// The documents of each `[manifest.*]` component, taken from the raw
    /// stack so that expansion moves them into resources instead of copying.
    pub manifest_docs: HashMap<String, Vec<crate::load::ManifestDoc>>,
}

impl<'a> Builder<'a> {
    /// Adds a resource, recording its origin.
    pub fn push(&mut self, r: DesiredResource, origin: Span) {
        self.out.origins.insert(r.address.clone(), origin);
        self.out.resources.push(r);
    }

    /// Adds a Kubernetes object owned by component `c`.
    pub fn object(
        &mut self,
        c: &Common,
        suffix: &str,
        manifest: Value,
        extra_deps: Vec<Address>,
        span: Span,
    ) -> Address {
        let address = Address::new(format!("{}/{suffix}", c.address));
        let kind = manifest["kind"].as_str().unwrap_or_default().to_string();
        let api = manifest["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ns = manifest["metadata"]["namespace"]
            .as_str()
            .map(str::to_string);
        let name = manifest["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let identity = format!(
            "{}/{kind}/{}/{name}",
            k8s::group_of(&api),
            ns.clone().unwrap_or_default()
        );
        if let Some((first, first_span)) = self.identities.get(&identity) {
            self.diags.push(
                Diagnostic::error(
                    "strata::object-conflict",
                    span,
                    format!("{kind} `{name}` is produced by both {first} and {address}"),
                )
                .also(*first_span, format!("{first} declares it first"))
                .help("two components cannot manage the same Kubernetes object; rename one or drop it"),
            );
        } else {
            self.identities.insert(identity, (address.clone(), span));
        }
        let mut deps = self.servers.clone();
        if let Some(ns) = &ns {
            if let Some(nsr) = self.namespaces.get(ns) {
                if *nsr != address {
                    deps.push(nsr.clone());
                }
            }
        }
        deps.extend(extra_deps);
        let mut r = DesiredResource::new(address.as_str(), ResourceType::K8sObject, manifest);
        r.depends_on = deps;
        r.force_new = vec![
            ForceNew::new("metadata.name", "a Kubernetes object cannot be renamed"),
            ForceNew::new(
                "metadata.namespace",
                "a Kubernetes object cannot move to another namespace",
            ),
            ForceNew::new("kind", "the object's kind changes"),
        ];
        if kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" {
            r.force_new.push(ForceNew::new(
                "spec.selector",
                format!("a {kind}'s selector is immutable"),
            ));
        }
        self.push(r, span);
        address
    }

    /// Ensures a Namespace resource exists for `ns` (unless k3s ships it).
    pub fn ensure_namespace(&mut self, ns: &str, span: Span) {
        if ["default", "kube-system", "kube-public", "kube-node-lease"].contains(&ns)
            || self.namespaces.contains_key(ns)
        {
            return;
        }
        let manifest = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": managed_labels()},
        });
        let address = Address::new(format!("namespace.{ns}"));
        self.namespaces.insert(ns.to_string(), address.clone());
        let mut r = DesiredResource::new(address.as_str(), ResourceType::K8sObject, manifest);
        r.depends_on = self.servers.clone();
        r.force_new.push(ForceNew::new(
            "metadata.name",
            "a Namespace cannot be renamed",
        ));
        self.push(r, span);
    }

    /// Resource-level dependencies of a component: its explicit `depends_on`
    /// and the components its references name.
    pub fn component_deps(&self, c: &Common) -> Vec<Address> {
        // Component addresses are turned into their anchors once every
        // component is expanded (see `resolve_depends_on`).
        let mut out: Vec<Address> = c
            .depends_on
            .iter()
            .map(|(t, _)| Address::new(t.as_str()))
            .collect();
        out.extend(
            c.refs
                .iter()
                .filter_map(scope::component_of)
                .map(Address::new),
        );
        out.sort();
        out.dedup();
        out
    }

    /// Applies lifecycle settings of `c` to every resource it produced.
    pub fn finish_component(&mut self, c: &Common, from: usize) {
        for r in &mut self.out.resources[from..] {
            r.lifecycle.protect = c.protect;
            // Keep what expansion itself set (an autoscaled Deployment
            // ignores spec.replicas) and add the component's own paths.
            for p in &c.ignore_changes {
                if !r.lifecycle.ignore_changes.contains(p) {
                    r.lifecycle.ignore_changes.push(p.clone());
                }
            }
        }
    }

    /// Records the component's anchors (what depending on it waits for).
    pub fn anchor(&mut self, component: &str, addrs: Vec<Address>) {
        self.anchors
            .entry(component.to_string())
            .or_default()
            .extend(addrs);
    }
}

/// Plan and apply phase of a resource, for ordering independent resources:
/// hosts, servers, agents, namespaces, secrets and config, charts, workloads,
/// then monitoring and GitOps objects.
fn phase(r: &DesiredResource) -> u8 {
    match r.rtype {
        ResourceType::Node => 0,
        ResourceType::K3sServer => 1,
        ResourceType::K3sAgent => 2,
        ResourceType::K8sObject => match r.attributes["kind"].as_str().unwrap_or_default() {
            "Namespace" | "CustomResourceDefinition" => 3,
            "Secret" | "ConfigMap" | "ServiceAccount" => 4,
            "HelmChart" => 5,
            "ServiceMonitor" | "Application" | "ApplicationSet" => 7,
            _ => 6,
        },
    }
}

/// The labels every generated object carries.
pub fn managed_labels() -> Value {
    json!({"app.kubernetes.io/managed-by": "strata"})
}

/// Metadata for a generated object.
pub fn meta(name: &str, ns: Option<&str>, labels: Value) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Some(ns) = ns {
        m.insert("namespace".into(), json!(ns));
    }
    m.insert("labels".into(), labels);
    Value::Object(m)
}

/// Deep-merges `over` into `base` (tables merge, everything else replaces).
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(bv) => merge(bv, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Expands a decoded stack. The manifest documents of `raw` move into the
/// resources.
pub fn expand(model: &StackModel, raw: &mut RawStack, diags: &mut Vec<Diagnostic>) -> Expanded {
    let manifest_docs = std::mem::take(&mut raw.manifest_docs);
    let raw = &*raw;
    let scope = Scope::new(model, raw);
    scope.check_refs(model, diags);
    scope.check_cycles(model, diags);
    let mut b = Builder {
        model,
        raw,
        scope,
        diags,
        out: Expanded::default(),
        anchors: HashMap::new(),
        namespaces: BTreeMap::new(),
        servers: Vec::new(),
        k3s_all: Vec::new(),
        crd_providers: Vec::new(),
        served_kinds: Vec::new(),
        crd_scopes: HashMap::new(),
        identities: HashMap::new(),
        manifest_docs,
    };
    hosts::expand_nodes(&mut b);
    hosts::expand_k3s(&mut b);
    manifests::register_providers(&mut b);
    charts::expand_storage(&mut b);
    charts::expand_services(&mut b);
    charts::expand_charts(&mut b);
    manifests::expand_manifests(&mut b);
    apps::expand_apps(&mut b);
    apps::expand_argocd(&mut b);
    apps::check_owners(&mut b);
    apps::expand_outputs(&mut b);
    b.resolve_depends_on();
    b.check_crd_kinds();
    for r in &mut b.out.resources {
        r.phase = phase(r);
    }
    b.out
}

impl Builder<'_> {
    /// Turns component addresses in `depends_on` lists into anchors and drops
    /// duplicates.
    fn resolve_depends_on(&mut self) {
        let anchors = std::mem::take(&mut self.anchors);
        for r in &mut self.out.resources {
            let mut deps = Vec::with_capacity(r.depends_on.len());
            for d in r.depends_on.drain(..) {
                match anchors.get(d.as_str()) {
                    Some(a) => deps.extend(a.iter().filter(|x| **x != r.address).cloned()),
                    None => deps.push(d),
                }
            }
            deps.sort();
            deps.dedup();
            r.depends_on = deps;
        }
        self.anchors = anchors;
    }

    /// Every object of a CRD-served kind depends on what installs the CRD;
    /// a kind nobody provides is an error.
    fn check_crd_kinds(&mut self) {
        let mut extra: Vec<(usize, Vec<Address>)> = Vec::new();
        for (i, r) in self.out.resources.iter().enumerate() {
            if r.rtype != ResourceType::K8sObject {
                continue;
            }
            let api = r.attributes["apiVersion"].as_str().unwrap_or_default();
            let kind = r.attributes["kind"].as_str().unwrap_or_default();
            let group = k8s::group_of(api);
            if k8s::BUILTIN_GROUPS.contains(&group)
                || k8s::K3S_GROUPS.contains(&group)
                || self
                    .served_kinds
                    .iter()
                    .any(|(g, k)| g == group && (k == kind || k == "*"))
            {
                continue;
            }
            let providers: Vec<&String> = self
                .crd_providers
                .iter()
                .filter(|(g, k, _)| g == group && (k == kind || k == "*"))
                .map(|(_, _, c)| c)
                .collect();
            if providers.is_empty() {
                let span = self.out.origins[&r.address];
                let hint = match group {
                    "monitoring.coreos.com" => "add a [service.NAME] with preset = \"kube-prometheus-stack\"".to_string(),
                    "argoproj.io" => "add a [service.NAME] with preset = \"argo-cd\"".to_string(),
                    "longhorn.io" => "add a [storage.NAME] (Longhorn)".to_string(),
                    _ => format!(
                        "install its CRD with a [chart.NAME] that lists provides = [\"{group}/{kind}\"], a [manifest.NAME] holding the CustomResourceDefinition, or, if the cluster already serves it, add \"{group}/{kind}\" to `provides` of the [k3s.*] table (or of `cluster` in [stack])"
                    ),
                };
                self.diags.push(
                    Diagnostic::error(
                        "strata::unserved-kind",
                        span,
                        format!("{} uses kind {kind} ({api}), which is served by a CRD that nothing in this stack installs", r.address),
                    )
                    .label(format!("needs the {group} CRDs"))
                    .help(hint),
                );
                continue;
            }
            let mut deps = Vec::new();
            for p in providers {
                match self.anchors.get(p.as_str()) {
                    Some(a) => deps.extend(a.iter().filter(|x| **x != r.address).cloned()),
                    None => deps.push(Address::new(p.as_str())),
                }
            }
            extra.push((i, deps));
        }
        for (i, deps) in extra {
            let r = &mut self.out.resources[i];
            r.depends_on.extend(deps);
            r.depends_on.sort();
            r.depends_on.dedup();
        }
    }
}
