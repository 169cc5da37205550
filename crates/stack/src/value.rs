//! A spanned value tree read from TOML, and [`TableReader`], which takes typed
//! fields out of a table while collecting every problem as a diagnostic.

use crate::diag::{did_you_mean, Diagnostic, Span};
use toml::de::{DeTable, DeValue};

/// A TOML value with the place it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub val: Val,
    /// Where it is.
    pub span: Span,
}

/// The kinds of TOML values.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A date-time, kept as written.
    Datetime(String),
    /// An array.
    Array(Vec<Node>),
    /// A table.
    Table(Table),
}

/// A table: keys in source order, each with its own span.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The entries.
    pub entries: Vec<Entry>,
}

/// One `key = value` of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

impl Table {
    /// The entry for `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

impl Val {
    /// The TOML type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Float(_) => "a float",
            Val::Bool(_) => "a boolean",
            Val::Datetime(_) => "a date-time",
            Val::Array(_) => "an array",
            Val::Table(_) => "a table",
        }
    }
}

impl Node {
    /// Converts to JSON (date-times become strings).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.val {
            Val::Str(s) | Val::Datetime(s) => J::String(s.clone()),
            Val::Int(i) => J::from(*i),
            Val::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Val::Bool(b) => J::Bool(*b),
            Val::Array(a) => J::Array(a.iter().map(Node::to_json).collect()),
            Val::Table(t) => J::Object(
                t.entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Converts a parsed TOML document into a [`Table`] of spanned nodes.
pub fn from_toml(file: usize, doc: &DeTable<'_>) -> Table {
    convert_table(file, doc)
}

fn convert_table(file: usize, t: &DeTable<'_>) -> Table {
    Table {
        entries: t
            .iter()
            .map(|(k, v)| Entry {
                key: k.get_ref().to_string(),
                key_span: Span::new(file, k.span()),
                value: convert(file, v.get_ref(), v.span()),
            })
            .collect(),
    }
}

fn convert(file: usize, v: &DeValue<'_>, span: std::ops::Range<usize>) -> Node {
    let val = match v {
        DeValue::String(s) => Val::Str(s.to_string()),
        DeValue::Integer(i) => {
            Val::Int(i64::from_str_radix(i.as_str(), i.radix()).unwrap_or(i64::MAX))
        }
        DeValue::Float(f) => Val::Float(f.as_str().replace('_', "").parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Val::Bool(*b),
        DeValue::Datetime(d) => Val::Datetime(d.to_string()),
        DeValue::Array(a) => Val::Array(
            a.iter()
                .map(|x| convert(file, x.get_ref(), x.span()))
                .collect(),
        ),
        DeValue::Table(t) => Val::Table(convert_table(file, t)),
    };
    Node {
        val,
        span: Span::new(file, span),
    }
}

/// Takes typed fields out of one table. Every key read is remembered; at
/// [`finish`](TableReader::finish) the rest are reported as unknown, with a
/// "did you mean" among the keys this table accepts.
pub struct TableReader<'t> {
    table: &'t Table,
    /// What the table is, for messages: "[node.master-1]".
    pub what: String,
    /// Where the table's name is written.
    pub span: Span,
    known: Vec<&'static str>,
    skip_rest: bool,
}

impl<'t> TableReader<'t> {
    /// Starts reading `table`, named `what` in messages.
    pub fn new(table: &'t Table, what: impl Into<String>, span: Span) -> Self {
        TableReader {
            table,
            what: what.into(),
            span,
            known: Vec::new(),
            skip_rest: false,
        }
    }

    /// The raw node for `key`, if present.
    pub fn node(&mut self, key: &'static str) -> Option<&'t Node> {
        self.known.push(key);
        self.table.get(key).map(|e| &e.value)
    }

    /// The span of `key` itself, if present.
    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.table.get(key).map(|e| e.key_span)
    }

    fn type_error(&self, key: &str, node: &Node, want: &str, diags: &mut Vec<Diagnostic>) {
        diags.push(
            Diagnostic::error(
                "strata::wrong-type",
                node.span,
                format!(
                    "`{key}` in {} must be {want}, not {}",
                    self.what,
                    node.val.type_name()
                ),
            )
            .label(format!("expected {want}")),
        );
    }

    /// A string field.
    pub fn str(
        &mut self,
        key: &'static str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(String, Span)> {
        let n = self.node(key)?;
        match &n.val {
            Val::Str(s) => Some((s.clone(), n.span)),
            _ => {
                self.type_error(key, n, "a string", diags);
                None
            }
        }
    }

    /// A required string field.
    pub fn req_str(
        &mut self,
        key: &'static str,
        hint: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(String, Span)> {
        if self.table.get(key).is_none() {
            self.known.push(key);
            diags.push(
                Diagnostic::error(
                    "strata::missing-key",
                    self.span,
                    format!("{} needs `{key}`", self.what),
                )
                .label(format!("`{key}` is missing here"))
                .help(hint.to_string()),
            );
            return None;
        }
        self.str(key, diags)
    }

    /// An integer field (a `${vars.x}` string is resolved by the caller).
    pub fn int(&mut self, key: &'static str, diags: &mut Vec<Diagnostic>) -> Option<(i64, Span)> {
        let n = self.node(key)?;
        match &n.val {
            Val::Int(i) => Some((*i, n.span)),
            _ => {
                self.type_error(key, n, "an integer", diags);
                None
            }
        }
    }

    /// A boolean field.
    pub fn bool(&mut self, key: &'static str, diags: &mut Vec<Diagnostic>) -> Option<(bool, Span)> {
        let n = self.node(key)?;
        match &n.val {
            Val::Bool(b) => Some((*b, n.span)),
            _ => {
                self.type_error(key, n, "a boolean (true or false)", diags);
                None
            }
        }
    }

    /// An array of strings.
    pub fn str_list(
        &mut self,
        key: &'static str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Vec<(String, Span)>> {
        let n = self.node(key)?;
        let Val::Array(items) = &n.val else {
            self.type_error(key, n, "an array of strings", diags);
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            match &item.val {
                Val::Str(s) => out.push((s.clone(), item.span)),
                _ => self.type_error(key, item, "a string", diags),
            }
        }
        Some(out)
    }

    /// A table field.
    pub fn table(
        &mut self,
        key: &'static str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(&'t Table, Span)> {
        let n = self.node(key)?;
        match &n.val {
            Val::Table(t) => Some((t, n.span)),
            _ => {
                self.type_error(key, n, "a table", diags);
                None
            }
        }
    }

    /// A table of strings (`env = { A = "b" }`).
    pub fn str_map(
        &mut self,
        key: &'static str,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<(String, Span, String, Span)> {
        let Some((t, _)) = self.table(key, diags) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in &t.entries {
            match &e.value.val {
                Val::Str(s) => out.push((e.key.clone(), e.key_span, s.clone(), e.value.span)),
                _ => self.type_error(&format!("{key}.{}", e.key), &e.value, "a string", diags),
            }
        }
        out
    }

    /// Treats every key as read: for a table that cannot be decoded further
    /// (its kind is missing or unknown), whose keys would otherwise all be
    /// reported as unknown on top of the real problem.
    pub fn skip_rest(&mut self) {
        self.skip_rest = true;
    }

    /// Reports every key that was not read.
    pub fn finish(self, diags: &mut Vec<Diagnostic>) {
        if self.skip_rest {
            return;
        }
        for e in &self.table.entries {
            if self.known.contains(&e.key.as_str()) {
                continue;
            }
            let mut d = Diagnostic::error(
                "strata::unknown-key",
                e.key_span,
                format!("unknown key `{}` in {}", e.key, self.what),
            );
            match did_you_mean(&e.key, self.known.iter().copied()) {
                Some(s) => {
                    d = d
                        .label(format!("did you mean `{s}`?"))
                        .help(format!("rename it to `{s}`"))
                }
                None => {
                    let mut keys = self.known.clone();
                    keys.sort();
                    keys.dedup();
                    d = d.label("not a known key").help(format!(
                        "{} accepts: {}",
                        self.what,
                        keys.join(", ")
                    ));
                }
            }
            diags.push(d);
        }
    }
}
