//! The checks of a CRD version's `openAPIV3Schema` beyond structurality, as
//! apiextensions-apiserver's `validateCustomResourceDefinitionValidation` makes them: defaults
//! must validate against their schema (and be pruned), `$ref`, `uniqueItems`, `additionalProperties`
//! next to `properties` and other unsupported keywords are forbidden, list and map types must be
//! consistent, and `x-kubernetes-validations` must be well formed and compile.

use serde_json::Value;

use crate::crd_schema::CrdSchema;
use crate::structural::Cause;

/// The violations of `schema` at `path`, given its structural violations.
pub fn violations(path: &str, schema: &Value, structural: &[Cause]) -> Vec<Cause> {
    let mut out = vec![];
    let mut compile_rules = structural.is_empty();
    if structural.is_empty() {
        let crd = CrdSchema::new(schema.clone());
        let mut d = vec![];
        defaults(schema, path, &crd, false, &mut d);
        compile_rules = d.is_empty();
        out.extend(d);
    }
    let mut w = Walk {
        schema_errs: vec![],
        cel_errs: vec![],
        compile_rules,
    };
    w.node(schema, path, true, None, None);
    out.extend(w.schema_errs);
    out.extend(w.cel_errs);
    out
}

fn forbidden(path: String, detail: &str) -> Cause {
    (path, "FieldValueForbidden", format!("Forbidden: {detail}"))
}

fn invalid(path: String, value: &str, detail: &str) -> Cause {
    (
        path,
        "FieldValueInvalid",
        format!("Invalid value: {value}: {detail}"),
    )
}

fn required(path: String, detail: &str) -> Cause {
    (
        path,
        "FieldValueRequired",
        format!("Required value: {detail}"),
    )
}

fn not_supported(path: String, value: &str, supported: &[&str]) -> Cause {
    let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
    (
        path,
        "FieldValueNotSupported",
        format!(
            "Unsupported value: {value:?}: supported values: {}",
            list.join(", ")
        ),
    )
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Every `default` must validate against the schema of its node, CEL rules included.
fn defaults(v: &Value, path: &str, crd: &CrdSchema, in_meta: bool, out: &mut Vec<Cause>) {
    let Some(m) = v.as_object() else { return };
    if let (Some(d), false) = (m.get("default"), in_meta) {
        let at = format!("{path}.default");
        let mut pruned = d.clone();
        let preserve = m.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
        if pruned.is_object() && !preserve {
            crate::validation::prune(&mut pruned, v);
        }
        if &pruned != d {
            out.push(invalid(
                at,
                &crate::validate::go_value(d),
                "must not have unknown fields",
            ));
        } else {
            let errs = crate::validate::default_causes(d, v, crd, &at);
            out.extend(errs);
        }
    }
    if let Some(props) = m.get("properties").and_then(Value::as_object) {
        for (k, x) in props {
            let meta = path.ends_with("openAPIV3Schema") && k == "metadata";
            defaults(
                x,
                &format!("{path}.properties[{k}]"),
                crd,
                in_meta || meta,
                out,
            );
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(x) = m.get(key).filter(|x| x.is_object()) {
            defaults(x, &format!("{path}.{key}"), crd, in_meta, out);
        }
    }
}

struct Walk {
    schema_errs: Vec<Cause>,
    cel_errs: Vec<Cause>,
    compile_rules: bool,
}

impl Walk {
    /// `no_defaults`: why defaults are forbidden here; `uncorrelatable`: the outermost list
    /// (not a map list) this node is an item of, where `oldSelf` cannot be used.
    fn node(
        &mut self,
        v: &Value,
        path: &str,
        root: bool,
        no_defaults: Option<&str>,
        uncorrelatable: Option<&str>,
    ) {
        let Some(m) = v.as_object() else { return };
        let before = self.schema_errs.len();
        let e = &mut self.schema_errs;
        if let (Some(_), Some(why)) = (m.get("default"), no_defaults) {
            e.push(forbidden(
                format!("{path}.default"),
                &format!("must not be set {why}"),
            ));
        }
        for (key, what) in [
            ("id", "id"),
            ("additionalItems", "additionalItems"),
            ("patternProperties", "patternProperties"),
            ("definitions", "definitions"),
            ("dependencies", "dependencies"),
            ("$ref", "$ref"),
        ] {
            if m.contains_key(key) {
                e.push(forbidden(
                    format!("{path}.{key}"),
                    &format!("{what} is not supported"),
                ));
            }
        }
        if s(v, "type") == "null" {
            e.push(forbidden(
                format!("{path}.type"),
                "type cannot be set to null, use nullable as an alternative",
            ));
        }
        if m.get("items").is_some_and(Value::is_array) {
            e.push(forbidden(
                format!("{path}.items"),
                "items must be a schema object and not an array",
            ));
        }
        if m.get("uniqueItems") == Some(&Value::Bool(true)) {
            e.push(forbidden(
                format!("{path}.uniqueItems"),
                "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
            ));
        }
        let props = m.get("properties").and_then(Value::as_object);
        if let Some(ap) = m.get("additionalProperties") {
            let restricts = ap.is_object() || ap == &Value::Bool(false);
            if props.is_some_and(|p| !p.is_empty()) && restricts {
                e.push(forbidden(
                    format!("{path}.additionalProperties"),
                    "additionalProperties and properties are mutual exclusive",
                ));
            }
            self.node(
                ap,
                &format!("{path}.additionalProperties"),
                false,
                no_defaults,
                uncorrelatable,
            );
        }
        if let Some(props) = props {
            for (k, x) in props {
                let meta = root && matches!(k.as_str(), "metadata" | "kind" | "apiVersion");
                let why = if meta {
                    Some(format!("in top-level {k}"))
                } else {
                    no_defaults.map(String::from)
                };
                let p = format!("{path}.properties[{k}]");
                self.node(x, &p, false, why.as_deref(), uncorrelatable);
            }
        }
        if let Some(not) = m.get("not") {
            self.node(not, &format!("{path}.not"), false, no_defaults, None);
        }
        for j in ["allOf", "oneOf", "anyOf"] {
            if let Some(list) = m.get(j).and_then(Value::as_array) {
                for (i, x) in list.iter().enumerate() {
                    self.node(x, &format!("{path}.{j}[{i}]"), false, no_defaults, None);
                }
            }
        }
        let list_type = m.get("x-kubernetes-list-type").and_then(Value::as_str);
        if let Some(items) = m.get("items").filter(|i| i.is_object()) {
            let unc = if list_type == Some("map") {
                uncorrelatable
            } else {
                uncorrelatable.or(Some(path))
            };
            self.node(items, &format!("{path}.items"), false, no_defaults, unc);
        }
        self.extensions(v, path);
        self.rules(v, path, before, uncorrelatable);
    }

    fn extensions(&mut self, v: &Value, path: &str) {
        let e = &mut self.schema_errs;
        let ty = s(v, "type");
        if v.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(false)) {
            e.push(invalid(
                format!("{path}.x-kubernetes-preserve-unknown-fields"),
                "false",
                "must be true or undefined",
            ));
        }
        if let Some(mt) = v.get("x-kubernetes-map-type").and_then(Value::as_str) {
            if ty != "object" {
                let detail = "must be object if x-kubernetes-map-type is specified";
                e.push(if ty.is_empty() {
                    required(format!("{path}.type"), detail)
                } else {
                    invalid(format!("{path}.type"), &format!("{ty:?}"), detail)
                });
            }
            if !matches!(mt, "atomic" | "granular") {
                e.push(not_supported(
                    format!("{path}.x-kubernetes-map-type"),
                    mt,
                    &["atomic", "granular"],
                ));
            }
        }
        let list_type = v.get("x-kubernetes-list-type").and_then(Value::as_str);
        if let Some(lt) = list_type {
            if ty != "array" {
                let detail = "must be array if x-kubernetes-list-type is specified";
                e.push(if ty.is_empty() {
                    required(format!("{path}.type"), detail)
                } else {
                    invalid(format!("{path}.type"), &format!("{ty:?}"), detail)
                });
            }
            if !matches!(lt, "atomic" | "set" | "map") {
                e.push(not_supported(
                    format!("{path}.x-kubernetes-list-type"),
                    lt,
                    &["atomic", "set", "map"],
                ));
            }
        }
        let keys: Vec<&str> = v
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !keys.is_empty() {
            match list_type {
                None => e.push(required(
                    format!("{path}.x-kubernetes-list-type"),
                    "must be map if x-kubernetes-list-map-keys is non-empty",
                )),
                Some("map") => {}
                Some(other) => e.push(invalid(
                    format!("{path}.x-kubernetes-list-type"),
                    &format!("{other:?}"),
                    "must be map if x-kubernetes-list-map-keys is non-empty",
                )),
            }
        }
        if list_type == Some("map") {
            if keys.is_empty() {
                e.push(required(
                    format!("{path}.x-kubernetes-list-map-keys"),
                    "must not be empty if x-kubernetes-list-type is map",
                ));
            }
            let item_props = v.pointer("/items/properties").and_then(Value::as_object);
            let shown = format!(
                "[]string{{{}}}",
                keys.iter()
                    .map(|k| format!("{k:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for (i, k) in keys.iter().enumerate() {
                if !item_props.is_some_and(|p| p.contains_key(*k)) {
                    e.push(invalid(
                        format!("{path}.x-kubernetes-list-map-keys"),
                        &shown,
                        "entries must all be names of item properties",
                    ));
                }
                if keys[..i].contains(k) {
                    e.push(invalid(
                        format!("{path}.x-kubernetes-list-map-keys"),
                        &shown,
                        "must not contain duplicate entries",
                    ));
                }
            }
        }
    }

    fn rules(
        &mut self,
        v: &Value,
        path: &str,
        schema_errs_before: usize,
        uncorrelatable: Option<&str>,
    ) {
        let Some(rules) = v.get("x-kubernetes-validations").and_then(Value::as_array) else {
            return;
        };
        let e = &mut self.schema_errs;
        for (i, r) in rules.iter().enumerate() {
            let at = |k: &str| format!("{path}.x-kubernetes-validations[{i}].{k}");
            let (rule, msg) = (s(r, "rule"), s(r, "message"));
            let (trimmed_rule, trimmed_msg) = (rule.trim(), msg.trim());
            if trimmed_rule.is_empty() {
                e.push(required(at("rule"), "rule is not specified"));
            } else if !msg.is_empty() && trimmed_msg.is_empty() {
                e.push(invalid(
                    at("message"),
                    &format!("{msg:?}"),
                    "must be non-empty if specified",
                ));
            } else if trimmed_msg.contains('\n') {
                e.push(invalid(
                    at("message"),
                    &format!("{msg:?}"),
                    "must not contain line breaks",
                ));
            } else if trimmed_rule.contains('\n') && trimmed_msg.is_empty() {
                e.push(required(
                    at("message"),
                    "message must be specified if rule contains line breaks",
                ));
            }
            let me = s(r, "messageExpression");
            if !me.is_empty() && me.trim().is_empty() {
                e.push(required(
                    at("messageExpression"),
                    "messageExpression must be non-empty if specified",
                ));
            }
            if let Some(reason) = r.get("reason").and_then(Value::as_str) {
                let supported = [
                    "FieldValueDuplicate",
                    "FieldValueForbidden",
                    "FieldValueInvalid",
                    "FieldValueRequired",
                ];
                if !supported.contains(&reason) {
                    e.push(not_supported(at("reason"), reason, &supported));
                }
            }
            let fp = s(r, "fieldPath");
            if !fp.is_empty() && fp.trim().is_empty() {
                e.push(invalid(
                    at("fieldPath"),
                    &format!("{fp:?}"),
                    "must be non-empty if specified",
                ));
            }
            if fp.contains('\n') {
                e.push(invalid(
                    at("fieldPath"),
                    &format!("{fp:?}"),
                    "must not contain line breaks",
                ));
            } else if !fp.trim().is_empty() && !field_path_valid(v, fp.trim()) {
                e.push(invalid(
                    at("fieldPath"),
                    &format!("{fp:?}"),
                    "must be a valid path",
                ));
            }
        }
        if !self.compile_rules || self.schema_errs.len() > schema_errs_before {
            return;
        }
        for (i, r) in rules.iter().enumerate() {
            let at = |k: &str| format!("{path}.x-kubernetes-validations[{i}].{k}");
            let shown = rule_json(r);
            let rule = s(r, "rule");
            match crate::cel_rules::compile(rule) {
                Err(detail) => self.cel_errs.push(invalid(at("rule"), &shown, &detail)),
                Ok(c) => {
                    if c.uses_old_self {
                        if let Some(u) = uncorrelatable {
                            self.cel_errs.push(invalid(
                                at("rule"),
                                &format!("{rule:?}"),
                                &format!("oldSelf cannot be used on the uncorrelatable portion of the schema within {u}"),
                            ));
                        }
                    } else if let Some(b) = r.get("optionalOldSelf").and_then(Value::as_bool) {
                        self.cel_errs.push(invalid(
                            at("optionalOldSelf"),
                            &b.to_string(),
                            "may not be set if oldSelf is not used in rule",
                        ));
                    }
                }
            }
            let me = s(r, "messageExpression");
            if !me.trim().is_empty() {
                if let Err(detail) = crate::cel_rules::compile(me) {
                    let detail = detail.replacen(
                        "compilation failed",
                        "messageExpression compilation failed",
                        1,
                    );
                    self.cel_errs
                        .push(invalid(at("messageExpression"), &shown, &detail));
                }
            }
        }
    }
}

/// A rule as Go prints the internal `ValidationRule` struct (JSON with its field names).
fn rule_json(r: &Value) -> String {
    let q = |k: &str| crate::validate::go_json(&Value::String(s(r, k).to_string()));
    let opt = |k: &str| match r.get(k) {
        Some(Value::String(x)) => crate::validate::go_json(&Value::String(x.clone())),
        Some(Value::Bool(b)) => b.to_string(),
        _ => "null".into(),
    };
    format!(
        "{{\"Rule\":{},\"Message\":{},\"MessageExpression\":{},\"Reason\":{},\"FieldPath\":{},\"OptionalOldSelf\":{}}}",
        q("rule"),
        q("message"),
        q("messageExpression"),
        opt("reason"),
        q("fieldPath"),
        opt("optionalOldSelf")
    )
}

/// Whether a rule's `fieldPath` names a field of the schema of its node.
fn field_path_valid(schema: &Value, fp: &str) -> bool {
    let normalized = crate::validate::normalize_field_path(fp);
    let mut node = schema;
    for part in normalized.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, _)) => (n, true),
            None => (part, false),
        };
        let next = node
            .pointer("/properties")
            .and_then(|p| p.get(name))
            .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()));
        let Some(n) = next else { return false };
        node = if index {
            match n.get("items") {
                Some(i) => i,
                None => return false,
            }
        } else {
            n
        };
    }
    true
}
