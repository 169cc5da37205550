//! Checking one table against its key table ([`crate::schema`]): unknown
//! keys, missing keys, types, ranges, enums, formats, and where `${...}`
//! references may appear, for every table of the language. The result is a
//! [`Fields`].

use crate::decode::Decoder;
use crate::diag::{did_you_mean, Diagnostic, Span};
use crate::fields::{Field, Fields, MapEntry, V};
use crate::formats::check_format;
use crate::model::Common;
use crate::schema::{Format, Key, Refs, Required, Type};
use crate::template::{self, Piece, Ref, Template};
use crate::value::{Node, Table, Val};
use serde_json::Value as J;

/// Where a string is being read: what may be referenced, and how to name it.
struct Place<'a> {
    refs: Refs,
    /// The key as named in messages: "`image`", "env `LOG_LEVEL`".
    label: &'a str,
    /// Whether a sole reference may stand for a list or a table (values, outputs).
    any_type: bool,
}

impl Decoder<'_> {
    /// Reads `table` (named `what`, written at `span`) against `keys`:
    /// every problem is reported, and references are recorded on `c`.
    pub fn fields(
        &mut self,
        table: &Table,
        what: impl Into<String>,
        span: Span,
        keys: &[&'static [Key]],
        c: &mut Common,
    ) -> Fields {
        let what = what.into();
        let mut out = Fields::empty(what.clone(), span, keys);
        for e in &table.entries {
            let Some(key) = keys.iter().flat_map(|t| t.iter()).find(|k| k.name == e.key) else {
                self.unknown_key(&e.key, e.key_span, &what, keys);
                continue;
            };
            let value = self.check(&e.value, &key.ty, key, &e.key, &what, c, false);
            out.fields.push(Field {
                key,
                key_span: e.key_span,
                span: e.value.span,
                value,
            });
        }
        for key in keys.iter().flat_map(|t| t.iter()) {
            let field = out.fields.iter().find(|f| f.key.name == key.name);
            match (key.required, field) {
                (Required::No, _) => {}
                (_, None) => self.missing_key(key, &what, span),
                (Required::NonEmpty, Some(f)) => {
                    if matches!(&f.value, Some(V::List(items)) if items.is_empty()) {
                        self.diags.push(
                            Diagnostic::error(
                                "strata::missing-key",
                                f.span,
                                format!("{what} needs a non-empty `{}` list", key.name),
                            )
                            .label("empty")
                            .help(example_help(key)),
                        );
                    }
                }
                (Required::Yes, Some(_)) => {}
            }
        }
        out
    }

    fn unknown_key(&mut self, name: &str, span: Span, what: &str, keys: &[&'static [Key]]) {
        let known: Vec<&str> = keys.iter().flat_map(|t| t.iter()).map(|k| k.name).collect();
        let mut d = Diagnostic::error(
            "strata::unknown-key",
            span,
            format!("unknown key `{name}` in {what}"),
        );
        d = match did_you_mean(name, known.iter().copied()) {
            Some(s) => d
                .label(format!("did you mean `{s}`?"))
                .help(format!("rename it to `{s}`")),
            None => {
                let mut keys = known.clone();
                keys.sort();
                d.label("not a known key")
                    .help(format!("{what} accepts: {}", keys.join(", ")))
            }
        };
        self.diags.push(d);
    }

    fn missing_key(&mut self, key: &Key, what: &str, span: Span) {
        let message = if key.required == Required::NonEmpty {
            format!("{what} needs a non-empty `{}` list", key.name)
        } else {
            format!("{what} needs `{}`", key.name)
        };
        self.diags.push(
            Diagnostic::error("strata::missing-key", span, message)
                .label(format!("`{}` is missing here", key.name))
                .help(example_help(key)),
        );
    }

    /// Checks one value against `ty`. `name` is the key (or `key.entry`) for
    /// messages; `from_var` says the node was substituted from a variable.
    #[allow(clippy::too_many_arguments)]
    fn check(
        &mut self,
        node: &Node,
        ty: &Type,
        key: &'static Key,
        name: &str,
        what: &str,
        c: &mut Common,
        from_var: bool,
    ) -> Option<V> {
        // A string that is exactly `${vars.NAME}` stands for the variable's
        // value, of whatever type, where the key is not a string.
        if let (Val::Str(s), false) = (&node.val, matches!(ty, Type::Str(_) | Type::Enum { .. })) {
            if let Some(r) = self.sole_var_ref(s, node.span) {
                let value = self.var(&r)?;
                let sub = json_node(&value, node.span);
                return self.check(&sub, ty, key, name, what, c, true);
            }
        }
        let type_error = |d: &mut Decoder, want: &str| {
            d.diags.push(
                Diagnostic::error(
                    "strata::wrong-type",
                    node.span,
                    format!(
                        "`{name}` in {what} must be {want}, not {}",
                        node.val.type_name()
                    ),
                )
                .label(format!("expected {want}")),
            );
        };
        match ty {
            Type::Str(format) => {
                let Val::Str(s) = &node.val else {
                    type_error(self, "a string");
                    return None;
                };
                let label = format!("`{name}`");
                let place = Place {
                    refs: key.refs,
                    label: &label,
                    any_type: *format == Format::Expression,
                };
                let t = self.template(s, node.span, c, &place)?;
                if let Some(lit) = t.as_literal() {
                    if let Some(d) = check_format(*format, name, &lit, node.span) {
                        self.diags.push(d);
                        return None;
                    }
                }
                Some(V::Text(t))
            }
            Type::Enum { noun, values } => {
                let Val::Str(s) = &node.val else {
                    type_error(self, "a string");
                    return None;
                };
                let s = self.resolve_vars_only(s, node.span)?;
                if values.contains(&s.as_str()) {
                    return Some(V::Text(Template::literal(&s, node.span)));
                }
                let guess = did_you_mean(&s, values.iter().copied());
                let mut d = Diagnostic::error(
                    "strata::unknown-value",
                    node.span,
                    format!("unknown {noun} `{s}`"),
                );
                d = match guess {
                    Some(g) => d.label(format!("did you mean `{g}`?")),
                    None => d.label(format!("expected {}", one_of(values))),
                };
                self.diags
                    .push(d.help(format!("`{}`: {}", key.name, key.doc)));
                // Go on with the suggestion, so that the typo is not reported
                // again as a consequence (a cluster without servers, ...).
                guess.map(|g| V::Text(Template::literal(g, node.span)))
            }
            Type::Int { .. } | Type::Port => {
                let v = match &node.val {
                    Val::Int(i) => *i,
                    Val::Str(s) if from_var => match s.trim().parse::<i64>() {
                        Ok(i) => i,
                        Err(_) => {
                            self.diags.push(
                                Diagnostic::error(
                                    "strata::wrong-type",
                                    node.span,
                                    format!("`{name}` in {what} must be an integer, not {s:?}"),
                                )
                                .label("expected an integer"),
                            );
                            return None;
                        }
                    },
                    Val::Str(s) => {
                        // A quoted number is a string: only `${vars.NAME}` may
                        // stand for an integer.
                        let mut d = Diagnostic::error(
                            "strata::wrong-type",
                            node.span,
                            format!("`{name}` in {what} must be an integer, not a string"),
                        )
                        .label("expected an integer");
                        if s.trim().parse::<i64>().is_ok() {
                            d = d.help(format!(
                                "write the number without quotes: {name} = {}",
                                s.trim()
                            ));
                        }
                        self.diags.push(d);
                        return None;
                    }
                    _ => {
                        type_error(self, "an integer");
                        return None;
                    }
                };
                self.check_range(ty, name, v, node.span)
                    .then_some(V::Int(v))
            }
            Type::Bool => match &node.val {
                Val::Bool(b) => Some(V::Bool(*b)),
                _ => {
                    type_error(self, "a boolean");
                    if let Some(d) = self.diags.last_mut() {
                        d.primary.as_mut().expect("located").1 = "expected true or false".into();
                    }
                    None
                }
            },
            Type::IntOrPercent => match &node.val {
                Val::Int(i) if *i >= 0 => Some(V::Json(J::from(*i))),
                Val::Str(s) => {
                    let s = self.resolve_vars_only(s, node.span)?;
                    let ok = s
                        .strip_suffix('%')
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                        && s.trim_end_matches('%')
                            .parse::<u32>()
                            .is_ok_and(|n| n <= 100);
                    if !ok {
                        self.diags.push(
                            Diagnostic::error(
                                "strata::invalid-value",
                                node.span,
                                format!("`{name}` must be a count or a percentage, not {s:?}"),
                            )
                            .label("expected e.g. 1 or \"50%\""),
                        );
                        return None;
                    }
                    Some(V::Json(J::String(s)))
                }
                Val::Int(i) => {
                    self.diags.push(
                        Diagnostic::error(
                            "strata::out-of-range",
                            node.span,
                            format!("{name} must be at least 0, not {i}"),
                        )
                        .label("negative"),
                    );
                    None
                }
                _ => {
                    type_error(self, &ty.describe());
                    None
                }
            },
            Type::Scalar => match &node.val {
                Val::Str(s) => {
                    let s = self.resolve_vars_only(s, node.span)?;
                    Some(V::Text(Template::literal(&s, node.span)))
                }
                Val::Int(i) => Some(V::Text(Template::literal(&i.to_string(), node.span))),
                Val::Bool(b) => Some(V::Text(Template::literal(&b.to_string(), node.span))),
                _ => {
                    type_error(self, &ty.describe());
                    None
                }
            },
            Type::List(inner) => {
                let Val::Array(items) = &node.val else {
                    type_error(self, &ty.describe());
                    return None;
                };
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let item_what;
                    let (item_name, item_in) = match inner {
                        Type::Table(_) => {
                            item_what = format!("{what} {name} #{}", i + 1);
                            (name, item_what.as_str())
                        }
                        _ => (name, what),
                    };
                    if let Some(v) = self.check(item, inner, key, item_name, item_in, c, from_var) {
                        out.push((v, item.span));
                    }
                }
                Some(V::List(out))
            }
            Type::Map(key_format, inner) => {
                let Val::Table(t) = &node.val else {
                    type_error(self, "a table");
                    return None;
                };
                let mut out = Vec::new();
                for e in &t.entries {
                    if e.key.contains("${") {
                        self.reference_in_key(&e.key, e.key_span);
                        continue;
                    }
                    if let Some(d) = check_format(*key_format, &e.key, &e.key, e.key_span) {
                        self.diags.push(d);
                        continue;
                    }
                    let entry = format!("{name}.{}", e.key);
                    let v = match inner {
                        Type::Str(format) => self.map_text(e, *format, key, name, what, c),
                        _ => self.check(&e.value, inner, key, &entry, what, c, from_var),
                    };
                    if let Some(v) = v {
                        out.push(MapEntry {
                            key: e.key.clone(),
                            key_span: e.key_span,
                            value: v,
                            span: e.value.span,
                        });
                    }
                }
                Some(V::Map(out))
            }
            Type::Table(keys) => {
                let Val::Table(t) = &node.val else {
                    type_error(self, "a table");
                    return None;
                };
                let inner_what = format!("{what} {name}");
                Some(V::Table(self.fields(t, inner_what, node.span, &[keys], c)))
            }
            Type::StrOrTable(keys) => match &node.val {
                Val::Table(_) => self.check(node, &Type::Table(keys), key, name, what, c, from_var),
                _ => self.check(node, &Type::Str(Format::Text), key, name, what, c, from_var),
            },
            Type::Any => {
                if !matches!(node.val, Val::Table(_)) && !from_var {
                    type_error(self, "a table");
                    return None;
                }
                Some(V::Json(self.values_of(node, key.refs, name, c)))
            }
        }
    }

    /// A string entry of a map (`env = { NAME = "..." }`), named `key NAME`.
    fn map_text(
        &mut self,
        e: &crate::value::Entry,
        format: Format,
        key: &'static Key,
        name: &str,
        what: &str,
        c: &mut Common,
    ) -> Option<V> {
        let Val::Str(s) = &e.value.val else {
            self.diags.push(
                Diagnostic::error(
                    "strata::wrong-type",
                    e.value.span,
                    format!(
                        "`{name}.{}` in {what} must be a string, not {}",
                        e.key,
                        e.value.val.type_name()
                    ),
                )
                .label("expected a string"),
            );
            return None;
        };
        let label = format!("{name} `{}`", e.key);
        let place = Place {
            refs: key.refs,
            label: &label,
            any_type: false,
        };
        let t = self.template(s, e.value.span, c, &place)?;
        if let Some(lit) = t.as_literal() {
            if let Some(d) = check_format(format, &e.key, &lit, e.value.span) {
                self.diags.push(d);
                return None;
            }
        }
        Some(V::Text(t))
    }

    fn check_range(&mut self, ty: &Type, name: &str, v: i64, span: Span) -> bool {
        let (min, max) = match ty {
            Type::Int { min, max } => (*min, *max),
            _ => (1, 65535),
        };
        if (min..=max).contains(&v) {
            return true;
        }
        let d = if matches!(ty, Type::Port) {
            Diagnostic::error(
                "strata::invalid-port",
                span,
                format!("port {v} is out of range"),
            )
            .label("must be 1..65535")
        } else if v < min {
            Diagnostic::error(
                "strata::out-of-range",
                span,
                format!("{name} must be at least {min}, not {v}"),
            )
            .label("too small")
        } else {
            Diagnostic::error(
                "strata::out-of-range",
                span,
                format!("{name} must be at most {max}, not {v}"),
            )
            .label(if max == i64::from(i32::MAX) {
                "Kubernetes stores it in 32 bits"
            } else {
                "too large"
            })
        };
        self.diags.push(d);
        false
    }

    /// The reference when `s` is exactly `${vars.NAME}`.
    fn sole_var_ref(&mut self, s: &str, span: Span) -> Option<Ref> {
        if !s.starts_with("${") || !s.ends_with('}') {
            return None;
        }
        let raw = self.raw_source(span);
        let mut sink = Vec::new();
        let t = template::parse(s, span, &raw, &mut sink);
        let r = t.sole_ref()?;
        (r.parts[0] == "vars" || r.parts[0] == "var").then(|| r.clone())
    }

    /// Resolves a string in which only `${vars.*}` may appear.
    pub(crate) fn resolve_vars_only(&mut self, s: &str, span: Span) -> Option<String> {
        let mut c = Common::default();
        let place = Place {
            refs: Refs::Vars,
            label: "this field",
            any_type: false,
        };
        self.template(s, span, &mut c, &place)?.as_literal()
    }

    /// Parses a string into a template, substituting `${vars.*}` and checking
    /// every other reference against `place`. `None` when a reference is not
    /// allowed or does not resolve.
    fn template(&mut self, s: &str, span: Span, c: &mut Common, place: &Place) -> Option<Template> {
        let raw = self.raw_source(span);
        let before = self.diags.len();
        let t = template::parse(s, span, &raw, self.diags);
        let sole = t.sole_ref().is_some();
        let mut pieces = Vec::new();
        for p in t.pieces {
            match p {
                Piece::Ref(r) if r.parts[0] == "vars" || r.parts[0] == "var" => {
                    if place.refs == Refs::None {
                        self.no_refs_here(&r, place);
                        continue;
                    }
                    match self.var(&r) {
                        Some(J::String(v)) => pieces.push(Piece::Lit(v)),
                        Some(v @ (J::Array(_) | J::Object(_))) => {
                            let what = if v.is_array() { "a list" } else { "a table" };
                            self.diags.push(
                                Diagnostic::error(
                                    "strata::reference-type",
                                    r.span,
                                    format!("`${{{}}}` is {what}, and {what} cannot be used inside a string", r.text()),
                                )
                                .label(format!("{what}, not text"))
                                .help("use a variable holding a string here, or write the list as the whole value of a key that takes one"),
                            );
                        }
                        Some(v) => pieces.push(Piece::Lit(v.to_string())),
                        None => {}
                    }
                }
                Piece::Ref(mut r) => {
                    let secret = r.parts[0] == "secret" || r.parts[0] == "secrets";
                    match place.refs {
                        Refs::None => {
                            self.no_refs_here(&r, place);
                            continue;
                        }
                        Refs::Vars => {
                            self.diags.push(
                                Diagnostic::error("strata::reference", r.span, format!("`${{{}}}` cannot be used here", r.text()))
                                    .label("only ${vars.*} is allowed in this field")
                                    .help("this value must be known before anything is created; use a variable or a literal"),
                            );
                            continue;
                        }
                        Refs::Plain(stored) if secret => {
                            self.diags.push(
                                Diagnostic::error(
                                    "strata::secret-exposed",
                                    r.span,
                                    format!("{} uses a secret but would be stored in {stored}", place.label),
                                )
                                .label("the secret would be readable there")
                                .help("secrets belong in an app's secret_env, a preset's password settings, the k3s token or a sensitive output; or point the chart at an existing Secret"),
                            );
                            continue;
                        }
                        _ => {}
                    }
                    r.in_text = !(sole && place.any_type);
                    c.refs.push(r.clone());
                    pieces.push(Piece::Ref(r));
                }
                lit => pieces.push(lit),
            }
        }
        if self.diags.len() > before {
            return None;
        }
        if pieces.is_empty() {
            pieces.push(Piece::Lit(String::new()));
        }
        Some(Template { pieces, span })
    }

    fn reference_in_key(&mut self, key: &str, span: Span) {
        self.diags.push(
            Diagnostic::error(
                "strata::reference",
                span,
                format!("the key `{key}` holds a reference; keys are written as they are"),
            )
            .label("references are resolved in values only")
            .help("write the key itself"),
        );
    }

    fn no_refs_here(&mut self, r: &Ref, place: &Place) {
        self.diags.push(
            Diagnostic::error(
                "strata::reference",
                r.span,
                format!("references cannot be used in {}", place.label),
            )
            .label(format!("`${{{}}}` is not resolved here", r.text()))
            .help("it is read before variables are known; write the value itself"),
        );
    }

    /// A pass-through value as JSON. A string that is exactly `${vars.NAME}`
    /// becomes the variable's value; other references stay as `${...}` text
    /// (recorded on `c`) and are resolved at expansion; a literal `${` is kept
    /// as `$${`.
    pub(crate) fn values_of(&mut self, n: &Node, refs: Refs, path: &str, c: &mut Common) -> J {
        match &n.val {
            Val::Str(s) if s.contains('$') => {
                if let Some(r) = self.sole_var_ref(s, n.span) {
                    return self.var(&r).unwrap_or(J::Null);
                }
                let label = format!("`{path}`");
                let place = Place {
                    refs,
                    label: &label,
                    any_type: true,
                };
                let Some(t) = self.template(s, n.span, c, &place) else {
                    return J::Null;
                };
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
            Val::Array(a) => J::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| self.values_of(x, refs, &format!("{path}[{i}]"), c))
                    .collect(),
            ),
            Val::Table(t) => J::Object(
                t.entries
                    .iter()
                    .map(|e| {
                        if e.key.contains("${") {
                            self.reference_in_key(&e.key, e.key_span);
                        }
                        let p = format!("{path}.{}", e.key);
                        (e.key.clone(), self.values_of(&e.value, refs, &p, c))
                    })
                    .collect(),
            ),
            _ => n.to_json(),
        }
    }
}

/// A variable's value as a node at `span`, for checking it where it is used.
/// Strings keep a literal `${` (escaped, so it is not read as a reference).
fn json_node(v: &J, span: Span) -> Node {
    let val = match v {
        J::String(s) => Val::Str(s.replace("${", "$${")),
        J::Number(n) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => Val::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::Bool(b) => Val::Bool(*b),
        J::Array(a) => Val::Array(a.iter().map(|x| json_node(x, span)).collect()),
        J::Object(m) => Val::Table(Table {
            entries: m
                .iter()
                .map(|(k, x)| crate::value::Entry {
                    key: k.clone(),
                    key_span: span,
                    value: json_node(x, span),
                })
                .collect(),
        }),
        J::Null => Val::Str(String::new()),
    };
    Node { val, span }
}

/// "a, b or c".
pub fn one_of(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [one] => format!("\"{one}\""),
        [rest @ .., last] => format!(
            "{} or \"{last}\"",
            rest.iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn example_help(key: &Key) -> String {
    let doc = key.doc.trim_end_matches('.');
    let mut chars = doc.chars();
    let doc = match chars.next() {
        Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    };
    if key.example.is_empty() {
        format!("`{}`: {doc}", key.name)
    } else {
        format!("`{}`: {doc}; e.g. {} = {}", key.name, key.name, key.example)
    }
}
