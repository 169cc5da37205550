//! The resource graph: which resource must exist before which, a stable
//! dependency order, cycle detection and Graphviz output.

use crate::{Address, DesiredResource, ResourceType};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeSet, HashMap};
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

    /// Graphviz DOT text of the graph, one shape per resource type.
    pub fn to_dot(&self) -> String {
        let mut s = String::from(
            "digraph strata {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n",
        );
        for n in self.graph.node_indices() {
            let shape = match self.types[n.index()] {
                ResourceType::Node => "box3d",
                ResourceType::K3sServer => "doubleoctagon",
                ResourceType::K3sAgent => "octagon",
                ResourceType::K8sObject => "box",
            };
            let _ = writeln!(s, "  \"{}\" [shape={shape}];", self.graph[n]);
        }
        let mut edges: Vec<(&Address, &Address)> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (&self.graph[a], &self.graph[b]))
            .collect();
        edges.sort();
        for (a, b) in edges {
            let _ = writeln!(s, "  \"{a}\" -> \"{b}\";");
        }
        s.push_str("}\n");
        s
    }
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
