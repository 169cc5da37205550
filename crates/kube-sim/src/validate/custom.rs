//! Custom resources against their CRD's structural schema, as kube-openapi's `SchemaValidator`
//! checks them after pruning and defaulting (types, formats, lengths, patterns, bounds,
//! `multipleOf`, item and property counts, enums, required properties, `allOf`/`anyOf`/
//! `oneOf`/`not`), then the uniqueness of `set` and `map` lists, then the CEL rules. Errors are
//! converted to field errors as apiextensions-apiserver's `kubeOpenAPIResultToFieldErrors`
//! does; on update, errors in values left unchanged are ratcheted away.

use serde_json::{Map, Value};

use super::{formats, gofmt, Cause};
use crate::crd_schema::CrdSchema;

/// Validates `obj` (and on update its `old` version) against `crd`, after the causes already
/// in `errs` (those of `metadata`).
pub fn validate(obj: &Value, old: Option<&Value>, crd: &CrdSchema, errs: &mut super::Errs) {
    let v = Validator { crd, base: None };
    errs.0.extend(v.node(obj, &crd.schema, "", old, true));
    lists_and_rules(obj, old, crd, errs);
}

/// Validates an update of `obj`'s status (through `/status`): the status against the schema
/// of `status`, then the lists and CEL rules of the whole object.
pub fn validate_status(obj: &Value, old: &Value, crd: &CrdSchema, errs: &mut super::Errs) {
    if let (Some(status), Some(s)) = (obj.get("status"), crd.schema.pointer("/properties/status")) {
        let v = Validator {
            crd,
            base: Some("status"),
        };
        errs.0
            .extend(v.node(status, s, "", old.get("status"), false));
    }
    lists_and_rules(obj, Some(old), crd, errs);
}

fn lists_and_rules(obj: &Value, old: Option<&Value>, crd: &CrdSchema, errs: &mut super::Errs) {
    let lists = super::lists::check(obj, &crd.schema);
    if !lists.is_empty() && old.is_none_or(|o| super::lists::check(o, &crd.schema).is_empty()) {
        errs.0.extend(lists);
    }
    if crd.has_rules() {
        let blocking = errs.0.iter().any(|(_, r, _)| {
            matches!(
                *r,
                "FieldValueNotSupported"
                    | "FieldValueRequired"
                    | "FieldValueTooLong"
                    | "FieldValueTooMany"
                    | "FieldValueTypeInvalid"
            )
        });
        if blocking {
            errs.0.push((
                "<nil>".into(),
                "FieldValueInvalid",
                "Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation".into(),
            ));
        } else {
            errs.0.extend(super::rules::check(obj, old, crd));
        }
    }
}

/// Validates a `default` against the schema `s` of its node; causes are below `base`.
pub fn validate_default(value: &Value, s: &Value, crd: &CrdSchema, base: &str) -> Vec<Cause> {
    let v = Validator {
        crd,
        base: Some(base),
    };
    v.node(value, s, "", None, false)
}

struct Validator<'a> {
    crd: &'a CrdSchema,
    /// The field path errors are reported under (`None` at the root of an object).
    base: Option<&'a str>,
}

fn flag(s: &Value, k: &str) -> bool {
    s.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn int(s: &Value, k: &str) -> Option<i64> {
    s.get(k).and_then(Value::as_i64)
}

fn count(word: &str, n: i64) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Validator<'_> {
    /// The field path of an error about kube-openapi path `name`.
    fn field(&self, name: &str) -> String {
        let n = name.strip_prefix('.').unwrap_or(name);
        match (self.base, n.is_empty()) {
            (Some(b), true) => b.to_string(),
            (None, true) => "<nil>".into(),
            (Some(b), false) => format!("{b}.{n}"),
            (None, false) => n.to_string(),
        }
    }

    fn cause(&self, name: &str, reason: &'static str, body: String) -> Cause {
        (self.field(name), reason, body)
    }

    fn invalid(&self, name: &str, value: String, msg: String) -> Cause {
        self.cause(
            name,
            "FieldValueInvalid",
            format!("Invalid value: {value}: {msg}"),
        )
    }

    fn type_invalid(&self, name: &str, what: &str, ty: &str) -> Cause {
        let msg = format!("{name} in body must be of type {ty}: {what:?}");
        self.cause(
            name,
            "FieldValueTypeInvalid",
            format!("Invalid value: {what:?}: {msg}"),
        )
    }

    /// An error that is not a kube-openapi `Validation`: reported at the base path.
    fn plain(&self, msg: String) -> Cause {
        self.cause(
            "",
            "FieldValueInvalid",
            format!("Invalid value: \"\": {msg}"),
        )
    }

    fn node(
        &self,
        v: &Value,
        s: &Value,
        path: &str,
        old: Option<&Value>,
        root: bool,
    ) -> Vec<Cause> {
        let mut out = vec![];
        if old == Some(v) || !s.is_object() {
            return out;
        }
        let ios = flag(s, "x-kubernetes-int-or-string");
        let ty = if ios {
            ""
        } else {
            s.get("type").and_then(Value::as_str).unwrap_or("")
        };
        let format = s
            .get("format")
            .and_then(Value::as_str)
            .filter(|f| formats::kept(f, ty));
        if v.is_null() {
            if (ios || !ty.is_empty()) && !flag(s, "nullable") {
                let types = if ios { "integer,string" } else { ty };
                out.push(self.type_invalid(path, "null", types));
            }
            self.enumeration(v, s, path, &mut out);
            return out;
        }
        self.type_check(v, ty, ios, format, path, &mut out);
        self.junctions(v, s, path, old, &mut out);
        if let Value::String(text) = v {
            self.string(text, s, path, &mut out);
            if let Some(f) = format.filter(|_| matches!(ty, "" | "string")) {
                if !formats::valid(f, text) {
                    out.push(self.type_invalid(path, text, f));
                }
            }
        }
        if let Value::Number(n) = v {
            self.number(n, s, ty, ios, format, path, &mut out);
        }
        if let Value::Array(items) = v {
            self.array(items, s, path, old, &mut out);
        }
        self.enumeration(v, s, path, &mut out);
        if let Value::Object(m) = v {
            self.object(m, s, path, old, root, &mut out);
        }
        out
    }

    fn type_check(
        &self,
        v: &Value,
        ty: &str,
        ios: bool,
        format: Option<&str>,
        path: &str,
        out: &mut Vec<Cause>,
    ) {
        let types: &[&str] = if ios {
            &["integer", "string"]
        } else if ty.is_empty() {
            &[]
        } else {
            std::slice::from_ref(&ty)
        };
        if types.is_empty() && format.is_none() {
            return;
        }
        let (actual, inferred) = match v {
            Value::Bool(_) => ("boolean", ""),
            Value::String(_) => ("string", ""),
            Value::Number(n) if n.is_i64() || n.is_u64() => ("integer", "int64"),
            Value::Number(_) => ("number", "float64"),
            Value::Array(_) => ("array", ""),
            _ => ("object", ""),
        };
        let has = |t: &str| types.contains(&t);
        let float_int =
            actual == "number" && v.as_f64().is_some_and(|f| f.fract() == 0.0) && has("integer");
        let int_float = actual == "integer" && has("number");
        let stringish = matches!(v, Value::String(_) | Value::Array(_));
        if let Some(f) = format {
            if !(stringish || has(actual) || inferred == f || float_int || int_float) {
                out.push(self.type_invalid(path, inferred, f));
                return;
            }
            if !(has("number") || has("integer")) && stringish {
                return;
            }
        }
        if !(has(actual) || float_int || int_float) {
            out.push(self.type_invalid(path, actual, &types.join(",")));
        }
    }

    fn junctions(
        &self,
        v: &Value,
        s: &Value,
        path: &str,
        old: Option<&Value>,
        out: &mut Vec<Cause>,
    ) {
        let alts = |k: &str| s.get(k).and_then(Value::as_array).filter(|a| !a.is_empty());
        if let Some(any) = alts("anyOf") {
            let results: Vec<Vec<Cause>> = any
                .iter()
                .map(|a| self.node(v, a, path, old, false))
                .collect();
            if results.iter().all(|r| !r.is_empty()) {
                out.push(self.plain(format!(
                    "{path:?} must validate at least one schema (anyOf)"
                )));
                out.extend(results.into_iter().next().unwrap_or_default());
            }
        }
        if let Some(one) = alts("oneOf") {
            let results: Vec<Vec<Cause>> = one
                .iter()
                .map(|a| self.node(v, a, path, old, false))
                .collect();
            let valid = results.iter().filter(|r| r.is_empty()).count();
            if valid != 1 {
                let more = if valid == 0 {
                    "Found none valid".to_string()
                } else {
                    format!("Found {valid} valid alternatives")
                };
                out.push(self.plain(format!(
                    "{path:?} must validate one and only one schema (oneOf). {more}"
                )));
                if valid == 0 {
                    out.extend(results.into_iter().next().unwrap_or_default());
                }
            }
        }
        if let Some(all) = alts("allOf") {
            let mut valid = 0;
            for a in all {
                let r = self.node(v, a, path, old, false);
                valid += usize::from(r.is_empty());
                out.extend(r);
            }
            if valid != all.len() {
                let more = if valid == 0 { ". None validated" } else { "" };
                out.push(self.plain(format!(
                    "{path:?} must validate all the schemas (allOf){more}"
                )));
            }
        }
        if let Some(not) = s.get("not").filter(|n| n.is_object()) {
            if self.node(v, not, path, old, false).is_empty() {
                out.push(self.plain(format!("{path:?} must not validate the schema (not)")));
            }
        }
    }

    fn string(&self, text: &str, s: &Value, path: &str, out: &mut Vec<Cause>) {
        let runes = text.chars().count() as i64;
        if let Some(max) = int(s, "maxLength").filter(|m| runes > *m) {
            let unit = if max == 1 { "byte" } else { "bytes" };
            out.push(self.cause(
                path,
                "FieldValueTooLong",
                format!("Too long: may not be more than {max} {unit}"),
            ));
            return;
        }
        if let Some(min) = int(s, "minLength").filter(|m| runes < *m) {
            out.push(self.invalid(
                path,
                format!("{text:?}"),
                format!("{path} in body should be at least {min} chars long"),
            ));
            return;
        }
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            let shown = match self.crd.pattern(p) {
                Ok(re) if re.is_match(text) => return,
                Ok(_) => p.to_string(),
                Err(e) => format!("{p}, but pattern is invalid: {e}"),
            };
            out.push(self.invalid(
                path,
                format!("{text:?}"),
                format!("{path} in body should match '{shown}'"),
            ));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn number(
        &self,
        n: &serde_json::Number,
        s: &Value,
        ty: &str,
        ios: bool,
        format: Option<&str>,
        path: &str,
        out: &mut Vec<Cause>,
    ) {
        let type_name = if ios { "" } else { ty };
        let format = format.unwrap_or("");
        let is_int = n.is_i64() || n.is_u64();
        let f = n.as_f64().unwrap_or(0.0);
        let shown = gofmt::number(n);
        // Whether a number fits the type and format (kube-openapi's IsValueValidAgainstRange).
        let in_range = |rep: f64, exact: &str| -> bool {
            match (type_name, format) {
                ("integer", "int32") => exact.parse::<i32>().is_ok(),
                ("integer", _) => exact.parse::<i64>().is_ok(),
                ("number", "float") => rep.abs() <= f64::from(f32::MAX),
                _ => true,
            }
        };
        let range_err = |prefix: &str| {
            let fmt = if format.is_empty() {
                format!("{type_name} (default format)")
            } else {
                format!("{type_name} with format {format}")
            };
            self.plain(format!("{prefix} value must be of type {fmt} in {path}"))
        };
        let exact = |x: f64| -> String {
            let s = format!("{x}");
            s.strip_suffix(".0").map(String::from).unwrap_or(s)
        };
        if !in_range(f, &if is_int { shown.clone() } else { exact(f) }) {
            out.push(range_err("Checked"));
        }
        if let Some(m) = s.get("multipleOf").and_then(Value::as_f64) {
            let native = in_range(m, &exact(m));
            if !native {
                out.push(range_err("MultipleOf"));
            }
            if native && is_int {
                let factor = m as i64;
                let data = n.as_i64().unwrap_or(0);
                if factor <= 0 {
                    out.push(self.invalid(
                        path,
                        factor.to_string(),
                        format!("factor MultipleOf declared for {path} must be positive: {factor}"),
                    ));
                } else if data % factor != 0 {
                    out.push(self.invalid(
                        path,
                        shown.clone(),
                        format!("{path} in body should be a multiple of {factor}"),
                    ));
                }
            } else if m <= 0.0 {
                out.push(self.invalid(
                    path,
                    gofmt::float(m),
                    format!(
                        "factor MultipleOf declared for {path} must be positive: {}",
                        gofmt::float(m)
                    ),
                ));
            } else {
                let mult = if m < 1.0 { 1.0 / m * f } else { f / m };
                let g = mult.trunc();
                let integral = mult == g || ((mult - g).abs() / mult.abs()) < 1e-9;
                if !integral {
                    out.push(self.invalid(
                        path,
                        shown.clone(),
                        format!("{path} in body should be a multiple of {}", gofmt::float(m)),
                    ));
                }
            }
        }
        for (key, exclusive_key, fail_incl, fail_excl) in [
            (
                "minimum",
                "exclusiveMinimum",
                "greater than or equal to",
                "greater than",
            ),
            (
                "maximum",
                "exclusiveMaximum",
                "less than or equal to",
                "less than",
            ),
        ] {
            let Some(bound) = s.get(key).and_then(Value::as_f64) else {
                continue;
            };
            let exclusive = flag(s, exclusive_key);
            let native = in_range(bound, &exact(bound));
            if !native {
                let prefix = if key == "minimum" {
                    "Minimum boundary"
                } else {
                    "Maximum boundary"
                };
                out.push(range_err(prefix));
            }
            let (bad, shown_bound) = if native && is_int {
                let b = bound as i64;
                let d = n.as_i64().unwrap_or(i64::MAX);
                let bad = match (key, exclusive) {
                    ("minimum", false) => d < b,
                    ("minimum", true) => d <= b,
                    (_, false) => d > b,
                    (_, true) => d >= b,
                };
                (bad, b.to_string())
            } else {
                let bad = match (key, exclusive) {
                    ("minimum", false) => f < bound,
                    ("minimum", true) => f <= bound,
                    (_, false) => f > bound,
                    (_, true) => f >= bound,
                };
                (bad, gofmt::float(bound))
            };
            if bad {
                let word = if exclusive { fail_excl } else { fail_incl };
                out.push(self.invalid(
                    path,
                    shown.clone(),
                    format!("{path} in body should be {word} {shown_bound}"),
                ));
            }
        }
    }

    fn array(
        &self,
        items: &[Value],
        s: &Value,
        path: &str,
        old: Option<&Value>,
        out: &mut Vec<Cause>,
    ) {
        if let Some(item_schema) = s.get("items").filter(|i| i.is_object()) {
            let olds = super::lists::correlate(s, old);
            for (i, item) in items.iter().enumerate() {
                let o = olds.as_ref().and_then(|c| c.find(item));
                out.extend(self.node(item, item_schema, &format!("{path}[{i}]"), o, false));
            }
        }
        let size = items.len() as i64;
        if let Some(min) = int(s, "minItems").filter(|m| size < *m) {
            out.push(self.invalid(
                path,
                size.to_string(),
                format!("{path} in body should have at least {min} items"),
            ));
        }
        if let Some(max) = int(s, "maxItems").filter(|m| size > *m) {
            out.push(self.cause(
                path,
                "FieldValueTooMany",
                format!("Too many: {size}: must have at most {}", count("item", max)),
            ));
        }
        if flag(s, "uniqueItems")
            && items
                .iter()
                .enumerate()
                .any(|(i, x)| items[..i].contains(x))
        {
            out.push(self.invalid(
                path,
                "\"\"".into(),
                format!("{path} in body shouldn't contain duplicates"),
            ));
        }
    }

    fn enumeration(&self, v: &Value, s: &Value, path: &str, out: &mut Vec<Cause>) {
        let Some(choices) = s
            .get("enum")
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
        else {
            return;
        };
        let same = |c: &Value| match (c, v) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => c == v,
        };
        if choices.iter().any(same) {
            return;
        }
        let list: Vec<String> = choices
            .iter()
            .map(|c| match c {
                Value::String(s) => format!("{s:?}"),
                other => format!("{:?}", gofmt::json(other)),
            })
            .collect();
        out.push(self.cause(
            path,
            "FieldValueNotSupported",
            format!(
                "Unsupported value: {}: supported values: {}",
                gofmt::value(v),
                list.join(", ")
            ),
        ));
    }

    fn object(
        &self,
        m: &Map<String, Value>,
        s: &Value,
        path: &str,
        old: Option<&Value>,
        root: bool,
        out: &mut Vec<Cause>,
    ) {
        let size = m.len() as i64;
        if let Some(min) = int(s, "minProperties").filter(|x| size < *x) {
            out.push(self.invalid(
                path,
                size.to_string(),
                format!("{path} in body should have at least {min} properties"),
            ));
        }
        if let Some(max) = int(s, "maxProperties").filter(|x| size > *x) {
            out.push(self.cause(
                path,
                "FieldValueTooMany",
                format!("Too many: {size}: must have at most {}", count("item", max)),
            ));
        }
        let props = s.get("properties").and_then(Value::as_object);
        let old_map = old.and_then(Value::as_object);
        if let Some(extra) = s.get("additionalProperties").filter(|a| a.is_object()) {
            for (k, child) in m {
                if props.is_some_and(|p| p.contains_key(k)) {
                    continue;
                }
                let o = old_map.and_then(|o| o.get(k));
                out.extend(self.node(child, extra, &format!("{path}.{k}"), o, false));
            }
        }
        if let Some(props) = props {
            for (k, child) in m {
                if root && matches!(k.as_str(), "apiVersion" | "kind") {
                    continue;
                }
                let Some(cs) = props.get(k) else { continue };
                let name = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.extend(self.node(child, cs, &name, old_map.and_then(|o| o.get(k)), false));
            }
        }
        if let Some(required) = s.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                let meta = root && matches!(r, "apiVersion" | "kind" | "metadata");
                if !meta && !m.contains_key(r) {
                    out.push(self.cause(
                        &format!("{path}.{r}"),
                        "FieldValueRequired",
                        "Required value".into(),
                    ));
                }
            }
        }
    }
}
