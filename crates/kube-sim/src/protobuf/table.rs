//! The message table behind protobuf decoding: for every Kubernetes message, its fields' numbers,
//! JSON names and types, generated into `fields.txt` by `scripts/gen-kube-sim-protobuf` from the
//! k8s-pb crate (the wire layout of the real `generated.proto` files) and k8s-openapi (the JSON
//! names and which fields are required).

use std::collections::HashMap;
use std::sync::OnceLock;

const FIELDS: &str = include_str!("fields.txt");

/// How many values a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    /// One value.
    One,
    /// A repeated field: a JSON list.
    Many,
    /// A map with string keys: a JSON object.
    Map,
}

/// One field of a message.
#[derive(Debug, Clone)]
pub struct Field {
    /// The JSON name (for an inlined struct, the Go field name, unused).
    pub name: &'static str,
    /// A scalar type (`string`, `bytes`, `int32`, `int64`, `bool`, `double`) or a message name.
    pub ty: &'static str,
    /// One value, a list or a map.
    pub card: Card,
    /// Whether the field is required (a Go field without `omitempty`).
    pub required: bool,
    /// Whether the message is a struct Go inlines into its parent's JSON.
    pub inline: bool,
}

/// The parsed table.
struct Table {
    kinds: HashMap<(&'static str, &'static str), &'static str>,
    messages: HashMap<&'static str, HashMap<u64, Field>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table {
            kinds: HashMap::new(),
            messages: HashMap::new(),
        };
        let mut current: Option<&'static str> = None;
        for line in FIELDS.lines().filter(|l| !l.starts_with('#')) {
            let parts: Vec<&'static str> = line.split(' ').collect();
            match parts.as_slice() {
                ["kind", api_version, kind, message] => {
                    t.kinds.insert((api_version, kind), message);
                }
                ["message", name] => {
                    current = Some(name);
                    t.messages.entry(name).or_default();
                }
                [tag, name, ty, flags] => {
                    let (Some(msg), Ok(tag)) = (current, tag.parse::<u64>()) else {
                        continue;
                    };
                    let (card, ty) = if let Some(t) = ty.strip_prefix("[]") {
                        (Card::Many, t)
                    } else if let Some(t) = ty.strip_prefix("map:") {
                        (Card::Map, t)
                    } else {
                        (Card::One, *ty)
                    };
                    let field = Field {
                        name,
                        ty,
                        card,
                        required: *flags == "r",
                        inline: *flags == "i",
                    };
                    t.messages.entry(msg).or_default().insert(tag, field);
                }
                _ => {}
            }
        }
        t
    })
}

/// The fields of a message, by number.
pub fn message(name: &str) -> Option<&'static HashMap<u64, Field>> {
    table().messages.get(name)
}

/// The message of a kind: listed by k8s-pb, or named like the other kinds of its API version
/// (kinds without a `Resource` impl there, such as `TokenRequest`).
pub fn kind(api_version: &str, kind: &str) -> Option<&'static str> {
    let t = table();
    if let Some(m) = t.kinds.get(&(api_version, kind)) {
        return Some(m);
    }
    let (_, sibling) = t.kinds.iter().find(|((av, _), _)| *av == api_version)?;
    let module = sibling.rsplit_once('.')?.0;
    let name = format!("{module}.{kind}");
    t.messages.get_key_value(name.as_str()).map(|(k, _)| *k)
}
