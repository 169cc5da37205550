//! A JSON Schema (draft 4, which Taplo and `check-jsonschema` read) of one
//! stack file, generated from the key tables in [`crate::schema`] that the
//! decoder checks tables against, so the two cannot drift apart.
//!
//! The schema rejects unknown keys, values of the wrong type, unknown enum
//! values, integers out of range and missing required keys, as `validate`
//! does. It accepts `${vars.NAME}` wherever the decoder lets a variable stand
//! for a non-string value. It does not check string formats (names, images,
//! quantities) or references, which only `strata validate` can: a file the
//! schema accepts may still be refused by `validate`, never the other way
//! round for keys and types.

use crate::schema::{
    DefaultValue, Format, Key, Refs, Required, Section, SectionKind, Type, COMMON_KEYS, PRESETS,
    SECTIONS,
};
use serde_json::{json, Map, Value};

/// The schema's `$schema`.
pub const DRAFT: &str = "http://json-schema.org/draft-04/schema#";

/// A string that is exactly one `${vars.NAME}` reference: the decoder lets it
/// stand for the variable's value, of whatever type.
const SOLE_VAR_REF: &str = r"^\$\{\s*vars?\.[^{}]+\}$";

/// The JSON Schema of one stack file.
pub fn json_schema() -> Value {
    let mut props = Map::new();
    for s in SECTIONS {
        props.insert(s.name.to_string(), section(s));
    }
    json!({
        "$schema": DRAFT,
        "title": "Strata stack",
        "description": "One file of a Strata stack: [stack] settings, [vars], [secrets], [ssh] and components ([node.NAME], [app.NAME], ...). Every *.toml file of a stack directory is read; see docs/reference.md.",
        "type": "object",
        "properties": props,
        "additionalProperties": false,
    })
}

fn section(s: &Section) -> Value {
    let doc = s.doc;
    match s.kind {
        SectionKind::Settings => {
            let mut t = table(s.keys, &[]);
            t["description"] = json!(doc);
            t
        }
        SectionKind::Entries if s.keys.is_empty() => json!({
            "description": doc,
            "type": "object",
            "additionalProperties": {
                "description": "A variable: a string, number, boolean or array (not a table).",
                "type": ["string", "integer", "number", "boolean", "array"],
            },
        }),
        SectionKind::Entries => {
            let mut entry = table(s.keys, &[]);
            entry["description"] = json!("Exactly one source.");
            entry["minProperties"] = json!(1);
            entry["maxProperties"] = json!(1);
            json!({"description": doc, "type": "object", "additionalProperties": entry})
        }
        SectionKind::Component => {
            let component = if s.name == "service" {
                services(s)
            } else {
                let mut t = table(s.keys, &[COMMON_KEYS]);
                t["description"] = json!(doc);
                t
            };
            json!({
                "description": format!("[{}.NAME]: {doc}", s.name),
                "type": "object",
                "additionalProperties": component,
            })
        }
    }
}

/// `[service.NAME]`: the keys depend on the preset, so one alternative per
/// preset, plus one for a preset given as `${vars.NAME}`.
fn services(s: &Section) -> Value {
    let mut alternatives = Vec::new();
    for p in PRESETS {
        let mut t = table(&s.keys[1..], &[p.keys, COMMON_KEYS]);
        t["properties"]["preset"] = json!({
            "description": format!("Preset `{}`: {}", p.name, p.doc),
            "enum": [p.name],
        });
        t["required"] = required_of(&[s.keys, p.keys, COMMON_KEYS]);
        t["x-taplo"] = json!({"initKeys": t["required"]});
        alternatives.push(t);
    }
    let every_preset: Vec<&[Key]> = PRESETS.iter().map(|p| p.keys).collect();
    let mut tables = vec![COMMON_KEYS];
    tables.extend(every_preset);
    let mut by_var = table(&s.keys[1..], &tables);
    by_var["properties"]["preset"] = json!({"type": "string", "pattern": SOLE_VAR_REF});
    by_var["required"] = required_of(&[s.keys, COMMON_KEYS]);
    by_var["x-taplo"] = json!({"hidden": true});
    alternatives.push(by_var);
    json!({
        "description": s.doc,
        "type": "object",
        "anyOf": alternatives,
    })
}

/// An object with the keys of `keys` and `more`, and no others.
fn table(keys: &[Key], more: &[&[Key]]) -> Value {
    let mut props = Map::new();
    for k in keys.iter().chain(more.iter().flat_map(|t| t.iter())) {
        props.insert(k.name.to_string(), key(k));
    }
    let mut t = json!({
        "type": "object",
        "properties": props,
        "additionalProperties": false,
    });
    let mut all = vec![keys];
    all.extend_from_slice(more);
    let required = required_of(&all);
    if required.as_array().is_some_and(|r| !r.is_empty()) {
        t["x-taplo"] = json!({"initKeys": required});
        t["required"] = required;
    }
    t
}

fn required_of(tables: &[&[Key]]) -> Value {
    tables
        .iter()
        .flat_map(|t| t.iter())
        .filter(|k| k.required != Required::No)
        .map(|k| json!(k.name))
        .collect()
}

/// One key: its type, documentation and default.
fn key(k: &Key) -> Value {
    let mut v = ty(&k.ty);
    if k.required == Required::NonEmpty {
        match v.get_mut("anyOf").and_then(Value::as_array_mut) {
            Some(alts) => alts[0]["minItems"] = json!(1),
            None => v["minItems"] = json!(1),
        }
    }
    let mut doc = k.doc.to_string();
    match k.default {
        DefaultValue::None => {}
        DefaultValue::Int(i) => {
            v["default"] = json!(i);
        }
        DefaultValue::Str(s) => {
            v["default"] = json!(s);
        }
        DefaultValue::Bool(b) => {
            v["default"] = json!(b);
        }
        DefaultValue::Computed(what) => doc.push_str(&format!(" Default: {what}.")),
    }
    if let Some(f) = format_doc(&k.ty) {
        doc.push_str(&format!(" Format: {f}."));
    }
    doc.push_str(match k.refs {
        Refs::None => " References cannot be used.",
        Refs::Vars => "",
        Refs::Plain(_) => " May reference variables and other components, not secrets.",
        Refs::Any => " May reference variables, components and secrets.",
    });
    if !k.example.is_empty() {
        doc.push_str(&format!("\n\nExample: `{} = {}`", k.name, k.example));
    }
    v["description"] = json!(doc);
    v
}

/// A value of type `t`: where the decoder lets `${vars.NAME}` stand for a
/// value that is not a string, the schema allows that string too.
fn ty(t: &Type) -> Value {
    let var = || json!({"type": "string", "pattern": SOLE_VAR_REF});
    let or_var = |v: Value| json!({"anyOf": [v, var()]});
    match t {
        Type::Str(_) => json!({"type": "string"}),
        Type::Int { min, max } => {
            or_var(json!({"type": "integer", "minimum": min, "maximum": max}))
        }
        Type::Port => or_var(json!({"type": "integer", "minimum": 1, "maximum": 65535})),
        Type::Bool => or_var(json!({"type": "boolean"})),
        Type::Enum { values, .. } => json!({
            "anyOf": [
                {"type": "string", "enum": values},
                {"type": "string", "pattern": r"\$\{\s*vars?\."},
            ]
        }),
        Type::IntOrPercent => json!({
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": r"^[0-9]+%$|\$\{\s*vars?\."},
            ]
        }),
        Type::Scalar => json!({"type": ["string", "integer", "boolean"]}),
        Type::List(inner) => or_var(json!({"type": "array", "items": ty(inner)})),
        Type::Map(_, inner) => json!({"type": "object", "additionalProperties": ty(inner)}),
        Type::Table(keys) => table(keys, &[]),
        Type::StrOrTable(keys) => json!({"anyOf": [{"type": "string"}, table(keys, &[])]}),
        Type::Any => or_var(json!({"type": "object"})),
    }
}

/// What a string must look like, in words, for the key's documentation.
fn format_doc(t: &Type) -> Option<&'static str> {
    let f = match t {
        Type::Str(f) => f,
        Type::List(inner) => return format_doc(inner),
        _ => return None,
    };
    Some(match f {
        Format::Text | Format::Expression => return None,
        Format::Label => "an RFC 1123 label (lower-case letters, digits and '-', at most 63)",
        Format::Quantity => "a Kubernetes quantity such as `10Gi` or `500m`",
        Format::HttpPath => "an HTTP path starting with '/'",
        Format::Duration => "a duration such as `15s` or `1m30s`",
        Format::ChartRepo => "an `https://` or `oci://` URL",
        Format::GitRepo => "a Git URL (`https://`, `ssh://` or `git@host:path`)",
        Format::ServerUrl => "`https://HOST[:PORT]`",
        Format::ApiEndpoint => "`https://HOST:PORT`",
        Format::Address => "an IP address or a DNS name",
        Format::Image => "a container image (`registry/repo:tag` or `@sha256:...`)",
        Format::K3sVersion => "a k3s release such as `v1.31.4+k3s1`",
        Format::FileMode => "an octal mode such as `0600`",
        Format::LabelKey => "a Kubernetes label key, `[prefix/]name`",
        Format::LabelValue => "a Kubernetes label value",
        Format::Taint => "`key[=value]:Effect`",
        Format::EnvName => "an environment variable name",
        Format::GroupKind => "`group/Kind` or `group/*`",
        Format::AttrPath => "an attribute path such as `spec.replicas`",
        Format::File => "a path relative to the declaring file",
        Format::Target => "a component or resource address",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of every table appears in the schema, so a key added to the
    /// decoder's tables is in the schema too.
    #[test]
    fn every_key_table_is_in_the_schema() {
        let s = json_schema();
        for sec in SECTIONS {
            let node = &s["properties"][sec.name];
            assert!(node.is_object(), "{} missing", sec.name);
            let text = node.to_string();
            let common: &[Key] = if sec.kind == SectionKind::Component {
                COMMON_KEYS
            } else {
                &[]
            };
            for k in sec.keys.iter().chain(common) {
                assert!(
                    text.contains(&format!("\"{}\":", k.name)),
                    "{}.{} missing",
                    sec.name,
                    k.name
                );
            }
        }
        let services = s["properties"]["service"].to_string();
        for p in PRESETS {
            for k in p.keys {
                assert!(services.contains(&format!("\"{}\":", k.name)));
            }
        }
    }
}
