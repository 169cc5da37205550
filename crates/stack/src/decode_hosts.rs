//! Decoding of the host-level components: nodes, node groups, the k3s
//! cluster and Longhorn storage.

use crate::decode::Decoder;
use crate::fields::{Fields, V};
use crate::model::*;

impl Decoder<'_> {
    /// One host: a `[node.NAME]`, or the template of a group's members.
    pub(crate) fn node(
        &mut self,
        f: &Fields,
        c: &Common,
        ssh: &SshDefaults,
        name: String,
        group: Option<String>,
    ) -> Option<NodeDecl> {
        // An address that is missing or invalid is reported; the node is
        // still read, so that the rest of the stack is checked. A group's
        // members get theirs from `addresses`.
        let (address, address_span) = match (&group, group.is_none().then(|| f.text("address"))) {
            (None, Some(Some((a, s)))) => (a, s),
            (None, _) => (String::new(), f.span_of("address").unwrap_or(c.span)),
            (Some(_), _) => (String::new(), c.span),
        };
        let role = match f.text("role").map(|r| r.0).as_deref() {
            Some("server") => Role::Server,
            Some("agent") => Role::Agent,
            _ => Role::None,
        };
        let labels = f
            .map("labels")
            .iter()
            .filter_map(|e| match &e.value {
                V::Text(t) => Some((e.key.clone(), t.as_literal()?)),
                _ => None,
            })
            .collect();
        let sysctl = f
            .map("sysctl")
            .iter()
            .filter_map(|e| match &e.value {
                V::Text(t) => Some((e.key.clone(), t.as_literal()?)),
                _ => None,
            })
            .collect();
        Some(NodeDecl {
            common: c.clone(),
            hostname: name,
            address,
            address_span,
            role,
            user: f.text("user").map_or(ssh.user.clone(), |u| u.0),
            port: f.int("port").map_or(ssh.port, |p| p.0),
            key: f
                .text("key")
                .map(|k| self.local_path(&k.0, k.1))
                .or(ssh.key.clone()),
            host_key: f.text("host_key").map(|k| k.0),
            ssh_address: f.text("ssh_address").map(|k| k.0),
            packages: f.texts("packages").into_iter().map(|p| p.0).collect(),
            sysctl,
            labels,
            taints: f.texts("taints").into_iter().map(|t| t.0).collect(),
            cluster: f.text("cluster"),
            group,
        })
    }

    /// `[node_group.NAME]`: one node per address, named NAME-1, NAME-2, ...
    pub(crate) fn node_group(&mut self, f: &Fields, c: &Common, m: &mut StackModel) {
        let ssh = m.ssh.clone();
        let Some(template) = self.node(f, c, &ssh, format!("{}-1", c.name), Some(c.name.clone()))
        else {
            return;
        };
        let mut names = Vec::new();
        let items: Vec<(Option<String>, crate::diag::Span)> = match f.value("addresses") {
            Some(V::List(items)) => items
                .iter()
                .map(|(v, span)| match v {
                    V::Text(t) => (t.as_literal(), *span),
                    _ => (None, *span),
                })
                .collect(),
            _ => Vec::new(),
        };
        for (i, (addr, span)) in items.into_iter().enumerate() {
            let mut n = template.clone();
            n.hostname = format!("{}-{}", c.name, i + 1);
            n.address = addr.unwrap_or_default();
            n.address_span = span;
            names.push(n.hostname.clone());
            m.nodes.push(n);
        }
        m.node_groups.push((c.clone(), names));
    }

    pub(crate) fn k3s(&mut self, f: &Fields, c: &Common) -> Option<K3sDecl> {
        Some(K3sDecl {
            common: c.clone(),
            version: f.text("version").map(|v| v.0).unwrap_or_default(),
            token: f.tpl("token"),
            api_endpoint: f.text("api_endpoint").map(|a| a.0),
            api_endpoint_span: f.span_of("api_endpoint"),
            vip: f.table("vip").map(|v| Vip {
                interface: v.text_or_default("interface"),
                image: v.text_or_default("image"),
                span: v.span,
            }),
            external_load_balancer: f.bool_or_default("external_load_balancer"),
            disable: f.texts("disable").into_iter().map(|d| d.0).collect(),
            write_kubeconfig_mode: f.text_or_default("write_kubeconfig_mode"),
            config: f.json("config"),
            airgap_bundle: f.text("airgap_bundle").map(|b| self.local_path(&b.0, b.1)),
            kubeconfig_out: f.text("kubeconfig").map(|b| self.local_path(&b.0, b.1)),
            provides: f.texts("provides"),
            span: c.span,
        })
    }

    pub(crate) fn storage(&mut self, f: &Fields, c: &Common) -> Option<StorageDecl> {
        Some(StorageDecl {
            common: c.clone(),
            version: f.text_or_default("version"),
            replicas: f.int_or_default("replicas"),
            replicas_span: f.int("replicas").map(|r| r.1),
            namespace: f.text_or_default("namespace"),
            default_class: f.bool_or_default("default_class"),
            values: f.json("values"),
        })
    }
}
