//! Decoding of the host-level components: nodes, node groups, the k3s
//! cluster and Longhorn storage.

use crate::decode::{name_error, Decoder};
use crate::diag::{did_you_mean, Diagnostic, Span};
use crate::k8s;
use crate::model::*;
use crate::value::{TableReader, Val};

impl Decoder<'_> {
    pub(crate) fn node(
        &mut self,
        r: &mut TableReader,
        c: &mut Common,
        ssh: &SshDefaults,
        name: String,
        group: Option<String>,
    ) -> Option<NodeDecl> {
        let (address, address_span) = if group.is_none() {
            match r.req_str(
                "address",
                "give the address to reach it over SSH, e.g. address = \"10.0.0.11\"",
                self.diags,
            ) {
                // An address that cannot be resolved is reported; the node is
                // still read, so that its other keys are checked.
                Some((a, s)) => (self.resolve_vars_only(&a, s).unwrap_or_default(), s),
                None => (String::new(), r.span),
            }
        } else {
            (String::new(), r.span)
        };
        if let Err(why) = k8s::check_subdomain(&name) {
            self.diags.push(name_error(c.span, &name, &why));
        }
        let role = self.role(r);
        let user = self.literal(r, "user").map_or(ssh.user.clone(), |u| u.0);
        let port = self.port(r).unwrap_or(ssh.port);
        let key = self.literal(r, "key").map(|k| k.0).or(ssh.key.clone());
        let host_key = self.literal(r, "host_key").map(|k| k.0);
        let ssh_address = self.literal(r, "ssh_address").map(|k| k.0);
        let packages = r
            .str_list("packages", self.diags)
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.0)
            .collect();
        let sysctl = self.scalar_map(r, "sysctl");
        let labels = r
            .str_map("labels", self.diags)
            .into_iter()
            .map(|(k, _, v, _)| (k, v))
            .collect();
        let taints = r
            .str_list("taints", self.diags)
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.0)
            .collect();
        let cluster = r.str("cluster", self.diags);
        Some(NodeDecl {
            common: c.clone(),
            hostname: name,
            address,
            address_span,
            role,
            user,
            port,
            key,
            host_key,
            ssh_address,
            packages,
            sysctl,
            labels,
            taints,
            cluster,
            group,
        })
    }

    fn scalar_map(&mut self, r: &mut TableReader, key: &'static str) -> Vec<(String, String)> {
        let Some((t, _)) = r.table(key, self.diags) else {
            return Vec::new();
        };
        t.entries
            .iter()
            .filter_map(|e| match &e.value.val {
                Val::Str(s) => Some((e.key.clone(), s.clone())),
                Val::Int(i) => Some((e.key.clone(), i.to_string())),
                other => {
                    self.diags.push(
                        Diagnostic::error(
                            "strata::wrong-type",
                            e.value.span,
                            format!(
                                "`{key}.{}` must be a string or integer, not {}",
                                e.key,
                                other.type_name()
                            ),
                        )
                        .label("expected a string or integer"),
                    );
                    None
                }
            })
            .collect()
    }

    fn role(&mut self, r: &mut TableReader) -> Role {
        match r.str("role", self.diags) {
            None => Role::None,
            Some((s, span)) => match s.as_str() {
                "server" => Role::Server,
                "agent" => Role::Agent,
                "none" => Role::None,
                other => {
                    let mut d = Diagnostic::error(
                        "strata::node-role",
                        span,
                        format!("unknown node role `{other}`"),
                    );
                    let guess = did_you_mean(other, ["server", "agent", "none"]);
                    d = match guess {
                        Some(s) => d.label(format!("did you mean `{s}`?")),
                        None => d.label("not a role"),
                    };
                    self.diags.push(d.help("a node's role is \"server\" (control plane + etcd), \"agent\" (worker) or \"none\""));
                    // Go on with the suggested role, so that the typo is not
                    // reported again as a cluster without servers.
                    match guess {
                        Some("server") => Role::Server,
                        Some("agent") => Role::Agent,
                        _ => Role::None,
                    }
                }
            },
        }
    }

    pub(crate) fn node_group(&mut self, r: &mut TableReader, c: &mut Common, m: &mut StackModel) {
        let addresses = r.str_list("addresses", self.diags).unwrap_or_default();
        if addresses.is_empty() {
            // At the empty list when there is one, else at the group's name.
            let span = r.node("addresses").map_or(c.span, |n| n.span);
            self.diags.push(
                Diagnostic::error(
                    "strata::missing-key",
                    span,
                    format!("[{}] needs a non-empty `addresses` list", c.address),
                )
                .help("list the hosts, e.g. addresses = [\"10.0.1.21\", \"10.0.1.22\"]"),
            );
        }
        let ssh = m.ssh.clone();
        let Some(template) = self.node(r, c, &ssh, format!("{}-1", c.name), Some(c.name.clone()))
        else {
            return;
        };
        let mut names = Vec::new();
        for (i, (addr, span)) in addresses.into_iter().enumerate() {
            let Some(addr) = self.resolve_vars_only(&addr, span) else {
                continue;
            };
            let mut n = template.clone();
            n.hostname = format!("{}-{}", c.name, i + 1);
            n.address = addr;
            n.address_span = span;
            names.push(n.hostname.clone());
            m.nodes.push(n);
        }
        m.node_groups.push((c.clone(), names));
    }

    pub(crate) fn k3s(&mut self, r: &mut TableReader, c: &mut Common) -> Option<K3sDecl> {
        let version = self.literal(r, "version");
        if version.is_none() && r.key_span("version").is_none() {
            self.diags.push(
                Diagnostic::error(
                    "strata::missing-key",
                    c.span,
                    format!("[{}] needs `version`", c.address),
                )
                .help("pin the k3s version, e.g. version = \"v1.31.4+k3s1\""),
            );
        }
        if let Some((v, span)) = &version {
            if !v.starts_with('v') || !v.contains("+k3s") {
                self.diags.push(
                    Diagnostic::error(
                        "strata::k3s-version",
                        *span,
                        format!("`{v}` is not a k3s release version"),
                    )
                    .label("expected vMAJOR.MINOR.PATCH+k3sN")
                    .help("k3s versions look like \"v1.31.4+k3s1\""),
                );
            }
        }
        let token = self.tpl(r, "token", c);
        let api_endpoint = self.literal(r, "api_endpoint").map(|a| a.0);
        let disable = r
            .str_list("disable", self.diags)
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.0)
            .collect();
        let write_kubeconfig_mode = self
            .literal(r, "write_kubeconfig_mode")
            .map_or("0600".to_string(), |m| m.0);
        let config = self.values(r, "config", c);
        let provides = self.provides(r);
        Some(K3sDecl {
            common: c.clone(),
            version: version.map(|v| v.0).unwrap_or_default(),
            token,
            api_endpoint,
            disable,
            write_kubeconfig_mode,
            config,
            provides,
            span: c.span,
        })
    }

    /// `provides = ["group/Kind", "group/*"]`.
    pub fn provides(&mut self, r: &mut TableReader) -> Vec<(String, Span)> {
        let list = r.str_list("provides", self.diags).unwrap_or_default();
        for (p, span) in &list {
            if p.split_once('/')
                .is_none_or(|(g, k)| g.is_empty() || k.is_empty())
            {
                self.diags.push(
                    Diagnostic::error(
                        "strata::provides",
                        *span,
                        format!("`{p}` is not GROUP/KIND"),
                    )
                    .label(
                        "expected e.g. \"cert-manager.io/Certificate\" or \"cert-manager.io/*\"",
                    ),
                );
            }
        }
        list
    }

    pub(crate) fn storage(&mut self, r: &mut TableReader, c: &mut Common) -> Option<StorageDecl> {
        let version = self
            .literal(r, "version")
            .map_or("1.7.2".to_string(), |v| v.0);
        let replicas = self.count(r, "replicas", 3, 1);
        let namespace = self.namespace(r, "longhorn-system");
        let default_class = r.bool("default_class", self.diags).is_none_or(|b| b.0);
        let values = self.values(r, "values", c);
        Some(StorageDecl {
            common: c.clone(),
            version,
            replicas,
            namespace,
            default_class,
            values,
        })
    }
}
