//! Decoding merged tables into the typed [`StackModel`], with every problem
//! reported as a located diagnostic. Each table is first read against its key
//! table ([`crate::schema`]) by [`Decoder::fields`]; the functions here and in
//! `decode_hosts` and `decode_k8s` build the model from what passed.

use crate::diag::{did_you_mean, Diagnostic, Span};
use crate::fields::{Fields, V};
use crate::load::{Item, RawStack};
use crate::model::*;
use crate::schema::{self, Key};
use crate::template::{self, Piece, Ref};
use crate::value::{Node, Val};
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};
use strata_engine::AttrPath;

/// Variable overrides from `--var` and `STRATA_VAR_*`.
#[derive(Debug, Clone, Default)]
pub struct VarOverrides {
    /// `(name, value, where it came from)` in increasing priority.
    pub values: Vec<(String, String, String)>,
    /// Origins (as in `values`) that may name variables the stack does not
    /// declare: such an override is skipped with a note instead of failing.
    /// The environment's `STRATA_VAR_*` are, since one environment often
    /// serves several stacks; `--var` flags are not.
    pub lenient: std::collections::BTreeSet<String>,
}

/// Decodes a read stack. A stack without `[stack]` is decoded too (that is
/// reported where it is read), so that every other problem shows at once.
pub fn decode(raw: &RawStack, overrides: &VarOverrides, diags: &mut Vec<Diagnostic>) -> StackModel {
    let mut d = Decoder {
        raw,
        vars: BTreeMap::new(),
        failed_vars: BTreeSet::new(),
        diags,
    };
    d.vars(overrides);
    let (name, state, cluster) = d.stack_settings();
    let ssh = d.ssh();
    let secrets = d.secrets();
    let mut m = StackModel {
        name,
        state,
        cluster,
        ssh,
        secrets,
        nodes: Vec::new(),
        node_groups: Vec::new(),
        clusters: Vec::new(),
        storages: Vec::new(),
        services: Vec::new(),
        charts: Vec::new(),
        apps: Vec::new(),
        manifests: Vec::new(),
        applications: Vec::new(),
        application_sets: Vec::new(),
        outputs: Vec::new(),
        vars: d
            .vars
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect(),
    };
    for item in &raw.items {
        let what = format!("[{}]", item.address());
        let mut c = Common {
            address: item.address(),
            name: item.name.clone(),
            span: item.name_span,
            ..Default::default()
        };
        d.check_component_name(item);
        if item.section == "service" {
            m.services
                .extend(crate::decode_k8s::service(&mut d, item, &what, &mut c));
            continue;
        }
        let section = schema::section(item.section).expect("every section has a key table");
        let keys: [&'static [Key]; 2] = [section.keys, schema::COMMON_KEYS];
        let f = d.fields(&item.table, what, item.name_span, &keys, &mut c);
        d.common(&f, &mut c);
        match item.section {
            "node" => m
                .nodes
                .extend(d.node(&f, &c, &m.ssh, item.name.clone(), None)),
            "node_group" => d.node_group(&f, &c, &mut m),
            "k3s" => m.clusters.extend(d.k3s(&f, &c)),
            "storage" => m.storages.extend(d.storage(&f, &c)),
            "chart" => m.charts.extend(crate::decode_k8s::chart(&mut d, &f, &c)),
            "app" => m.apps.extend(crate::decode_k8s::app(&mut d, &f, &c)),
            "manifest" => m.manifests.extend(crate::decode_k8s::manifest(&f, &c)),
            "application" => m
                .applications
                .extend(crate::decode_k8s::application(&f, &c)),
            "application_set" => m
                .application_sets
                .extend(crate::decode_k8s::application_set(&f, &c)),
            "output" => m.outputs.extend(crate::decode_k8s::output(&f, &c)),
            _ => {}
        }
    }
    d.check_nodes(&m);
    if let (Some(target), Some(k3s)) = (&m.cluster, m.clusters.first()) {
        d.diags.push(
            Diagnostic::error(
                "strata::cluster",
                target.span,
                "the stack both targets an existing cluster and installs k3s",
            )
            .label("an existing cluster, from a kubeconfig")
            .also(k3s.common.span, "and a k3s cluster the stack installs")
            .help("keep one: drop `cluster` from [stack] to install k3s, or drop the [k3s] table to use the existing cluster"),
        );
    }
    m
}

/// Decoding context: the raw stack, resolved vars and the diagnostics sink.
pub struct Decoder<'a> {
    /// The raw stack.
    pub raw: &'a RawStack,
    /// Variables with their final values and where each is declared.
    pub vars: BTreeMap<String, (J, Span)>,
    /// Variables that could not be resolved (already reported).
    pub failed_vars: BTreeSet<String>,
    /// Where problems go.
    pub diags: &'a mut Vec<Diagnostic>,
}

impl Decoder<'_> {
    /// Resolves `[vars]`: overrides first, then every variable built from
    /// others, reporting dangling references and cycles.
    fn vars(&mut self, overrides: &VarOverrides) {
        let mut raw: BTreeMap<String, (Node, Span)> = BTreeMap::new();
        for e in &self.raw.vars {
            if let Val::Table(_) = e.value.val {
                self.diags.push(
                    Diagnostic::error(
                        "strata::wrong-type",
                        e.value.span,
                        format!(
                            "variable `{}` must be a string, number, boolean or array",
                            e.key
                        ),
                    )
                    .label("a table is not a variable value"),
                );
                self.failed_vars.insert(e.key.clone());
                continue;
            }
            raw.insert(e.key.clone(), (e.value.clone(), e.key_span));
        }
        for (name, value, origin) in &overrides.values {
            let Some((node, span)) = raw.get(name).cloned() else {
                if overrides.lenient.contains(origin) {
                    self.diags.push(
                        Diagnostic::global(
                            "strata::unused-var",
                            format!("{origin} sets `{name}`, which the stack does not declare in [vars]; it is ignored"),
                        )
                        .help("declare it in [vars] to use it, or unset the variable")
                        .note(),
                    );
                    continue;
                }
                let mut d = Diagnostic::global(
                    "strata::unknown-var",
                    format!(
                        "{origin} sets `{name}`, but the stack declares no such variable in [vars]"
                    ),
                );
                d = match did_you_mean(name, raw.keys().map(String::as_str)) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("declare it in [vars] with a default value first"),
                };
                self.diags.push(d);
                continue;
            };
            // An override is a value, never a template: `${` in it is text.
            let parsed = match &node.val {
                Val::Int(_) => value.parse::<i64>().ok().map(Val::Int),
                Val::Float(_) => value.parse::<f64>().ok().map(Val::Float),
                Val::Bool(_) => value.parse::<bool>().ok().map(Val::Bool),
                Val::Array(_) => serde_json::from_str::<J>(value)
                    .ok()
                    .filter(J::is_array)
                    .map(|j| json_to_val(&j, node.span)),
                _ => Some(Val::Str(value.replace("${", "$${"))),
            };
            match parsed {
                Some(val) => {
                    raw.insert(name.clone(), (Node { val, span: node.span }, span));
                }
                None => self.diags.push(
                    Diagnostic::error(
                        "strata::wrong-type",
                        span,
                        format!("{origin} sets `{name}` to {value:?}, which does not fit its declared type"),
                    )
                    .label(format!("declared here as {}", node.to_json()))
                    .help("pass a value of the same type as the default in [vars]"),
                ),
            }
        }
        let names: Vec<String> = raw.keys().cloned().collect();
        let mut stack = Vec::new();
        for n in names {
            self.resolve_var(&n, &raw, &mut stack);
        }
    }

    fn resolve_var(
        &mut self,
        name: &str,
        raw: &BTreeMap<String, (Node, Span)>,
        stack: &mut Vec<String>,
    ) -> Option<J> {
        if let Some((v, _)) = self.vars.get(name) {
            return Some(v.clone());
        }
        if self.failed_vars.contains(name) {
            return None;
        }
        let (node, key_span) = raw.get(name)?.clone();
        stack.push(name.to_string());
        let v = self.resolve_var_value(&node, raw, stack);
        stack.pop();
        match v {
            Some(v) => {
                self.vars.insert(name.to_string(), (v.clone(), key_span));
                Some(v)
            }
            None => {
                self.failed_vars.insert(name.to_string());
                None
            }
        }
    }

    fn resolve_var_value(
        &mut self,
        node: &Node,
        raw: &BTreeMap<String, (Node, Span)>,
        stack: &mut Vec<String>,
    ) -> Option<J> {
        match &node.val {
            Val::Str(s) if s.contains('$') => {
                let text = self.raw_source(node.span);
                let before = self.diags.len();
                let t = template::parse(s, node.span, &text, self.diags);
                if self.diags.len() > before {
                    return None;
                }
                if let Some(r) = t.sole_ref() {
                    return self.var_ref_value(r, raw, stack);
                }
                let mut out = String::new();
                let mut ok = true;
                for p in &t.pieces {
                    match p {
                        Piece::Lit(l) => out.push_str(l),
                        Piece::Ref(r) => match self.var_ref_value(r, raw, stack) {
                            Some(J::String(s)) => out.push_str(&s),
                            Some(v @ (J::Array(_) | J::Object(_))) => {
                                let what = if v.is_array() { "a list" } else { "a table" };
                                self.diags.push(
                                    Diagnostic::error(
                                        "strata::reference-type",
                                        r.span,
                                        format!("`${{{}}}` is {what}, and {what} cannot be used inside a string", r.text()),
                                    )
                                    .label(format!("{what}, not text")),
                                );
                                ok = false;
                            }
                            Some(v) => out.push_str(&v.to_string()),
                            None => ok = false,
                        },
                    }
                }
                ok.then_some(J::String(out))
            }
            Val::Array(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for item in items {
                    match self.resolve_var_value(item, raw, stack) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                ok.then_some(J::Array(out))
            }
            _ => Some(node.to_json()),
        }
    }

    /// The value of a reference written inside `[vars]`.
    fn var_ref_value(
        &mut self,
        r: &Ref,
        raw: &BTreeMap<String, (Node, Span)>,
        stack: &mut Vec<String>,
    ) -> Option<J> {
        if r.parts[0] != "vars" || r.parts.len() != 2 {
            self.diags.push(
                Diagnostic::error(
                    "strata::reference",
                    r.span,
                    format!("`${{{}}}` cannot be used in [vars]", r.text()),
                )
                .label("a variable can only use other variables, ${vars.NAME}")
                .help("variables are known before anything is created; write this reference where the value is used instead"),
            );
            return None;
        }
        let target = r.parts[1].as_str();
        if let Some(pos) = stack.iter().position(|n| n == target) {
            let mut cycle: Vec<String> = stack[pos..].to_vec();
            cycle.push(target.to_string());
            self.diags.push(
                Diagnostic::error(
                    "strata::var-cycle",
                    r.span,
                    format!(
                        "variables refer to each other in a cycle: {}",
                        cycle.join(" -> ")
                    ),
                )
                .label(format!("refers back to `vars.{target}`"))
                .help("give one of these variables a value of its own"),
            );
            self.failed_vars.extend(cycle);
            return None;
        }
        if !raw.contains_key(target) {
            if !self.failed_vars.contains(target) {
                self.unknown_var(r, raw.keys().map(String::as_str));
            }
            return None;
        }
        self.resolve_var(target, raw, stack)
    }

    fn unknown_var<'k>(&mut self, r: &Ref, known: impl IntoIterator<Item = &'k str>) {
        let mut d = Diagnostic::error(
            "strata::reference",
            r.span,
            format!("unknown variable `{}`", r.parts[1]),
        );
        d = match did_you_mean(&r.parts[1], known) {
            Some(s) => d.label(format!("did you mean `vars.{s}`?")),
            None => d.label("not declared in [vars]"),
        };
        self.diags
            .push(d.help("declare it in [vars], or fix the name"));
    }

    /// The value of `${vars.NAME}` written outside `[vars]`.
    pub(crate) fn var(&mut self, r: &Ref) -> Option<J> {
        if r.parts.len() != 2 || r.parts[0] != "vars" {
            self.diags.push(
                Diagnostic::error(
                    "strata::reference",
                    r.span,
                    format!("`${{{}}}` is not a variable reference", r.text()),
                )
                .label("expected ${vars.NAME}"),
            );
            return None;
        }
        if let Some((v, _)) = self.vars.get(&r.parts[1]) {
            return Some(v.clone());
        }
        if !self.failed_vars.contains(&r.parts[1]) {
            let known: Vec<String> = self.vars.keys().cloned().collect();
            self.unknown_var(r, known.iter().map(String::as_str));
        }
        None
    }

    /// The source text of a span (used to place references exactly).
    pub(crate) fn raw_source(&self, span: Span) -> String {
        let text = &self.raw.sources.get(span.file).text;
        text.get(span.start..span.end).unwrap_or("").to_string()
    }

    /// `[stack]`: the name and state settings.
    fn stack_settings(&mut self) -> (String, StateConfig, Option<ClusterTarget>) {
        let Some((table, span)) = &self.raw.stack else {
            return (String::new(), StateConfig::default(), None);
        };
        let section = schema::section("stack").expect("[stack] has a key table");
        let mut c = Common::default();
        let f = self.fields(table, "[stack]", *span, &[section.keys], &mut c);
        let name = f.text("name").map(|n| n.0).unwrap_or_default();
        let state = f
            .table("state")
            .map(|t| self.state_config(t))
            .unwrap_or_default();
        let cluster = f.table("cluster").and_then(|t| {
            let (kubeconfig, _) = t.text("kubeconfig")?;
            Some(ClusterTarget {
                kubeconfig,
                context: t.text("context").map(|c| c.0),
                provides: t.texts("provides"),
                span: f.span_of("cluster").unwrap_or(*span),
            })
        });
        (name, state, cluster)
    }

    /// `[stack] state = { backend, path, url, workspace }`.
    fn state_config(&mut self, f: &Fields) -> StateConfig {
        let mut cfg = StateConfig {
            path: f.text("path").map(|p| p.0),
            workspace: f.text("workspace").map(|w| w.0),
            ..StateConfig::default()
        };
        let backend = f.text("backend");
        let url = f.value("url").zip(f.span_of("url"));
        match (backend.as_ref().map(|(b, s)| (b.as_str(), *s)), url) {
            (None | Some(("local", _)), Some((_, span))) => self.diags.push(
                Diagnostic::error(
                    "strata::state-backend",
                    span,
                    "`url` needs backend = \"postgres\"",
                )
                .label("the local backend keeps state in a file")
                .help("add backend = \"postgres\", or use path = \"...\" for a local file"),
            ),
            (Some(("postgres", _)), Some((u, span))) => {
                if let Some(url) = self.state_url(u, span) {
                    cfg.backend = StateBackend::Postgres { url };
                }
            }
            (Some(("postgres", span)), None) => self.diags.push(
                Diagnostic::error(
                    "strata::state-backend",
                    span,
                    "the postgres state backend needs a `url`",
                )
                .label("no url")
                .help("add url = { env = \"STRATA_PG_URL\" } or url = \"${secret.NAME}\""),
            ),
            _ => {}
        }
        cfg
    }

    /// `url = { env = "NAME" }`, `url = "${secret.NAME}"` or a URL without a password.
    fn state_url(&mut self, u: &V, span: Span) -> Option<StateUrl> {
        match u {
            V::Table(t) => t.text("env").map(|(v, _)| StateUrl::Env(v)),
            V::Text(t) => {
                if let Some(r) = t
                    .sole_ref()
                    .filter(|r| r.parts.len() == 2 && r.parts[0] == "secret")
                {
                    return Some(StateUrl::Secret(r.parts[1].clone()));
                }
                let literal = t.as_literal();
                let has_password = literal.as_deref().is_some_and(|s| {
                    let authority = s.split_once("://").map_or("", |x| x.1);
                    authority
                        .split('/')
                        .next()
                        .unwrap_or("")
                        .rsplit_once('@')
                        .is_some_and(|(u, _)| u.contains(':'))
                });
                match literal {
                    Some(s) if !has_password => Some(StateUrl::Literal(s)),
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                "strata::state-url",
                                span,
                                "the state URL must be an environment variable, one secret, or a URL without a password",
                            )
                            .label("a password or reference written here")
                            .help("write url = { env = \"STRATA_PG_URL\" } or url = \"${secret.NAME}\"; a password never goes in a stack"),
                        );
                        None
                    }
                }
            }
            _ => None,
        }
    }

    fn ssh(&mut self) -> SshDefaults {
        let section = schema::section("ssh").expect("[ssh] has a key table");
        let f = match &self.raw.ssh {
            Some((t, span)) => {
                let mut c = Common::default();
                self.fields(t, "[ssh]", *span, &[section.keys], &mut c)
            }
            None => Fields::empty("[ssh]", Span::default(), &[section.keys]),
        };
        SshDefaults {
            user: f.text_or_default("user"),
            key: f.text("key").map(|k| self.local_path(&k.0, k.1)),
            port: f.int_or_default("port"),
            known_hosts: f.text("known_hosts").map(|k| k.0),
            key_passphrase_env: f.text("key_passphrase_env").map(|k| k.0),
            jump: f.text("jump").map(|k| k.0),
        }
    }

    fn secrets(&mut self) -> Vec<SecretDecl> {
        let section = schema::section("secrets").expect("[secrets] has a key table");
        let mut out = Vec::new();
        for e in &self.raw.secrets {
            let Val::Table(t) = &e.value.val else {
                self.diags.push(
                    Diagnostic::error(
                        "strata::secret",
                        e.value.span,
                        format!("secret `{}` must be a table naming its source", e.key),
                    )
                    .label(
                        "expected { env = \"NAME\" }, { file = \"PATH\" } or { command = [...] }",
                    )
                    .help(
                        "secret values are never written in a stack; say where to read them from",
                    ),
                );
                continue;
            };
            let before = self.diags.len();
            let mut c = Common::default();
            let what = format!("secret `{}`", e.key);
            let f = self.fields(t, what, e.key_span, &[section.keys], &mut c);
            // A misspelt or invalid source was just reported; saying that the
            // source is missing too would repeat it.
            let reported = self.diags.len() > before;
            let given = ["env", "file", "command"]
                .iter()
                .filter(|k| f.has(k))
                .count();
            if given != 1 {
                if given > 1 || !reported {
                    self.diags.push(
                        Diagnostic::error(
                            "strata::secret",
                            e.value.span,
                            format!("secret `{}` needs exactly one source", e.key),
                        )
                        .label("one of env, file or command (a non-empty array)")
                        .help("e.g. pg_password = { env = \"PG_PASSWORD\" }"),
                    );
                }
                continue;
            }
            let command = f.texts("command");
            let source = if let Some((v, _)) = f.text("env") {
                SecretSource::Env(v)
            } else if let Some((p, _)) = f.text("file") {
                SecretSource::File(self.secret_path(&p, e.key_span))
            } else if !command.is_empty() && !reported {
                SecretSource::Command(command.into_iter().map(|x| x.0).collect())
            } else {
                if !reported {
                    self.diags.push(
                        Diagnostic::error(
                            "strata::secret",
                            f.span_of("command").unwrap_or(e.value.span),
                            format!("secret `{}` has an empty command", e.key),
                        )
                        .label("name the program and its arguments")
                        .help("e.g. command = [\"pass\", \"show\", \"pg\"]"),
                    );
                }
                continue;
            };
            out.push(SecretDecl {
                name: e.key.clone(),
                source,
                span: e.key_span,
            });
        }
        out
    }

    /// A secret file's path: `~/` is the home directory, other relative
    /// paths are relative to the declaring file.
    pub(crate) fn secret_path(&self, path: &str, span: Span) -> String {
        if path.starts_with("~/") || std::path::Path::new(path).is_absolute() {
            return path.to_string();
        }
        let base = self
            .raw
            .sources
            .get(span.file)
            .path
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default();
        crate::load::normalize(&base.join(path))
            .to_string_lossy()
            .to_string()
    }

    /// A local file's path as an absolute path (relative paths are relative
    /// to the declaring file), so that it does not depend on the working
    /// directory Strata runs in.
    pub(crate) fn local_path(&self, path: &str, span: Span) -> String {
        let p = self.secret_path(path, span);
        if p.starts_with("~/") || std::path::Path::new(&p).is_absolute() {
            return p;
        }
        match std::env::current_dir() {
            Ok(cwd) => crate::load::normalize(&cwd.join(&p))
                .to_string_lossy()
                .to_string(),
            Err(_) => p,
        }
    }

    /// Component names must be valid Kubernetes names where they become one.
    fn check_component_name(&mut self, item: &Item) {
        let check = match item.section {
            "output" => return,
            "node" | "node_group" => crate::k8s::check_subdomain,
            "app" => crate::k8s::check_dns1035,
            _ => crate::k8s::check_label,
        };
        if let Err(why) = check(&item.name) {
            self.diags
                .push(name_error(item.name_span, &item.name, &why));
        }
    }

    /// `depends_on`, `protect`, `ignore_changes` and `allow`.
    pub(crate) fn common(&mut self, f: &Fields, c: &mut Common) {
        c.depends_on = f.texts("depends_on");
        c.protect = f.bool_or_default("protect");
        c.ignore_changes = f
            .texts("ignore_changes")
            .iter()
            .filter_map(|(p, _)| AttrPath::parse(p).ok())
            .collect();
        c.allow = f.texts("allow");
    }

    /// Node names are unique once groups are expanded, and so are addresses.
    fn check_nodes(&mut self, m: &StackModel) {
        let mut names: BTreeMap<&str, &NodeDecl> = BTreeMap::new();
        let mut addresses: BTreeMap<&str, &NodeDecl> = BTreeMap::new();
        for n in &m.nodes {
            if let Some(first) = names.get(n.hostname.as_str()) {
                let (member, other) = if n.group.is_some() {
                    (n, *first)
                } else {
                    (*first, n)
                };
                let group = member.group.as_deref().unwrap_or_default();
                let mut d = Diagnostic::error(
                    "strata::duplicate",
                    member.address_span,
                    format!(
                        "[node_group.{group}] names a member `{}`, which is also declared as [{}]",
                        member.hostname, other.common.address
                    ),
                )
                .label(format!("this address becomes node.{}", member.hostname));
                d = d.also(
                    other.common.span,
                    format!("[{}] is declared here", other.common.address),
                );
                self.diags.push(d.help(format!(
                    "rename the group or the node: members of [node_group.{group}] are named {group}-1, {group}-2, ..."
                )));
                continue;
            }
            names.insert(&n.hostname, n);
            if n.address.is_empty() {
                continue;
            }
            if let Some(first) = addresses.get(n.address.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        "strata::duplicate-address",
                        n.address_span,
                        format!(
                            "node.{} and node.{} have the same address {}",
                            first.hostname, n.hostname, n.address
                        ),
                    )
                    .label("used twice")
                    .also(
                        first.address_span,
                        format!("node.{} has it first", first.hostname),
                    )
                    .help("each node is a different host; give each its own address"),
                );
                continue;
            }
            addresses.insert(&n.address, n);
        }
    }
}

fn json_to_val(j: &J, span: Span) -> Val {
    match j {
        J::String(s) => Val::Str(s.replace("${", "$${")),
        J::Number(n) => n
            .as_i64()
            .map_or(Val::Float(n.as_f64().unwrap_or(f64::NAN)), Val::Int),
        J::Bool(b) => Val::Bool(*b),
        J::Array(a) => Val::Array(
            a.iter()
                .map(|x| Node {
                    val: json_to_val(x, span),
                    span,
                })
                .collect(),
        ),
        J::Object(_) | J::Null => Val::Str(j.to_string()),
    }
}

/// A diagnostic for an invalid Kubernetes name.
pub fn name_error(span: Span, name: &str, why: &str) -> Diagnostic {
    Diagnostic::error("strata::invalid-name", span, format!("`{name}` is not a valid Kubernetes name: {why}"))
        .label("invalid name")
        .help("use lower-case letters, digits and '-', starting and ending with a letter or digit (RFC 1123), at most 63 characters")
}
