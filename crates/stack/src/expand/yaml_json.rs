//! YAML documents read straight into JSON values, for the common case: a
//! document whose keys are all plain strings, written once each. Anything
//! else (a tag, a key that is a number or a boolean, a key written twice, a
//! syntax error) is refused here, and the caller reads the document the
//! careful way, which also words the error.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// One YAML document as JSON, if it is of the common kind.
pub(super) fn read(chunk: &str) -> Option<Value> {
    serde_norway::from_str::<Plain>(chunk).ok().map(|p| p.0)
}

/// A JSON value read from YAML with string keys written once each.
struct Plain(Value);

impl<'de> Deserialize<'de> for Plain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PlainVisitor).map(Plain)
    }
}

struct PlainVisitor;

impl<'de> Visitor<'de> for PlainVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value with string keys")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // As serde_json writes a YAML value: what JSON cannot hold is null.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(PlainVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Plain(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(PlainKey(k)) = map.next_key()? {
            let Plain(v) = map.next_value()?;
            if out.insert(k, v).is_some() {
                return Err(de::Error::custom("a key is written twice"));
            }
        }
        Ok(Value::Object(out))
    }
}

/// A mapping key that is a plain string (not a number, boolean or null).
struct PlainKey(String);

impl<'de> Deserialize<'de> for PlainKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E>(self, v: &str) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_string<E>(self, v: String) -> Result<String, E> {
                Ok(v)
            }
        }
        d.deserialize_any(KeyVisitor).map(PlainKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the careful way makes of the same document.
    fn careful(doc: &str) -> Value {
        let y: serde_norway::Value = serde_norway::from_str(doc).unwrap();
        serde_json::to_value(&y).unwrap()
    }

    #[test]
    fn reads_common_documents_as_the_careful_way_does() {
        for doc in [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {x: \"1\"}\ndata:\n  a: |\n    text\n",
            "a: [1, -2, 3.5, true, null, ~, \"s\", 'q', 1e3, .inf]\nb:\n  - {c: d}\n  - []\n",
            "base: &b {x: 1}\nuse: *b\nnested: {deep: {deeper: [{k: v}]}}\n",
            "quoted: \"yes\"\nplain: yes\nversion: 1.10\nempty: \"\"\n",
        ] {
            assert_eq!(read(doc), Some(careful(doc)), "{doc}");
        }
    }

    #[test]
    fn leaves_the_unusual_to_the_careful_way() {
        for doc in [
            "a: 1\na: 2\n",
            "1: one\n",
            "true: yes\n",
            "a: !custom x\n",
            "a: [unclosed\n",
            "m:\n  k: 1\n  k: 2\n",
        ] {
            assert_eq!(read(doc), None, "{doc}");
        }
    }
}
