//! A spanned value tree read from TOML: every value keeps the place it came
//! from, for diagnostics.

use crate::diag::Span;
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
