//! A table read against its key table: [`Fields`] holds only values that
//! passed every check (see `check.rs`), so the decoder builds the model from
//! it without checking types again.

use crate::diag::Span;
use crate::schema::{DefaultValue, Key};
use crate::template::Template;
use serde_json::Value as J;

/// A checked value.
#[derive(Debug, Clone)]
pub enum V {
    /// A string: `${vars.*}` substituted, other references kept.
    Text(Template),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// An array, each item with its span.
    List(Vec<(V, Span)>),
    /// A table with free keys.
    Map(Vec<MapEntry>),
    /// A table with fixed keys.
    Table(Fields),
    /// A pass-through value (references left as `${...}` text, literal `${` as `$${`).
    Json(J),
}

/// One entry of a [`V::Map`].
#[derive(Debug, Clone)]
pub struct MapEntry {
    /// The key.
    pub key: String,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: V,
    /// Where the value is written.
    pub span: Span,
}

/// One key found in a table.
#[derive(Debug, Clone)]
pub struct Field {
    /// Its entry in the key table.
    pub key: &'static Key,
    /// Where the key is written.
    pub key_span: Span,
    /// Where the value is written.
    pub span: Span,
    /// The value, when it passed every check.
    pub value: Option<V>,
}

/// A table read against its keys.
#[derive(Debug, Clone)]
pub struct Fields {
    /// What the table is, for messages: `[node.master-1]`.
    pub what: String,
    /// Where the table's name (or the inline table) is written.
    pub span: Span,
    keys: Vec<&'static [Key]>,
    pub(crate) fields: Vec<Field>,
}

impl Fields {
    /// An empty table (for one that is absent).
    pub fn empty(what: impl Into<String>, span: Span, keys: &[&'static [Key]]) -> Fields {
        Fields {
            what: what.into(),
            span,
            keys: keys.to_vec(),
            fields: Vec::new(),
        }
    }

    /// The schema entry of `name`; reading a key the schema does not list is
    /// a bug caught in debug builds.
    pub fn spec(&self, name: &str) -> Option<&'static Key> {
        let k = self
            .keys
            .iter()
            .flat_map(|t| t.iter())
            .find(|k| k.name == name);
        debug_assert!(
            k.is_some(),
            "{} reads `{name}`, which its key table does not list",
            self.what
        );
        k
    }

    /// The field `name`, if written.
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.spec(name);
        self.fields.iter().find(|f| f.key.name == name)
    }

    /// Whether `name` is written (valid or not).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The value of `name`, if written and valid.
    pub fn value(&self, name: &str) -> Option<&V> {
        self.get(name)?.value.as_ref()
    }

    /// Where `name`'s value is written.
    pub fn span_of(&self, name: &str) -> Option<Span> {
        self.get(name).map(|f| f.span)
    }

    /// A string as a template.
    pub fn tpl(&self, name: &str) -> Option<Template> {
        match self.value(name)? {
            V::Text(t) => Some(t.clone()),
            _ => None,
        }
    }

    /// A string without references (the schema allows `${vars.*}` only).
    pub fn text(&self, name: &str) -> Option<(String, Span)> {
        let f = self.get(name)?;
        match f.value.as_ref()? {
            V::Text(t) => t.as_literal().map(|s| (s, f.span)),
            _ => None,
        }
    }

    /// A string, or the key's default.
    pub fn text_or_default(&self, name: &str) -> String {
        self.text(name)
            .map(|t| t.0)
            .unwrap_or_else(|| match self.spec(name).map(|k| k.default) {
                Some(DefaultValue::Str(s)) => s.to_string(),
                _ => String::new(),
            })
    }

    /// An integer.
    pub fn int(&self, name: &str) -> Option<(i64, Span)> {
        let f = self.get(name)?;
        match f.value.as_ref()? {
            V::Int(i) => Some((*i, f.span)),
            _ => None,
        }
    }

    /// An integer, or the key's default.
    pub fn int_or_default(&self, name: &str) -> i64 {
        self.int(name)
            .map(|i| i.0)
            .unwrap_or_else(|| match self.spec(name).map(|k| k.default) {
                Some(DefaultValue::Int(i)) => i,
                _ => 0,
            })
    }

    /// A boolean, or the key's default (false without one).
    pub fn bool_or_default(&self, name: &str) -> bool {
        match self.value(name) {
            Some(V::Bool(b)) => *b,
            _ => matches!(
                self.spec(name).map(|k| k.default),
                Some(DefaultValue::Bool(true))
            ),
        }
    }

    /// An array of strings without references.
    pub fn texts(&self, name: &str) -> Vec<(String, Span)> {
        match self.value(name) {
            Some(V::List(items)) => items
                .iter()
                .filter_map(|(v, span)| match v {
                    V::Text(t) => t.as_literal().map(|s| (s, *span)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// An array of tables.
    pub fn tables(&self, name: &str) -> Vec<&Fields> {
        match self.value(name) {
            Some(V::List(items)) => items
                .iter()
                .filter_map(|(v, _)| match v {
                    V::Table(f) => Some(f),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A nested table.
    pub fn table(&self, name: &str) -> Option<&Fields> {
        match self.value(name)? {
            V::Table(f) => Some(f),
            _ => None,
        }
    }

    /// A table with free keys.
    pub fn map(&self, name: &str) -> &[MapEntry] {
        match self.value(name) {
            Some(V::Map(m)) => m,
            _ => &[],
        }
    }

    /// A pass-through value.
    pub fn json(&self, name: &str) -> Option<J> {
        match self.value(name)? {
            V::Json(j) => Some(j.clone()),
            _ => None,
        }
    }
}

impl V {
    /// The value as JSON (templates as text with their references).
    pub fn to_json(&self) -> J {
        match self {
            V::Text(t) => J::String(t.as_literal().unwrap_or_default()),
            V::Int(i) => J::from(*i),
            V::Bool(b) => J::Bool(*b),
            V::List(items) => J::Array(items.iter().map(|(v, _)| v.to_json()).collect()),
            V::Map(m) => J::Object(
                m.iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
            V::Table(f) => J::Object(
                f.fields
                    .iter()
                    .filter_map(|x| Some((x.key.name.to_string(), x.value.as_ref()?.to_json())))
                    .collect(),
            ),
            V::Json(j) => j.clone(),
        }
    }
}
