//! What references can see: each component's exported attributes, secret
//! names, reference checking, template evaluation and component-level cycle
//! detection.

use super::presets;
use crate::diag::{did_you_mean, Diagnostic, Span};
use crate::load::{RawStack, SECTIONS};
use crate::model::{Common, Role, StackModel};
use crate::template::{Piece, Ref, Template};
use petgraph::graph::DiGraph;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use strata_engine::{SecretPart, SENSITIVE};

/// A template's value once references are resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    /// The value; [`SENSITIVE`] when it contains secrets.
    pub value: Value,
    /// The parts to assemble at apply time, when it contains secrets.
    pub sensitive: Option<Vec<SecretPart>>,
}

/// Exported attributes of every component, and the secrets' names.
pub struct Scope<'a> {
    exports: BTreeMap<String, BTreeMap<String, Value>>,
    secrets: Vec<&'a str>,
}

/// The component a reference names (`service.postgresql` for
/// `${service.postgresql.host}`), if it names one.
pub fn component_of(r: &Ref) -> Option<String> {
    (SECTIONS.contains(&r.parts[0].as_str()) && r.parts.len() >= 2)
        .then(|| format!("{}.{}", r.parts[0], r.parts[1]))
}

impl<'a> Scope<'a> {
    /// Computes every component's exports.
    pub fn new(m: &'a StackModel, raw: &'a RawStack) -> Self {
        let mut exports: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
        // Members of node groups are addressable like single nodes.
        for n in &m.nodes {
            exports
                .entry(format!("node.{}", n.hostname))
                .or_insert_with(|| {
                    BTreeMap::from([
                        ("address".into(), json!(n.address)),
                        ("hostname".into(), json!(n.hostname)),
                        ("user".into(), json!(n.user)),
                        ("port".into(), json!(n.port)),
                    ])
                });
        }
        for (c, names) in &m.node_groups {
            let addrs: Vec<&str> = m
                .nodes
                .iter()
                .filter(|n| n.group.as_deref() == Some(&c.name))
                .map(|n| n.address.as_str())
                .collect();
            exports.insert(
                c.address.clone(),
                BTreeMap::from([
                    ("addresses".into(), json!(addrs)),
                    ("hostnames".into(), json!(names)),
                ]),
            );
        }
        for k in &m.clusters {
            let first = m.nodes.iter().find(|n| n.role == Role::Server);
            let endpoint = k
                .api_endpoint
                .clone()
                .or_else(|| first.map(|n| format!("https://{}:6443", n.address)));
            exports.insert(
                k.common.address.clone(),
                BTreeMap::from([
                    ("api_endpoint".into(), json!(endpoint)),
                    ("version".into(), json!(k.version)),
                ]),
            );
        }
        for s in &m.storages {
            exports.insert(
                s.common.address.clone(),
                BTreeMap::from([
                    ("storage_class".into(), json!("longhorn")),
                    ("namespace".into(), json!(s.namespace)),
                ]),
            );
        }
        for s in &m.services {
            exports.insert(s.common.address.clone(), presets::exports(s));
        }
        for c in &m.charts {
            exports.insert(
                c.common.address.clone(),
                BTreeMap::from([
                    ("namespace".into(), json!(c.namespace)),
                    ("release".into(), json!(c.common.name)),
                ]),
            );
        }
        for a in &m.apps {
            let host = format!("{}.{}.svc.cluster.local", a.common.name, a.namespace);
            exports.insert(
                a.common.address.clone(),
                BTreeMap::from([
                    ("namespace".into(), json!(a.namespace)),
                    ("host".into(), json!(host)),
                    ("port".into(), json!(a.port)),
                    ("url".into(), json!(format!("http://{host}:{}", a.port))),
                ]),
            );
        }
        for a in &m.applications {
            exports.insert(
                a.common.address.clone(),
                BTreeMap::from([("name".into(), json!(a.common.name))]),
            );
        }
        for a in &m.application_sets {
            exports.insert(
                a.common.address.clone(),
                BTreeMap::from([("name".into(), json!(a.common.name))]),
            );
        }
        for mf in &m.manifests {
            exports.insert(mf.common.address.clone(), BTreeMap::new());
        }
        Scope {
            exports,
            // Every name written in [secrets], also one whose source is
            // invalid (reported there): its uses are not dangling.
            secrets: raw.secrets.iter().map(|e| e.key.as_str()).collect(),
        }
    }

    /// Every component's common settings.
    pub fn commons(m: &StackModel) -> Vec<&Common> {
        all_commons(m)
    }

    /// Whether a component address exists.
    pub fn has_component(&self, address: &str) -> bool {
        self.exports.contains_key(address)
    }

    /// Reports every reference and `depends_on` entry that names nothing.
    pub fn check_refs(&self, m: &StackModel, diags: &mut Vec<Diagnostic>) {
        for c in all_commons(m) {
            for r in &c.refs {
                if let Some(d) = self.check_ref(r) {
                    diags.push(d);
                }
            }
            for (target, span) in &c.depends_on {
                let comp = target.split('/').next().unwrap_or(target);
                if !self.exports.contains_key(comp) {
                    let mut d = Diagnostic::error(
                        "strata::dangling-dependency",
                        *span,
                        format!("`{target}` in depends_on names nothing in this stack"),
                    );
                    d = match did_you_mean(comp, self.exports.keys().map(String::as_str)) {
                        Some(s) => d.label(format!("did you mean `{s}`?")),
                        None => d.label("no such component"),
                    };
                    diags.push(d.help("depends_on takes component addresses such as \"service.postgresql\" or resource addresses such as \"app.api/Deployment\""));
                }
            }
        }
    }

    fn check_ref(&self, r: &Ref) -> Option<Diagnostic> {
        let err = |msg: String, label: String, help: &str| {
            Some(
                Diagnostic::error("strata::dangling-reference", r.span, msg)
                    .label(label)
                    .help(help.to_string()),
            )
        };
        let root = r.parts[0].as_str();
        if root == "secret" || root == "secrets" {
            if r.parts.len() != 2 {
                return err(
                    format!("`${{{}}}` is not a secret reference", r.text()),
                    "expected ${secret.NAME}".into(),
                    "write ${secret.NAME}",
                );
            }
            if !self.secrets.contains(&r.parts[1].as_str()) {
                let label = match did_you_mean(&r.parts[1], self.secrets.iter().copied()) {
                    Some(s) => format!("did you mean `secret.{s}`?"),
                    None => "not declared in [secrets]".into(),
                };
                return err(
                    format!("unknown secret `{}`", r.parts[1]),
                    label,
                    "declare it in [secrets], e.g. NAME = { env = \"VAR\" }",
                );
            }
            return None;
        }
        if !SECTIONS.contains(&root) || root == "output" {
            let roots = ["vars", "secret"]
                .into_iter()
                .chain(SECTIONS.iter().copied().filter(|s| *s != "output"));
            let label = match did_you_mean(root, roots) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "unknown reference".into(),
            };
            return err(
                format!("`${{{}}}` refers to nothing Strata knows", r.text()),
                label,
                "references are ${vars.NAME}, ${secret.NAME} or ${SECTION.NAME.ATTRIBUTE} such as ${service.postgresql.host}",
            );
        }
        let comp = format!("{root}.{}", r.parts[1]);
        let Some(attrs) = self.exports.get(&comp) else {
            let same: Vec<&str> = self
                .exports
                .keys()
                .filter(|k| k.starts_with(&format!("{root}.")))
                .map(String::as_str)
                .collect();
            let label = match did_you_mean(&comp, same.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("no [{comp}] in this stack"),
            };
            return err(
                format!(
                    "`${{{}}}` refers to [{comp}], which is not declared",
                    r.text()
                ),
                label,
                "declare the component or fix the name",
            );
        };
        let attr = r.parts.get(2).map(String::as_str).unwrap_or("");
        if r.parts.len() != 3 || !attrs.contains_key(attr) {
            let names: Vec<&str> = attrs.keys().map(String::as_str).collect();
            let label = match did_you_mean(attr, names.iter().copied()) {
                Some(s) => format!("did you mean `{comp}.{s}`?"),
                None => "unknown attribute".into(),
            };
            let help = if names.is_empty() {
                format!("[{comp}] exports no attributes")
            } else {
                format!("[{comp}] exports: {}", names.join(", "))
            };
            return err(format!("[{comp}] has no attribute `{attr}`"), label, &help);
        }
        let value = &attrs[attr];
        if r.in_text && (value.is_array() || value.is_object()) {
            let what = if value.is_array() {
                "a list"
            } else {
                "a table"
            };
            return Some(
                Diagnostic::error(
                    "strata::reference-type",
                    r.span,
                    format!(
                        "`${{{}}}` is {what}, and {what} cannot be used inside a string",
                        r.text()
                    ),
                )
                .label(format!("{what}, not text"))
                .help(if r.parts[0] == "node_group" {
                    format!(
                        "reference one member instead, e.g. ${{node.{}-1.address}}",
                        r.parts[1]
                    )
                } else {
                    "use it as the whole value of an output or a chart value".to_string()
                }),
            );
        }
        None
    }

    /// Evaluates a template whose references were checked.
    pub fn eval(&self, t: &Template) -> Evaluated {
        if let Some(r) = t.sole_ref() {
            if let Some(v) = self.lookup(r) {
                return Evaluated {
                    value: v.clone(),
                    sensitive: None,
                };
            }
        }
        let mut text = String::new();
        let mut parts: Vec<SecretPart> = Vec::new();
        let mut sensitive = false;
        for p in &t.pieces {
            match p {
                Piece::Lit(l) => {
                    text.push_str(l);
                    push_lit(&mut parts, l);
                }
                Piece::Ref(r) if r.parts[0] == "secret" || r.parts[0] == "secrets" => {
                    sensitive = true;
                    parts.push(SecretPart::Secret(
                        r.parts.get(1).cloned().unwrap_or_default(),
                    ));
                }
                Piece::Ref(r) => {
                    let s = match self.lookup(r) {
                        Some(Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                        None => String::new(),
                    };
                    text.push_str(&s);
                    push_lit(&mut parts, &s);
                }
            }
        }
        if sensitive {
            Evaluated {
                value: json!(SENSITIVE),
                sensitive: Some(parts),
            }
        } else {
            Evaluated {
                value: Value::String(text),
                sensitive: None,
            }
        }
    }

    fn lookup(&self, r: &Ref) -> Option<&Value> {
        let comp = component_of(r)?;
        self.exports.get(&comp)?.get(r.parts.get(2)?)
    }

    /// Reports dependency cycles between components, with their path.
    pub fn check_cycles(&self, m: &StackModel, diags: &mut Vec<Diagnostic>) {
        let mut g: DiGraph<String, Option<Span>> = DiGraph::new();
        let mut idx = HashMap::new();
        for k in self.exports.keys() {
            idx.insert(k.clone(), g.add_node(k.clone()));
        }
        let add =
            |g: &mut DiGraph<String, Option<Span>>, from: &str, to: &str, span: Option<Span>| {
                if let (Some(&a), Some(&b)) = (idx.get(from), idx.get(to)) {
                    if g.find_edge(a, b).is_none() {
                        g.add_edge(a, b, span);
                    }
                }
            };
        let cluster_deps: Vec<String> = m
            .clusters
            .iter()
            .map(|k| k.common.address.clone())
            .collect();
        for c in all_commons(m) {
            for (t, span) in &c.depends_on {
                add(
                    &mut g,
                    &c.address,
                    t.split('/').next().unwrap_or(t),
                    Some(*span),
                );
            }
            for r in &c.refs {
                if let Some(comp) = component_of(r) {
                    add(&mut g, &c.address, &comp, Some(r.span));
                }
            }
            let is_k8s = crate::load::K8S_SECTIONS
                .iter()
                .any(|s| c.address.starts_with(&format!("{s}.")));
            if is_k8s {
                for k in &cluster_deps {
                    add(&mut g, &c.address, k, None);
                }
            }
        }
        // A group's member waits for what the group waits for.
        for n in &m.nodes {
            if let Some(gname) = &n.group {
                add(
                    &mut g,
                    &format!("node.{}", n.hostname),
                    &format!("node_group.{gname}"),
                    None,
                );
            }
        }
        for k in &m.clusters {
            for n in &m.nodes {
                if n.role != Role::None {
                    let comp = match &n.group {
                        Some(gname) => format!("node_group.{gname}"),
                        None => n.common.address.clone(),
                    };
                    add(&mut g, &k.common.address, &comp, None);
                }
            }
        }
        for scc in petgraph::algo::tarjan_scc(&g) {
            let self_loop = scc.len() == 1 && g.find_edge(scc[0], scc[0]).is_some();
            if scc.len() < 2 && !self_loop {
                continue;
            }
            let start = *scc.iter().min_by_key(|n| &g[**n]).expect("non-empty");
            // Walk the cycle: from each node follow an edge that stays in the component
            // and leads back to start (BFS over the component).
            let path = cycle_path(&g, start, &scc);
            let names: Vec<&str> = path.iter().map(|n| g[*n].as_str()).collect();
            let mut spans = Vec::new();
            for w in path.windows(2) {
                if let Some(e) = g.find_edge(w[0], w[1]) {
                    if let Some(s) = g[e] {
                        spans.push((s, format!("{} -> {}", g[w[0]], g[w[1]])));
                    }
                }
            }
            let Some((first, label)) = spans.first().cloned() else {
                continue;
            };
            let mut d = Diagnostic::error(
                "strata::cycle",
                first,
                format!("dependency cycle: {}", names.join(" -> ")),
            )
            .label(label)
            .help("break the cycle: remove one of these depends_on entries or references");
            for (s, l) in spans.into_iter().skip(1) {
                d = d.also(s, l);
            }
            diags.push(d);
        }
    }
}

fn push_lit(parts: &mut Vec<SecretPart>, l: &str) {
    if let Some(SecretPart::Literal(prev)) = parts.last_mut() {
        prev.push_str(l);
    } else if !l.is_empty() {
        parts.push(SecretPart::Literal(l.to_string()));
    }
}

fn cycle_path(
    g: &DiGraph<String, Option<Span>>,
    start: petgraph::graph::NodeIndex,
    scc: &[petgraph::graph::NodeIndex],
) -> Vec<petgraph::graph::NodeIndex> {
    use std::collections::VecDeque;
    let mut prev = HashMap::new();
    let mut q = VecDeque::from([start]);
    let mut last = None;
    'outer: while let Some(n) = q.pop_front() {
        let mut next: Vec<_> = g.neighbors(n).filter(|m| scc.contains(m)).collect();
        next.sort_by_key(|m| &g[*m]);
        for m in next {
            if m == start {
                last = Some(n);
                break 'outer;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(m) {
                e.insert(n);
                q.push_back(m);
            }
        }
    }
    let mut path = vec![start];
    let mut cur = last.unwrap_or(start);
    while cur != start {
        path.push(cur);
        cur = prev[&cur];
    }
    path.push(start);
    path.reverse();
    path
}

/// Every component's common settings.
pub fn all_commons(m: &StackModel) -> Vec<&Common> {
    let mut v: Vec<&Common> = Vec::new();
    v.extend(
        m.nodes
            .iter()
            .filter(|n| n.group.is_none())
            .map(|n| &n.common),
    );
    v.extend(m.node_groups.iter().map(|g| &g.0));
    v.extend(m.clusters.iter().map(|x| &x.common));
    v.extend(m.storages.iter().map(|x| &x.common));
    v.extend(m.services.iter().map(|x| &x.common));
    v.extend(m.charts.iter().map(|x| &x.common));
    v.extend(m.apps.iter().map(|x| &x.common));
    v.extend(m.manifests.iter().map(|x| &x.common));
    v.extend(m.applications.iter().map(|x| &x.common));
    v.extend(m.application_sets.iter().map(|x| &x.common));
    v.extend(m.outputs.iter().map(|x| &x.common));
    v
}
