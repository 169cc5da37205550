//! Attribute paths inside a resource's JSON attributes, e.g.
//! `spec.template.spec.containers[0].image` or `data["dashboard.json"]`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// One step of an attribute path: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Segment {
    /// An array index.
    Index(usize),
    /// An object key.
    Key(String),
}

/// A path to a value inside attributes. Serialized as a JSON array of keys and
/// indices, as in `terraform show -json`'s `replace_paths`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttrPath(pub Vec<Segment>);

/// Why an attribute path string could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid attribute path `{path}`: {reason}")]
pub struct PathError {
    /// The text that was parsed.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

impl AttrPath {
    /// The empty path (the whole value).
    pub fn root() -> Self {
        AttrPath(Vec::new())
    }

    /// This path with a key appended.
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(k.to_string()));
        p
    }

    /// This path with an index appended.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }

    /// True when `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &AttrPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// Parses `a.b[0]["c.d"]`.
    pub fn parse(s: &str) -> Result<Self, PathError> {
        let err = |reason: &str| PathError {
            path: s.to_string(),
            reason: reason.to_string(),
        };
        let mut segs = Vec::new();
        let bytes = s.as_bytes();
        let mut i = 0;
        if s.is_empty() {
            return Err(err("the path is empty"));
        }
        while i < bytes.len() {
            match bytes[i] {
                b'.' if i > 0 => i += 1,
                b'[' => {
                    let close = s[i..].find(']').ok_or_else(|| err("`[` without `]`"))? + i;
                    let inner = &s[i + 1..close];
                    if let Some(q) = inner.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                        segs.push(Segment::Key(q.to_string()));
                    } else {
                        let n = inner
                            .parse()
                            .map_err(|_| err("an index must be a number or a \"quoted key\""))?;
                        segs.push(Segment::Index(n));
                    }
                    i = close + 1;
                    continue;
                }
                _ => {}
            }
            let start = i;
            while i < bytes.len() && bytes[i] != b'.' && bytes[i] != b'[' {
                i += 1;
            }
            if start == i {
                return Err(err("empty key between separators"));
            }
            segs.push(Segment::Key(s[start..i].to_string()));
        }
        Ok(AttrPath(segs))
    }

    /// The value at this path, if present.
    pub fn get<'v>(&self, mut v: &'v Value) -> Option<&'v Value> {
        for seg in &self.0 {
            v = match (seg, v) {
                (Segment::Key(k), Value::Object(m)) => m.get(k)?,
                (Segment::Index(i), Value::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(v)
    }

    /// Sets the value at this path, creating objects on the way. Returns false
    /// when an array index is out of range or a non-container is in the way.
    pub fn set(&self, mut v: &mut Value, new: Value) -> bool {
        for seg in &self.0 {
            v = match (seg, v) {
                (Segment::Key(k), Value::Object(m)) => m
                    .entry(k.clone())
                    .or_insert(Value::Object(Default::default())),
                (Segment::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                    Some(x) => x,
                    None => return false,
                },
                _ => return false,
            };
        }
        *v = new;
        true
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Index(i) => write!(f, "[{i}]")?,
                Segment::Key(k) if is_plain_key(k) => {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?
                }
                Segment::Key(k) => write!(f, "[{k:?}]")?,
            }
        }
        Ok(())
    }
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "spec.replicas",
            "spec.template.spec.containers[0].image",
            "data[\"dashboard.json\"]",
            "metadata.annotations[\"prometheus.io/scrape\"]",
        ] {
            assert_eq!(AttrPath::parse(s).unwrap().to_string(), s);
        }
        assert!(AttrPath::parse("a..b").is_err());
        assert!(AttrPath::parse("a[x]").is_err());
        assert!(AttrPath::parse("").is_err());
    }

    #[test]
    fn get_and_set() {
        let mut v = serde_json::json!({"a": {"b": [1, 2]}});
        let p = AttrPath::parse("a.b[1]").unwrap();
        assert_eq!(p.get(&v), Some(&serde_json::json!(2)));
        assert!(p.set(&mut v, serde_json::json!(5)));
        assert_eq!(v["a"]["b"][1], 5);
        assert!(AttrPath::parse("a.c.d")
            .unwrap()
            .set(&mut v, serde_json::json!(true)));
        assert_eq!(v["a"]["c"]["d"], true);
    }
}
