//! Decoding merged tables into the typed [`StackModel`], with every problem
//! reported as a located diagnostic.

use crate::diag::{did_you_mean, Diagnostic, Span};
use crate::k8s;
use crate::load::{Item, RawStack};
use crate::model::*;
use crate::template::{self, Piece, Template};
use crate::value::{Node, TableReader, Val};
use std::collections::BTreeMap;
use strata_engine::AttrPath;

/// Variable overrides from `--var` and `STRATA_VAR_*`.
#[derive(Debug, Clone, Default)]
pub struct VarOverrides {
    /// `(name, value, where it came from)` in increasing priority.
    pub values: Vec<(String, String, String)>,
}

/// Decodes a read stack.
pub fn decode(
    raw: &RawStack,
    overrides: &VarOverrides,
    diags: &mut Vec<Diagnostic>,
) -> Option<StackModel> {
    let mut d = Decoder {
        raw,
        vars: BTreeMap::new(),
        diags,
    };
    d.vars(overrides);
    let (stack_table, stack_span) = raw.stack.as_ref()?;
    let mut r = TableReader::new(stack_table, "[stack]", *stack_span);
    let name = d.name(
        &mut r,
        "name",
        "name the stack, e.g. name = \"production\"",
        k8s::check_label,
    );
    r.node("include");
    let _ = r.str_list("include", d.diags);
    let _ = r.str("description", d.diags);
    let state = d.state_config(&mut r);
    r.finish(d.diags);
    let ssh = d.ssh();
    let secrets = d.secrets();
    let mut m = StackModel {
        name: name.unwrap_or_default(),
        state,
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
    };
    for item in &raw.items {
        let what = format!("[{}]", item.address());
        let mut r = TableReader::new(&item.table, what, item.name_span);
        let mut c = d.common(&mut r, item);
        match item.section {
            "node" => {
                if let Some(n) = d.node(&mut r, &mut c, &m.ssh, item.name.clone(), None) {
                    m.nodes.push(n);
                }
            }
            "node_group" => d.node_group(&mut r, &mut c, &mut m),
            "k3s" => m.clusters.extend(d.k3s(&mut r, &mut c)),
            "storage" => m.storages.extend(d.storage(&mut r, &mut c)),
            "service" => m
                .services
                .extend(crate::decode_k8s::service(&mut d, &mut r, &mut c)),
            "chart" => m
                .charts
                .extend(crate::decode_k8s::chart(&mut d, &mut r, &mut c)),
            "app" => m
                .apps
                .extend(crate::decode_k8s::app(&mut d, &mut r, &mut c)),
            "manifest" => m
                .manifests
                .extend(crate::decode_k8s::manifest(&mut d, &mut r, &mut c)),
            "application" => m
                .applications
                .extend(crate::decode_k8s::application(&mut d, &mut r, &mut c)),
            "application_set" => m
                .application_sets
                .extend(crate::decode_k8s::application_set(&mut d, &mut r, &mut c)),
            "output" => m
                .outputs
                .extend(crate::decode_k8s::output(&mut d, &mut r, &mut c)),
            _ => {}
        }
        r.finish(d.diags);
    }
    Some(m)
}

/// Decoding context: the raw stack, resolved vars and the diagnostics sink.
pub struct Decoder<'a> {
    /// The raw stack.
    pub raw: &'a RawStack,
    /// Variables with their final values.
    pub vars: BTreeMap<String, (serde_json::Value, Span)>,
    /// Where problems go.
    pub diags: &'a mut Vec<Diagnostic>,
}

impl Decoder<'_> {
    fn vars(&mut self, overrides: &VarOverrides) {
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
                continue;
            }
            self.vars
                .insert(e.key.clone(), (e.value.to_json(), e.key_span));
        }
        for (name, value, origin) in &overrides.values {
            let Some((current, span)) = self.vars.get(name).cloned() else {
                let mut d = Diagnostic::global(
                    "strata::unknown-var",
                    format!(
                        "{origin} sets `{name}`, but the stack declares no such variable in [vars]"
                    ),
                );
                d = match did_you_mean(name, self.vars.keys().map(String::as_str)) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("declare it in [vars] with a default value first"),
                };
                self.diags.push(d);
                continue;
            };
            let parsed = match &current {
                serde_json::Value::Number(n) if n.is_i64() => {
                    value.parse::<i64>().map(serde_json::Value::from).ok()
                }
                serde_json::Value::Number(_) => {
                    value.parse::<f64>().ok().map(serde_json::Value::from)
                }
                serde_json::Value::Bool(_) => {
                    value.parse::<bool>().map(serde_json::Value::from).ok()
                }
                serde_json::Value::Array(_) => serde_json::from_str(value).ok(),
                _ => Some(serde_json::Value::String(value.clone())),
            };
            match parsed {
                Some(v) => {
                    self.vars.insert(name.clone(), (v, span));
                }
                None => self.diags.push(
                    Diagnostic::error(
                        "strata::wrong-type",
                        span,
                        format!("{origin} sets `{name}` to {value:?}, which does not fit its declared type"),
                    )
                    .label(format!("declared here as {current}"))
                    .help("pass a value of the same type as the default in [vars]"),
                ),
            }
        }
    }

    fn state_config(&mut self, r: &mut TableReader) -> StateConfig {
        let Some((t, span)) = r.table("state", self.diags) else {
            return StateConfig::default();
        };
        let mut sr = TableReader::new(t, "[stack] state", span);
        let mut cfg = StateConfig::default();
        let backend = sr.str("backend", self.diags);
        let url = sr.node("url");
        cfg.path = sr.str("path", self.diags).map(|p| p.0);
        cfg.workspace = sr.str("workspace", self.diags).map(|p| p.0);
        match backend.as_ref().map(|(b, s)| (b.as_str(), *s)) {
            None | Some(("local", _)) => {
                if let Some(u) = url {
                    self.diags.push(
                        Diagnostic::error(
                            "strata::state-backend",
                            u.span,
                            "`url` needs backend = \"postgres\"",
                        )
                        .label("the local backend keeps state in a file")
                        .help("add backend = \"postgres\", or use path = \"...\" for a local file"),
                    );
                }
            }
            Some(("postgres", bspan)) => match url {
                Some(u) => {
                    if let Some(url) = self.state_url(u) {
                        cfg.backend = StateBackend::Postgres { url };
                    }
                }
                None => self.diags.push(
                    Diagnostic::error(
                        "strata::state-backend",
                        bspan,
                        "the postgres state backend needs a `url`",
                    )
                    .label("no url")
                    .help("add url = { env = \"STRATA_PG_URL\" } or url = \"${secret.NAME}\""),
                ),
            },
            Some((other, bspan)) => self.diags.push(
                Diagnostic::error(
                    "strata::state-backend",
                    bspan,
                    format!("unknown state backend `{other}`"),
                )
                .label("not a state backend")
                .help(
                    "use backend = \"local\" (a JSON file under state/) or backend = \"postgres\"",
                ),
            ),
        }
        sr.finish(self.diags);
        cfg
    }

    /// `url = { env = "NAME" }`, `url = "${secret.NAME}"` or a URL without a password.
    fn state_url(&mut self, n: &Node) -> Option<StateUrl> {
        let help = "write url = { env = \"STRATA_PG_URL\" } or url = \"${secret.NAME}\"; a password never goes in a stack";
        match &n.val {
            Val::Table(t) => {
                let mut ur = TableReader::new(t, "[stack] state.url", n.span);
                let env = ur.str("env", self.diags);
                ur.finish(self.diags);
                match env {
                    Some((v, _)) => Some(StateUrl::Env(v)),
                    None => {
                        self.diags.push(
                            Diagnostic::error("strata::state-url", n.span, "`url` names no source")
                                .label("expected { env = \"NAME\" }")
                                .help(help),
                        );
                        None
                    }
                }
            }
            Val::Str(s) => {
                if let Some(name) = s
                    .strip_prefix("${secret.")
                    .and_then(|r| r.strip_suffix('}'))
                    .filter(|n| !n.contains(['{', '}', '$']))
                {
                    return Some(StateUrl::Secret(name.to_string()));
                }
                let authority = s.split_once("://").map_or("", |x| x.1);
                let userinfo = authority.split('/').next().unwrap_or("").rsplit_once('@');
                if s.contains("${") || userinfo.is_some_and(|(u, _)| u.contains(':')) {
                    self.diags.push(
                        Diagnostic::error(
                            "strata::state-url",
                            n.span,
                            "the state URL must be an environment variable, one secret, or a URL without a password",
                        )
                        .label("a password or reference written here")
                        .help(help),
                    );
                    return None;
                }
                Some(StateUrl::Literal(s.clone()))
            }
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "strata::wrong-type",
                        n.span,
                        "`url` in [stack] state must be a table or a string",
                    )
                    .label("expected { env = \"NAME\" } or \"${secret.NAME}\"")
                    .help(help),
                );
                None
            }
        }
    }

    fn ssh(&mut self) -> SshDefaults {
        let mut ssh = SshDefaults {
            user: "root".into(),
            key: None,
            port: 22,
            known_hosts: None,
        };
        if let Some((t, span)) = &self.raw.ssh {
            let mut r = TableReader::new(t, "[ssh]", *span);
            if let Some(u) = self.literal(&mut r, "user") {
                ssh.user = u.0;
            }
            ssh.key = self.literal(&mut r, "key").map(|k| k.0);
            ssh.known_hosts = self.literal(&mut r, "known_hosts").map(|k| k.0);
            if let Some(p) = self.port(&mut r) {
                ssh.port = p;
            }
            r.finish(self.diags);
        }
        ssh
    }

    /// A `port` between 1 and 65535.
    pub(crate) fn port(&mut self, r: &mut TableReader) -> Option<i64> {
        let (p, span) = self.int(r, "port")?;
        if !(1..=65535).contains(&p) {
            self.diags.push(
                Diagnostic::error(
                    "strata::invalid-port",
                    span,
                    format!("port {p} is out of range"),
                )
                .label("must be 1..65535"),
            );
            return None;
        }
        Some(p)
    }

    fn secrets(&mut self) -> Vec<SecretDecl> {
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
            let mut r = TableReader::new(t, format!("secret `{}`", e.key), e.key_span);
            let env = r.str("env", self.diags);
            let file = r.str("file", self.diags);
            let cmd = r.str_list("command", self.diags);
            let before = self.diags.len();
            r.finish(self.diags);
            // A misspelt source key was just reported (with a suggestion);
            // saying that the source is missing too would repeat it.
            let misspelt = self.diags.len() > before;
            let source = match (env, file, cmd) {
                (Some(v), None, None) => SecretSource::Env(v.0),
                (None, Some(f), None) => SecretSource::File(f.0),
                (None, None, Some(c)) if !c.is_empty() => {
                    SecretSource::Command(c.into_iter().map(|x| x.0).collect())
                }
                (None, None, None) if misspelt => continue,
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            "strata::secret",
                            e.value.span,
                            format!("secret `{}` needs exactly one source", e.key),
                        )
                        .label("one of env, file or command (a non-empty array)")
                        .help("e.g. pg_password = { env = \"PG_PASSWORD\" }"),
                    );
                    continue;
                }
            };
            out.push(SecretDecl {
                name: e.key.clone(),
                source,
                span: e.key_span,
            });
        }
        out
    }

    /// `depends_on`, `protect` and `ignore_changes`.
    fn common(&mut self, r: &mut TableReader, item: &Item) -> Common {
        let mut c = Common {
            address: item.address(),
            name: item.name.clone(),
            span: item.name_span,
            ..Default::default()
        };
        if item.section != "output" && item.section != "node" && item.section != "node_group" {
            let check = if item.section == "app" {
                k8s::check_dns1035
            } else {
                k8s::check_label
            };
            if let Err(why) = check(&item.name) {
                self.diags
                    .push(name_error(item.name_span, &item.name, &why));
            }
        }
        c.depends_on = r.str_list("depends_on", self.diags).unwrap_or_default();
        c.protect = r.bool("protect", self.diags).is_some_and(|b| b.0);
        for (p, span) in r.str_list("ignore_changes", self.diags).unwrap_or_default() {
            match AttrPath::parse(&p) {
                Ok(path) => c.ignore_changes.push(path),
                Err(e) => self.diags.push(
                    Diagnostic::error("strata::ignore-changes", span, e.to_string())
                        .label("not an attribute path")
                        .help("write paths like \"spec.replicas\" or \"data[\\\"key.json\\\"]\""),
                ),
            }
        }
        c
    }

    /// A required name-like string checked by `check`.
    fn name(
        &mut self,
        r: &mut TableReader,
        key: &'static str,
        hint: &str,
        check: fn(&str) -> Result<(), String>,
    ) -> Option<String> {
        let (v, span) = r.req_str(key, hint, self.diags)?;
        let v = self.resolve_vars_only(&v, span)?;
        if let Err(why) = check(&v) {
            self.diags.push(name_error(span, &v, &why));
            return None;
        }
        Some(v)
    }

    /// A string template: `${vars.*}` substituted now, other references kept
    /// (and recorded on `c` for dependency edges).
    pub fn tpl(
        &mut self,
        r: &mut TableReader,
        key: &'static str,
        c: &mut Common,
    ) -> Option<Template> {
        let (s, span) = r.str(key, self.diags)?;
        Some(self.tpl_of(&s, span, c))
    }

    /// Parses a string found at `span` into a template (see [`tpl`](Self::tpl)).
    pub fn tpl_of(&mut self, s: &str, span: Span, c: &mut Common) -> Template {
        let raw_text = self.raw.sources.get(span.file).text.clone();
        let raw = raw_text.get(span.start..span.end).unwrap_or("");
        let t = template::parse(s, span, raw, self.diags);
        let mut pieces = Vec::new();
        for p in t.pieces {
            match p {
                Piece::Ref(r) if r.parts[0] == "vars" || r.parts[0] == "var" => {
                    match self.var(&r) {
                        Some(serde_json::Value::String(v)) => pieces.push(Piece::Lit(v)),
                        Some(other) => pieces.push(Piece::Lit(other.to_string())),
                        None => {}
                    }
                }
                Piece::Ref(r) => {
                    c.refs.push(r.clone());
                    pieces.push(Piece::Ref(r));
                }
                lit => pieces.push(lit),
            }
        }
        Template {
            pieces,
            span: t.span,
        }
    }

    fn var(&mut self, r: &crate::template::Ref) -> Option<serde_json::Value> {
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
        match self.vars.get(&r.parts[1]) {
            Some((v, _)) => Some(v.clone()),
            None => {
                let mut d = Diagnostic::error(
                    "strata::reference",
                    r.span,
                    format!("unknown variable `{}`", r.parts[1]),
                );
                d = match did_you_mean(&r.parts[1], self.vars.keys().map(String::as_str)) {
                    Some(s) => d.label(format!("did you mean `vars.{s}`?")),
                    None => d.label("not declared in [vars]"),
                };
                self.diags
                    .push(d.help("declare it in [vars], or fix the name"));
                None
            }
        }
    }

    /// Resolves a string in which only `${vars.*}` may appear.
    pub(crate) fn resolve_vars_only(&mut self, s: &str, span: Span) -> Option<String> {
        let mut c = Common::default();
        let t = self.tpl_of(s, span, &mut c);
        match t.as_literal() {
            Some(l) => Some(l),
            None => {
                let r = t.refs().next().expect("non-literal has a reference");
                self.diags.push(
                    Diagnostic::error("strata::reference", r.span, format!("`${{{}}}` cannot be used here", r.text()))
                        .label("only ${vars.*} is allowed in this field")
                        .help("this value must be known before anything is created; use a variable or a literal"),
                );
                None
            }
        }
    }

    /// A string where only `${vars.*}` may appear.
    pub fn literal(&mut self, r: &mut TableReader, key: &'static str) -> Option<(String, Span)> {
        let (s, span) = r.str(key, self.diags)?;
        self.resolve_vars_only(&s, span).map(|v| (v, span))
    }

    /// An integer, or a string that is exactly `${vars.NAME}` of an integer variable.
    pub fn int(&mut self, r: &mut TableReader, key: &'static str) -> Option<(i64, Span)> {
        let n = r.node(key)?;
        self.int_of(key, n, &r.what.clone())
    }

    /// See [`int`](Self::int), for a node already taken.
    pub fn int_of(&mut self, key: &str, n: &Node, what: &str) -> Option<(i64, Span)> {
        match &n.val {
            Val::Int(i) => Some((*i, n.span)),
            // A quoted number is a string: only `${vars.NAME}` may stand for an integer.
            Val::Str(s) if !s.contains("${") => {
                let mut d = Diagnostic::error(
                    "strata::wrong-type",
                    n.span,
                    format!("`{key}` in {what} must be an integer, not a string"),
                )
                .label("expected an integer");
                if s.trim().parse::<i64>().is_ok() {
                    d = d.help(format!(
                        "write the number without quotes: {key} = {}",
                        s.trim()
                    ));
                }
                self.diags.push(d);
                None
            }
            Val::Str(s) => {
                let v = self.resolve_vars_only(s, n.span)?;
                match v.parse() {
                    Ok(i) => Some((i, n.span)),
                    Err(_) => {
                        self.diags.push(
                            Diagnostic::error(
                                "strata::wrong-type",
                                n.span,
                                format!("`{key}` in {what} must be an integer, not {v:?}"),
                            )
                            .label("expected an integer"),
                        );
                        None
                    }
                }
            }
            other => {
                self.diags.push(
                    Diagnostic::error(
                        "strata::wrong-type",
                        n.span,
                        format!(
                            "`{key}` in {what} must be an integer, not {}",
                            other.type_name()
                        ),
                    )
                    .label("expected an integer"),
                );
                None
            }
        }
    }

    /// A required positive integer with a default.
    pub fn count(&mut self, r: &mut TableReader, key: &'static str, default: i64, min: i64) -> i64 {
        match self.int(r, key) {
            Some((v, _)) if v >= min => v,
            Some((v, span)) => {
                self.diags.push(
                    Diagnostic::error(
                        "strata::out-of-range",
                        span,
                        format!("`{key}` must be at least {min}, not {v}"),
                    )
                    .label("too small"),
                );
                default
            }
            None => default,
        }
    }

    /// A Kubernetes quantity such as `10Gi` or `500m`.
    pub fn quantity(&mut self, r: &mut TableReader, key: &'static str) -> Option<String> {
        let (v, span) = self.literal(r, key)?;
        if let Err(why) = k8s::check_quantity(&v) {
            self.diags.push(
                Diagnostic::error(
                    "strata::quantity",
                    span,
                    format!("`{v}` is not a valid Kubernetes quantity: {why}"),
                )
                .label("invalid quantity")
                .help("write sizes like \"10Gi\", \"512Mi\" and CPU like \"500m\" or \"2\""),
            );
            return None;
        }
        Some(v)
    }

    /// A namespace (defaults to `default`), checked as an RFC 1123 label.
    pub fn namespace(&mut self, r: &mut TableReader, default: &str) -> String {
        match self.literal(r, "namespace") {
            Some((ns, span)) => {
                if let Err(why) = k8s::check_label(&ns) {
                    self.diags.push(name_error(span, &ns, &why));
                }
                ns
            }
            None => default.to_string(),
        }
    }

    /// A pass-through table (chart values, k3s config) as JSON. `${vars.*}` is
    /// substituted now; other references stay in the strings (recorded on `c`)
    /// and are resolved at expansion. Secrets are refused: these values are
    /// stored in plain Kubernetes objects.
    pub fn values(
        &mut self,
        r: &mut TableReader,
        key: &'static str,
        c: &mut Common,
    ) -> Option<serde_json::Value> {
        r.table(key, self.diags)?;
        let node = r.node(key)?;
        Some(self.values_of(node, c))
    }

    fn values_of(&mut self, n: &Node, c: &mut Common) -> serde_json::Value {
        use serde_json::Value as J;
        match &n.val {
            Val::Str(s) if s.contains("${") => {
                let t = self.tpl_of(s, n.span, c);
                if let Some(r) = t
                    .refs()
                    .find(|r| r.parts[0] == "secret" || r.parts[0] == "secrets")
                {
                    self.diags.push(
                        Diagnostic::error("strata::secret-in-values", r.span, "secrets cannot be used in chart values or k3s config")
                            .label("would be stored in plain text")
                            .help("use the preset's password settings (stored in a Secret), or point the chart at an existing Secret"),
                    );
                }
                if let Some(l) = t.as_literal() {
                    return J::String(l);
                }
                let mut out = String::new();
                for p in &t.pieces {
                    match p {
                        Piece::Lit(l) => out.push_str(&l.replace("${", "$${")),
                        Piece::Ref(r) => {
                            out.push_str("${");
                            out.push_str(&r.text());
                            out.push('}');
                        }
                    }
                }
                J::String(out)
            }
            Val::Array(a) => J::Array(a.iter().map(|x| self.values_of(x, c)).collect()),
            Val::Table(t) => J::Object(
                t.entries
                    .iter()
                    .map(|e| (e.key.clone(), self.values_of(&e.value, c)))
                    .collect(),
            ),
            _ => n.to_json(),
        }
    }

    /// Checks every quantity inside a `resources` table.
    pub fn resources(&mut self, r: &mut TableReader) -> Option<Node> {
        let (t, span) = r.table("resources", self.diags)?;
        let mut rr = TableReader::new(t, format!("{} resources", r.what), span);
        for key in ["requests", "limits"] {
            if let Some((inner, ispan)) = rr.table(key, self.diags) {
                let mut ir = TableReader::new(inner, format!("resources.{key}"), ispan);
                for q in ["cpu", "memory", "ephemeral-storage"] {
                    self.quantity(&mut ir, q);
                }
                ir.finish(self.diags);
            }
        }
        rr.finish(self.diags);
        r.node("resources").cloned()
    }
}

/// A diagnostic for an invalid Kubernetes name.
pub fn name_error(span: Span, name: &str, why: &str) -> Diagnostic {
    Diagnostic::error("strata::invalid-name", span, format!("`{name}` is not a valid Kubernetes name: {why}"))
        .label("invalid name")
        .help("use lower-case letters, digits and '-', starting and ending with a letter or digit (RFC 1123), at most 63 characters")
}
