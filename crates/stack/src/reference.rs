//! The language reference (`docs/reference.md`), generated from the key
//! tables of [`crate::schema`] and the policy checks of [`crate::policy`], so
//! that it cannot drift from what the decoder reads. A test compares the
//! committed file with [`markdown`] and validates every example in it.

use crate::policy::CHECKS;
use crate::schema::{
    DefaultValue, Format, Key, Refs, Required, Section, SectionKind, Type, COMMON_KEYS,
    EXAMPLE_PRELUDE, LIVENESS_PROBE, PRESETS, READINESS_PROBE, SECTIONS,
};
use std::fmt::Write;

/// The whole reference as Markdown.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    for s in SECTIONS.iter().filter(|s| s.kind != SectionKind::Component) {
        section(&mut out, s);
    }
    out.push_str("## Keys every component takes\n\n");
    out.push_str(
        "Every `[SECTION.NAME]` table below also takes these keys. `NAME` is an RFC 1123 label \
         (an RFC 1035 label for apps; a DNS subdomain for nodes).\n\n",
    );
    key_table(&mut out, COMMON_KEYS);
    for s in SECTIONS.iter().filter(|s| s.kind == SectionKind::Component) {
        section(&mut out, s);
    }
    presets(&mut out);
    app_defaults(&mut out);
    policy(&mut out);
    out
}

const HEADER: &str = "# Stack language reference

<!-- Generated from crates/stack/src/schema.rs by `STRATA_WRITE_REFERENCE=1 cargo test -p strata-stack --test reference`; do not edit by hand. -->

A stack is a directory of TOML files: every `*.toml` in it, plus the files its
`include` globs name. A table declared twice is an error naming both places;
an unknown key is an error with a \"did you mean\". Every problem is reported at
once, each at its file:line:col with a hint.

Every example below is a fragment: with this prelude (minus the tables the
example declares itself) it is a valid stack, and a test checks that it is.

```toml
[stack]
name = \"example\"

[node.server-1]
address = \"10.0.0.11\"
role = \"server\"

[k3s.main]
version = \"v1.36.3+k3s1\"
```

## References

`${vars.NAME}` is a variable, `${secret.NAME}` a secret and
`${SECTION.NAME.ATTRIBUTE}` an attribute another component exports (listed with
each section, e.g. `${service.postgresql.host}`, `${node.worker-2.address}`).
References are dependency edges. `$${` writes a literal `${`.

- A string that is exactly one reference keeps the referenced value's type:
  `replicas = \"${vars.brokers}\"` is an integer, `packages = \"${vars.packages}\"` a list.
- A list or a table can only be a whole value, never part of a longer string.
- Where references may appear is given for every key (column *refs*):
  **none** (read before variables are known), **vars** (`${vars.*}` only: the
  value must be known before anything is created), **plain** (variables and
  other components' attributes, but no secrets: the value is stored in plain
  text), **all** (secrets too: the value goes to a Secret, is never stored,
  or is a sensitive output).
- A reference that names nothing, a cycle of references, and a reference
  where it is not allowed are errors at the reference.

";

fn section(out: &mut String, s: &Section) {
    let title = match s.kind {
        SectionKind::Component => format!("[{}.NAME]", s.name),
        SectionKind::Entries if s.keys.is_empty() => format!("[{}]", s.name),
        SectionKind::Entries => format!("[{}] NAME = {{ ... }}", s.name),
        SectionKind::Settings => format!("[{}]", s.name),
    };
    let _ = writeln!(out, "## {title}\n\n{}\n", s.doc);
    if !s.keys.is_empty() {
        key_table(out, s.keys);
    }
    if !s.exports.is_empty() {
        out.push_str("References to it:\n\n");
        for e in s.exports {
            let _ = writeln!(out, "- `${{{}.NAME.{}}}`: {}", s.name, e.name, e.doc);
        }
        out.push('\n');
    }
    if !s.example.is_empty() {
        let _ = writeln!(out, "```toml\n{}```\n", s.example);
    }
}

fn key_table(out: &mut String, keys: &[Key]) {
    out.push_str("| key | type | required | default | refs | what it is |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    rows(out, "", keys);
    out.push('\n');
}

fn rows(out: &mut String, prefix: &str, keys: &[Key]) {
    for k in keys {
        let name = format!("{prefix}{}", k.name);
        let mut doc = k.doc.to_string();
        if !k.example.is_empty() {
            let _ = write!(doc, " E.g. `{}`.", k.example.replace('|', "\\|"));
        }
        let _ = writeln!(
            out,
            "| `{name}` | {} | {} | {} | {} | {} |",
            type_name(&k.ty),
            match k.required {
                Required::No => "",
                Required::Yes => "yes",
                Required::NonEmpty => "yes, non-empty",
            },
            default_text(&k.default),
            refs_name(k.refs),
            doc.replace('|', "\\|"),
        );
        let mut ty = &k.ty;
        let mut nested = name.clone();
        while let Type::List(inner) = ty {
            nested.push_str("[]");
            ty = inner;
        }
        if let Type::Table(inner) = ty {
            rows(out, &format!("{nested}."), inner);
        }
    }
}

/// How a type is named in the reference.
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::Str(f) => format_name(*f).to_string(),
        Type::Int { min, max } if *max == i64::from(i32::MAX) => {
            format!("integer ≥ {min}")
        }
        Type::Int { min, max } => format!("integer {min}..{max}"),
        Type::Port => "port (1..65535)".into(),
        Type::Bool => "boolean".into(),
        Type::Enum { values, .. } => values
            .iter()
            .map(|v| format!("`\"{v}\"`"))
            .collect::<Vec<_>>()
            .join(" \\| "),
        Type::IntOrPercent => "integer or `\"N%\"`".into(),
        Type::Scalar => "string, integer or boolean".into(),
        Type::List(inner) => format!("array of {}", type_name(inner)),
        Type::Map(keys, values) => {
            format!("table of {} = {}", format_name(*keys), type_name(values))
        }
        Type::Table(_) => "table".into(),
        Type::Any => "table (passed through)".into(),
        Type::StrOrTable(_) => "string or table".into(),
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Text => "string",
        Format::Label => "name (RFC 1123 label)",
        Format::Quantity => "quantity (`10Gi`, `500m`)",
        Format::HttpPath => "HTTP path",
        Format::Duration => "duration (`30s`, `1h30m`)",
        Format::ChartRepo => "`https://` or `oci://` URL",
        Format::GitRepo => "Git URL",
        Format::ServerUrl => "`https://` URL",
        Format::ApiEndpoint => "`https://HOST:PORT`",
        Format::Address => "IP address or DNS name",
        Format::Image => "image reference",
        Format::K3sVersion => "k3s version",
        Format::FileMode => "octal file mode",
        Format::LabelKey => "label key",
        Format::LabelValue => "label value",
        Format::Taint => "taint",
        Format::EnvName => "variable name",
        Format::GroupKind => "`group/Kind`",
        Format::AttrPath => "attribute path",
        Format::File => "path",
        Format::Target => "address",
        Format::Expression => "string (one reference keeps its type)",
    }
}

fn default_text(d: &DefaultValue) -> String {
    match d {
        DefaultValue::None => String::new(),
        DefaultValue::Int(i) => format!("`{i}`"),
        DefaultValue::Str(s) => format!("`\"{s}\"`"),
        DefaultValue::Bool(b) => format!("`{b}`"),
        DefaultValue::Computed(c) => c.to_string(),
    }
}

fn refs_name(r: Refs) -> &'static str {
    match r {
        Refs::None => "none",
        Refs::Vars => "vars",
        Refs::Plain(_) => "plain",
        Refs::Any => "all",
    }
}

fn presets(out: &mut String) {
    out.push_str(
        "## Presets\n\nA `[service.NAME]` takes the keys of `[service.NAME]` above and those of its preset.\n\n",
    );
    for p in PRESETS {
        let _ = writeln!(out, "### preset = \"{}\"\n\n{}\n", p.name, p.doc);
        let mut defaults = Vec::new();
        if let Some(r) = p.replicas {
            defaults.push(format!("`replicas = {r}`"));
        }
        if !p.storage.is_empty() {
            defaults.push(format!("`storage = \"{}\"`", p.storage));
        }
        if !defaults.is_empty() {
            let _ = writeln!(out, "Defaults: {}.\n", defaults.join(", "));
        }
        if !p.keys.is_empty() {
            key_table(out, p.keys);
        }
        out.push_str("References to it:\n\n");
        for e in p.exports {
            let _ = writeln!(out, "- `${{service.NAME.{}}}`: {}", e.name, e.doc);
        }
        out.push('\n');
    }
}

fn app_default(name: &str) -> String {
    let k = crate::schema::section("app")
        .and_then(|s| s.keys.iter().find(|k| k.name == name))
        .expect("an app key");
    default_text(&k.default)
}

fn app_defaults(out: &mut String) {
    let _ = write!(
        out,
        "## What an app gets

An `[app.NAME]` with only an `image` becomes, in namespace NAME (created when
needed):

- a ServiceAccount NAME without an automounted token;
- a ConfigMap NAME-config (`env`) and a Secret NAME-secrets (`secret_env`),
  both passed to the container with `envFrom`;
- a Deployment NAME with {replicas} replicas, one container `main` with the
  port {port} named `http`, image pull policy {pull};
- a liveness probe (HTTP GET on `health`, {health} by default, after
  {ld}s, every {lp}s) and a readiness probe (the same path, after {rd}s,
  every {rp}s);
- spread {spread}: pod anti-affinity on `kubernetes.io/hostname`, required
  (one replica per node) unless `spread` says `preferred` or `none`;
- a rolling update with maxSurge 1 and maxUnavailable 0, and 3 old
  ReplicaSets kept;
- the pod annotations `prometheus.io/scrape: \"true\"`,
  `prometheus.io/port` (the port) and `prometheus.io/path` (`monitoring.path`,
  `/metrics` by default);
- a ClusterIP Service NAME on the port.

`autoscaling` adds a HorizontalPodAutoscaler NAME-hpa (`autoscaling/v2`,
CPU utilisation) and leaves `spec.replicas` to it; `disruption` adds a
PodDisruptionBudget NAME-pdb; `monitoring` adds a ServiceMonitor NAME-monitor
(labelled `release` = the kube-prometheus-stack service's name; it copies the
Service's `app` label onto every series, which dashboards select by) and,
with `dashboard`, a ConfigMap NAME-grafana-dashboard for Grafana's sidecar;
`expose` adds an Ingress NAME (`networking.k8s.io/v1`, path type `Prefix`)
to the Service's `http` port.

With `delivery = \"gitops\"` the app gets none of these: Argo CD delivers it
from Git, and Strata applies only the `[application.*]` or
`[application_set.*]` that names its namespace. An Argo CD destination on the
stack's own cluster (`https://kubernetes.default.svc`, the API endpoint or
the first server) may not be a namespace where Strata applies objects, and
no two environments of an ApplicationSet may share a cluster and namespace:
either would give objects two owners that undo each other's changes. Argo
CD's own namespace is the exception (an \"app of apps\" syncs Applications
into it).

",
        replicas = app_default("replicas"),
        port = app_default("port"),
        pull = app_default("image_pull_policy"),
        health = app_default("health"),
        spread = app_default("spread"),
        ld = LIVENESS_PROBE.0,
        lp = LIVENESS_PROBE.1,
        rd = READINESS_PROBE.0,
        rp = READINESS_PROBE.1,
    );
}

fn policy(out: &mut String) {
    let _ = write!(
        out,
        "## HA policy checks

Mistakes that only show during an outage. They are warnings, errors with
`--strict` (on `validate` and `plan`); a component silences one with
`allow = [\"CODE\"]`. Defaults count: a one-node stack is warned that an app's
default {} replicas cannot spread.

| code | what it catches |
|---|---|
",
        app_default("replicas")
    );
    for c in CHECKS {
        let _ = writeln!(out, "| `{}` | {} |", c.code, c.doc.replace('|', "\\|"));
    }
    out.push('\n');
}

/// Every ```toml block of a Markdown text, each completed with
/// [`EXAMPLE_PRELUDE`] into a whole stack.
pub fn examples(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + 8..];
        let Some(end) = body.find("```") else { break };
        out.push(complete(&body[..end]));
        rest = &body[end + 3..];
    }
    out
}

/// An example with the prelude's tables it does not declare itself. An
/// example that targets an existing cluster (`cluster = ...` in `[stack]`)
/// gets no nodes or k3s.
fn complete(example: &str) -> String {
    let declares = |prefix: &str| example.lines().any(|l| l.starts_with(prefix));
    let existing_cluster = example.lines().any(|l| l.starts_with("cluster = "));
    let mut s = example.to_string();
    if existing_cluster {
        return s;
    }
    let prelude_tables = EXAMPLE_PRELUDE.split("\n\n");
    for table in prelude_tables {
        let header = table.lines().next().unwrap_or_default();
        let clash = match header {
            "[stack]" => declares("[stack]"),
            "[k3s.main]" => declares("[k3s."),
            _ => declares(header) || (declares("[node.") && example.contains("role = \"server\"")),
        };
        if !clash {
            s.push('\n');
            s.push_str(table.trim_end());
            s.push('\n');
        }
    }
    s
}
