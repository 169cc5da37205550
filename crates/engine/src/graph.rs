//! The resource graph: which resource must exist before which, a stable
//! dependency order, cycle detection and Graphviz output.

use crate::{Address, DesiredResource, ResourceType};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

/// A problem that makes the graph unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// A resource depends on an address that nothing declares.
    #[error("{from} depends on {to}, which is not declared")]
    Dangling {
        /// The depending resource.
        from: Address,
        /// The missing dependency.
        to: Address,
    },
    /// Resources depend on each other in a circle. The path starts and ends
    /// with the same address.
    #[error("dependency cycle: {}", display_cycle(.0))]
    Cycle(Vec<Address>),
}

fn display_cycle(path: &[Address]) -> String {
    path.iter()
        .map(Address::as_str)
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// Dependencies between desired resources. An edge `a -> b` means `a` must be
/// applied before `b`.
#[derive(Debug)]
pub struct ResourceGraph {
    graph: DiGraph<Address, ()>,
    types: Vec<ResourceType>,
    phases: Vec<u8>,
}

impl ResourceGraph {
    /// Builds the graph, reporting every dangling dependency and every cycle.
    pub fn build(resources: &[DesiredResource]) -> Result<Self, Vec<GraphError>> {
        let mut graph = DiGraph::with_capacity(resources.len(), resources.len() * 2);
        let mut index = HashMap::with_capacity(resources.len());
        for r in resources {
            let n = graph.add_node(r.address.clone());
            index.insert(r.address.clone(), n);
        }
        let mut errors = Vec::new();
        for r in resources {
            let to = index[&r.address];
            // `update_edge` would scan the dependency's edges each time, which is
            // quadratic for a cluster every object depends on; dedupe here instead.
            let deps: BTreeSet<&Address> = r.depends_on.iter().collect();
            for dep in deps {
                match index.get(dep) {
                    Some(&from) => {
                        graph.add_edge(from, to, ());
                    }
                    None => errors.push(GraphError::Dangling {
                        from: r.address.clone(),
                        to: dep.clone(),
                    }),
                }
            }
        }
        let g = ResourceGraph {
            graph,
            types: resources.iter().map(|r| r.rtype).collect(),
            phases: resources.iter().map(|r| r.phase).collect(),
        };
        errors.extend(g.cycles().into_iter().map(GraphError::Cycle));
        if errors.is_empty() {
            Ok(g)
        } else {
            Err(errors)
        }
    }

    /// Every cycle, one per strongly connected component, as an address path
    /// that starts and ends with the same (smallest) address.
    fn cycles(&self) -> Vec<Vec<Address>> {
        let mut out = Vec::new();
        for scc in petgraph::algo::tarjan_scc(&self.graph) {
            let self_loop = scc.len() == 1 && self.graph.contains_edge(scc[0], scc[0]);
            if scc.len() < 2 && !self_loop {
                continue;
            }
            let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
            let start = *scc
                .iter()
                .min_by_key(|n| &self.graph[**n])
                .expect("non-empty component");
            out.push(self.cycle_through(start, &members));
        }
        out.sort();
        out
    }

    /// A shortest path from `start` back to itself inside one component (BFS).
    fn cycle_through(&self, start: NodeIndex, members: &BTreeSet<NodeIndex>) -> Vec<Address> {
        let mut prev: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut found = None;
        'bfs: while let Some(n) = queue.pop_front() {
            let mut next: Vec<NodeIndex> = self
                .graph
                .neighbors(n)
                .filter(|m| members.contains(m))
                .collect();
            next.sort_by_key(|m| &self.graph[*m]);
            for m in next {
                if m == start {
                    found = Some(n);
                    break 'bfs;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(m) {
                    e.insert(n);
                    queue.push_back(m);
                }
            }
        }
        let mut path = vec![self.graph[start].clone()];
        let mut cur = found.expect("a strongly connected component has a cycle");
        while cur != start {
            path.push(self.graph[cur].clone());
            cur = prev[&cur];
        }
        path.push(self.graph[start].clone());
        path.reverse();
        path
    }

    /// Indices (into the slice given to [`build`](Self::build)) in dependency
    /// order. Among resources that are ready at the same time, the lower phase
    /// and then the smaller address comes first, so the order is stable.
    pub fn order(&self) -> Vec<usize> {
        let mut indegree: Vec<usize> = self
            .graph
            .node_indices()
            .map(|n| {
                self.graph
                    .neighbors_directed(n, petgraph::Direction::Incoming)
                    .count()
            })
            .collect();
        let key = |n: NodeIndex| (self.phases[n.index()], &self.graph[n], n.index());
        let mut ready: BTreeSet<(u8, &Address, usize)> = self
            .graph
            .node_indices()
            .filter(|n| indegree[n.index()] == 0)
            .map(key)
            .collect();
        let mut order = Vec::with_capacity(indegree.len());
        while let Some(first) = ready.pop_first() {
            let (_, _, i) = first;
            order.push(i);
            for m in self.graph.neighbors(NodeIndex::new(i)) {
                indegree[m.index()] -= 1;
                if indegree[m.index()] == 0 {
                    ready.insert(key(m));
                }
            }
        }
        order
    }

    /// Graphviz DOT text of the graph: resources grouped by component (a
    /// box per component with several resources), shaped and coloured by
    /// type. Where several resources of one component lead to the same
    /// resource, one edge is drawn from the component's box; where one
    /// source leads to every resource of a component, one edge goes to the
    /// box.
    pub fn to_dot(&self) -> String {
        let mut members: BTreeMap<&str, Vec<NodeIndex>> = BTreeMap::new();
        for n in self.graph.node_indices() {
            members
                .entry(self.graph[n].component())
                .or_default()
                .push(n);
        }
        for m in members.values_mut() {
            m.sort_by_key(|n| &self.graph[*n]);
        }
        let is_box = |c: &str| members.get(c).is_some_and(|m| m.len() > 1);
        let mut s = String::from(
            "digraph strata {\n  rankdir=LR;\n  compound=true;\n  newrank=true;\n  node [fontname=\"Helvetica\", fontsize=10, style=filled];\n  edge [color=\"#6b7280\", arrowsize=0.7];\n",
        );
        for (component, nodes) in &members {
            let boxed = nodes.len() > 1;
            let indent = if boxed { "    " } else { "  " };
            if boxed {
                let _ = writeln!(
                    s,
                    "  subgraph {} {{\n    label={};\n    fontname=\"Helvetica\";\n    fontsize=11;\n    style=\"rounded,filled\";\n    color=\"#9ca3af\";\n    fillcolor=\"#f9fafb\";",
                    quote(&format!("cluster_{component}")),
                    quote(component)
                );
            }
            for n in nodes {
                let addr = self.graph[*n].as_str();
                let label = if boxed {
                    addr.strip_prefix(component)
                        .and_then(|r| r.strip_prefix('/'))
                        .unwrap_or(addr)
                } else {
                    addr
                };
                let (shape, fill) = style_of(self.types[n.index()]);
                let _ = writeln!(
                    s,
                    "{indent}{} [label={}, shape={shape}, fillcolor=\"{fill}\"];",
                    quote(addr),
                    quote(label)
                );
            }
            if boxed {
                s.push_str("  }\n");
            }
        }
        // Edges between resources, then folded: first on the source side
        // (several members of one box to one resource), then on the target
        // side (one source to every member of a box).
        let mut by_source: BTreeMap<(End, NodeIndex), ()> = BTreeMap::new();
        let mut inner: Vec<(NodeIndex, NodeIndex)> = Vec::new();
        let mut fan: BTreeMap<(&str, NodeIndex), Vec<NodeIndex>> = BTreeMap::new();
        for e in self.graph.edge_indices() {
            let (a, b) = self.graph.edge_endpoints(e).expect("edge");
            let (ca, cb) = (self.graph[a].component(), self.graph[b].component());
            if ca == cb {
                inner.push((a, b));
            } else {
                fan.entry((ca, b)).or_default().push(a);
            }
        }
        // A box's edges start at the first resource that really leads out of it.
        let mut box_tail: BTreeMap<&str, NodeIndex> = BTreeMap::new();
        for ((ca, _), sources) in &fan {
            if sources.len() > 1 && is_box(ca) {
                let first = *sources
                    .iter()
                    .min_by_key(|n| &self.graph[**n])
                    .expect("non-empty");
                let t = box_tail.entry(ca).or_insert(first);
                if self.graph[first] < self.graph[*t] {
                    *t = first;
                }
            }
        }
        for ((ca, b), sources) in &fan {
            if sources.len() > 1 && is_box(ca) {
                by_source.insert((End::Box(ca.to_string()), *b), ());
            } else {
                for a in sources {
                    by_source.insert((End::Node(*a), *b), ());
                }
            }
        }
        let mut targets: BTreeMap<(&End, &str), Vec<NodeIndex>> = BTreeMap::new();
        for (src, b) in by_source.keys() {
            targets
                .entry((src, self.graph[*b].component()))
                .or_default()
                .push(*b);
        }
        let mut lines: Vec<String> = Vec::new();
        for ((src, cb), heads) in &targets {
            let whole = is_box(cb) && members[cb].len() == heads.len();
            let (tail, ltail) = match src {
                End::Node(a) => (*a, None),
                End::Box(c) => (box_tail[c.as_str()], Some(c.as_str())),
            };
            let ends: Vec<(NodeIndex, Option<&str>)> = if whole {
                vec![(members[cb][0], Some(*cb))]
            } else {
                heads.iter().map(|h| (*h, None)).collect()
            };
            for (head, lhead) in ends {
                let mut attrs = Vec::new();
                if let Some(c) = ltail {
                    attrs.push(format!("ltail={}", quote(&format!("cluster_{c}"))));
                }
                if let Some(c) = lhead {
                    attrs.push(format!("lhead={}", quote(&format!("cluster_{c}"))));
                }
                let attrs = if attrs.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", attrs.join(", "))
                };
                lines.push(format!(
                    "  {} -> {}{attrs};",
                    quote(self.graph[tail].as_str()),
                    quote(self.graph[head].as_str())
                ));
            }
        }
        for (a, b) in inner {
            lines.push(format!(
                "  {} -> {};",
                quote(self.graph[a].as_str()),
                quote(self.graph[b].as_str())
            ));
        }
        lines.sort();
        lines.dedup();
        for l in lines {
            s.push_str(&l);
            s.push('\n');
        }
        s.push_str("}\n");
        s
    }
}

/// One end of a drawn edge: a resource, or a component's whole box.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum End {
    Node(NodeIndex),
    Box(String),
}

/// The DOT shape and fill colour of a resource type.
pub fn style_of(t: ResourceType) -> (&'static str, &'static str) {
    match t {
        ResourceType::Node => ("box3d", "#bfdbfe"),
        ResourceType::K3sServer => ("doubleoctagon", "#fcd34d"),
        ResourceType::K3sAgent => ("octagon", "#fde68a"),
        ResourceType::K8sObject => ("box", "#bbf7d0"),
    }
}

/// A DOT string literal.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn res(a: &str, deps: &[&str]) -> DesiredResource {
        let mut r = DesiredResource::new(a, ResourceType::K8sObject, json!({}));
        r.depends_on = deps.iter().map(|d| Address::new(*d)).collect();
        r
    }

    #[test]
    fn order_respects_dependencies_then_names() {
        let rs = vec![
            res("c", &["b"]),
            res("b", &[]),
            res("a", &[]),
            res("d", &["a", "c"]),
        ];
        let g = ResourceGraph::build(&rs).unwrap();
        let names: Vec<&str> = g.order().iter().map(|&i| rs[i].address.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }

    #[test]
    fn cycles_are_reported_with_their_path() {
        let rs = vec![
            res("a", &["c"]),
            res("b", &["a"]),
            res("c", &["b"]),
            res("d", &["d"]),
        ];
        let errs = ResourceGraph::build(&rs).unwrap_err();
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            [
                "dependency cycle: a -> b -> c -> a",
                "dependency cycle: d -> d"
            ]
        );
    }

    #[test]
    fn dangling_dependencies_are_reported() {
        let errs = ResourceGraph::build(&[res("a", &["zzz"])]).unwrap_err();
        assert_eq!(
            errs,
            [GraphError::Dangling {
                from: "a".into(),
                to: "zzz".into()
            }]
        );
    }
}
