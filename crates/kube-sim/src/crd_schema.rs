//! A CRD version's schema with what validating against it needs compiled once per CRD (not
//! per write): the regular expressions of its `pattern`s and the CEL programs of its
//! `x-kubernetes-validations`, found by their source text.

use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;
use serde_json::Value;

use crate::cel_rules::Compiled;

/// The `openAPIV3Schema` of a served version and its compiled patterns and rules.
pub struct CrdSchema {
    /// The schema as written in the CRD.
    pub schema: Arc<Value>,
    patterns: HashMap<String, Result<Regex, String>>,
    rules: HashMap<String, Result<Compiled, String>>,
}

impl std::fmt::Debug for CrdSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrdSchema")
            .field("patterns", &self.patterns.len())
            .field("rules", &self.rules.len())
            .finish()
    }
}

impl std::ops::Deref for CrdSchema {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.schema
    }
}

impl CrdSchema {
    /// Compiles every pattern and rule of `schema`.
    pub fn new(schema: Value) -> CrdSchema {
        let mut out = CrdSchema {
            schema: Arc::new(Value::Null),
            patterns: HashMap::new(),
            rules: HashMap::new(),
        };
        out.collect(&schema);
        out.schema = Arc::new(schema);
        out
    }

    fn collect(&mut self, s: &Value) {
        let Some(m) = s.as_object() else { return };
        if let Some(p) = m.get("pattern").and_then(Value::as_str) {
            self.patterns
                .entry(p.to_string())
                .or_insert_with(|| Regex::new(p).map_err(|e| e.to_string()));
        }
        if let Some(rules) = m.get("x-kubernetes-validations").and_then(Value::as_array) {
            for r in rules {
                for key in ["rule", "messageExpression"] {
                    if let Some(src) = r.get(key).and_then(Value::as_str) {
                        self.rules
                            .entry(src.to_string())
                            .or_insert_with(|| crate::cel_rules::compile(src));
                    }
                }
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(x) = m.get(key) {
                self.collect(x);
            }
        }
        if let Some(props) = m.get("properties").and_then(Value::as_object) {
            for x in props.values() {
                self.collect(x);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(list) = m.get(key).and_then(Value::as_array) {
                for x in list {
                    self.collect(x);
                }
            }
        }
    }

    /// The compiled `pattern`, or why it does not compile.
    pub fn pattern(&self, p: &str) -> Result<&Regex, String> {
        match self.patterns.get(p) {
            Some(Ok(r)) => Ok(r),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("pattern {p:?} was not compiled")),
        }
    }

    /// The compiled rule (or message expression) with source `src`.
    pub fn rule(&self, src: &str) -> Option<&Result<Compiled, String>> {
        self.rules.get(src)
    }

    /// Whether any node of the schema has `x-kubernetes-validations`.
    pub fn has_rules(&self) -> bool {
        !self.rules.is_empty()
    }
}
