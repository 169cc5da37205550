//! Type checks of built-in kinds' bodies, as the real API server's decoding into the Go types
//! reports them: a create or update answers 400 with `encoding/json`'s first
//! `UnmarshalTypeError`, a JSON or merge patch 422 on `patch`, a strategic merge patch 422
//! with the unstructured converter's wording, and a server-side apply 500 with
//! structured-merge-diff's errors. Types come from `k8s-openapi`'s schemas with named
//! definitions, compiled once per kind.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value};

use crate::resources::{ResourceType, SchemaSource};
use crate::schema::{item_key, Cursor, ListType};
use crate::status::{ApiError, ApiResult};
use crate::web::Request;

/// String fields whose Go type is a named string type, as (struct, field, Go type).
const NAMED_STRINGS: &[(&str, &str, &str)] = &[
    ("Container", "imagePullPolicy", "v1.PullPolicy"),
    (
        "Container",
        "terminationMessagePolicy",
        "v1.TerminationMessagePolicy",
    ),
    ("ContainerPort", "protocol", "v1.Protocol"),
    ("ServicePort", "protocol", "v1.Protocol"),
    ("ServiceSpec", "type", "v1.ServiceType"),
    ("ServiceSpec", "sessionAffinity", "v1.ServiceAffinity"),
    (
        "ServiceSpec",
        "externalTrafficPolicy",
        "v1.ServiceExternalTrafficPolicy",
    ),
    (
        "ServiceSpec",
        "internalTrafficPolicy",
        "v1.ServiceInternalTrafficPolicy",
    ),
    ("ServiceSpec", "ipFamilyPolicy", "v1.IPFamilyPolicy"),
    ("PodSpec", "restartPolicy", "v1.RestartPolicy"),
    ("PodSpec", "dnsPolicy", "v1.DNSPolicy"),
    ("PodSpec", "preemptionPolicy", "v1.PreemptionPolicy"),
    ("DeploymentStrategy", "type", "v1.DeploymentStrategyType"),
    (
        "StatefulSetSpec",
        "podManagementPolicy",
        "v1.PodManagementPolicyType",
    ),
    ("CronJobSpec", "concurrencyPolicy", "v1.ConcurrencyPolicy"),
    ("Secret", "type", "v1.SecretType"),
    ("ObjectMeta", "uid", "types.UID"),
    ("OwnerReference", "uid", "types.UID"),
];

/// One Go type of the API, as far as decoding tells types apart.
#[derive(Debug, Clone)]
enum Ty {
    /// A string (possibly a named string type, given by its Go name).
    Str(String),
    /// A `[]byte`, written as a base64 string.
    Bytes,
    /// An `int32` or `int64`.
    Int(u8),
    /// A `float64`.
    Float,
    /// A `bool`.
    Bool,
    /// A `metav1.Time` or `MicroTime`: a string, decoded by its own `UnmarshalJSON`.
    Time,
    /// An `intstr.IntOrString`.
    IntOrString,
    /// A `resource.Quantity`.
    Quantity,
    /// Anything (`runtime.RawExtension`, `apiextensions.JSON`, unknown schemas).
    Any,
    /// A slice of the element type.
    List(usize),
    /// A `map[string]` of the value type.
    Map(usize),
    /// A struct: its name (`DeploymentSpec`), Go type (`v1.DeploymentSpec`) and fields.
    Struct {
        name: String,
        go: String,
        fields: HashMap<String, usize>,
    },
}

/// The compiled types of one kind: an arena, the root at index 0.
#[derive(Debug)]
struct Types {
    nodes: Vec<Ty>,
}

type Cache = Mutex<HashMap<(String, String, String), Option<Arc<Types>>>>;

fn types_of(rt: &ResourceType) -> Option<Arc<Types>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (rt.group.clone(), rt.version.clone(), rt.kind.clone());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(t) = cache.lock().ok()?.get(&key) {
        return t.clone();
    }
    let compiled = crate::builtin_schema::named_schema(&rt.group, &rt.version, &rt.kind)
        .map(|s| Arc::new(compile_root(&s, &rt.version, &rt.kind)));
    cache.lock().ok()?.insert(key, compiled.clone());
    compiled
}

fn compile_root(schema: &Value, version: &str, kind: &str) -> Types {
    let empty = Map::new();
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut c = Compiler {
        defs,
        nodes: vec![Ty::Any],
        named: HashMap::new(),
    };
    let root = c.structure(schema, kind, format!("{version}.{kind}"));
    c.nodes[0] = root;
    Types { nodes: c.nodes }
}

struct Compiler<'a> {
    defs: &'a Map<String, Value>,
    nodes: Vec<Ty>,
    named: HashMap<String, usize>,
}

impl Compiler<'_> {
    fn push(&mut self, ty: Ty) -> usize {
        self.nodes.push(ty);
        self.nodes.len() - 1
    }

    fn structure(&mut self, s: &Value, name: &str, go: String) -> Ty {
        let mut fields = HashMap::new();
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (field, fs) in props {
                let named = NAMED_STRINGS
                    .iter()
                    .find(|(st, f, _)| *st == name && f == field)
                    .map(|(_, _, go)| *go);
                let idx = self.node(fs, named);
                fields.insert(field.clone(), idx);
            }
        }
        Ty::Struct {
            name: name.to_string(),
            go,
            fields,
        }
    }

    fn node(&mut self, s: &Value, named: Option<&str>) -> usize {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let def = r.rsplit('/').next().unwrap_or(r).to_string();
            if let Some(&i) = self.named.get(&def) {
                return i;
            }
            let idx = self.push(Ty::Any);
            self.named.insert(def.clone(), idx);
            let ty = match def.as_str() {
                "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => Ty::IntOrString,
                "io.k8s.apimachinery.pkg.api.resource.Quantity" => Ty::Quantity,
                "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
                | "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime" => Ty::Time,
                _ => match self.defs.get(&def) {
                    Some(d) if d.get("properties").is_some() => {
                        let mut parts = def.rsplit('.');
                        let short = parts.next().unwrap_or_default().to_string();
                        let pkg = parts.next().unwrap_or_default();
                        self.structure(d, &short, format!("{pkg}.{short}"))
                    }
                    Some(d) => {
                        let inner = self.node(&d.clone(), named);
                        self.nodes[inner].clone()
                    }
                    None => Ty::Any,
                },
            };
            self.nodes[idx] = ty;
            return idx;
        }
        let ty = if s.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
            Ty::IntOrString
        } else {
            match s.get("type").and_then(Value::as_str) {
                Some("string") => match s.get("format").and_then(Value::as_str) {
                    Some("byte") => Ty::Bytes,
                    Some("date-time") => Ty::Time,
                    _ => Ty::Str(named.unwrap_or("string").to_string()),
                },
                Some("integer") => match s.get("format").and_then(Value::as_str) {
                    Some("int32") => Ty::Int(32),
                    _ => Ty::Int(64),
                },
                Some("number") => Ty::Float,
                Some("boolean") => Ty::Bool,
                Some("array") => {
                    let item_named = named.and_then(|n| n.strip_prefix("[]"));
                    match s.get("items") {
                        Some(items) => Ty::List(self.node(items, item_named)),
                        None => Ty::Any,
                    }
                }
                Some("object") => match s.get("additionalProperties") {
                    Some(v) if v.is_object() => Ty::Map(self.node(v, None)),
                    _ if s.get("properties").is_some() => self.structure(s, "", String::new()),
                    _ => Ty::Any,
                },
                _ => Ty::Any,
            }
        };
        self.push(ty)
    }
}

impl Types {
    /// The Go type's name, as `reflect.Type.String()` prints it.
    fn go(&self, i: usize) -> String {
        match &self.nodes[i] {
            Ty::Str(go) => go.clone(),
            Ty::Bytes => "[]uint8".into(),
            Ty::Int(bits) => format!("int{bits}"),
            Ty::Float => "float64".into(),
            Ty::Bool => "bool".into(),
            Ty::Time => "v1.Time".into(),
            Ty::IntOrString => "intstr.IntOrString".into(),
            Ty::Quantity => "resource.Quantity".into(),
            Ty::Any => "runtime.RawExtension".into(),
            Ty::List(item) => format!("[]{}", self.go(*item)),
            Ty::Map(v) if matches!(self.nodes[*v], Ty::Quantity) => "v1.ResourceList".into(),
            Ty::Map(v) => format!("map[string]{}", self.go(*v)),
            Ty::Struct { go, .. } => go.clone(),
        }
    }
}

/// Checks a built-in kind's body `obj` (the object written, the patched object, or the
/// applied configuration) against the kind's Go types, answering as the real server does for
/// the request's verb and patch type.
pub fn check(req: &Request, rt: &ResourceType, obj: &Value) -> ApiResult<()> {
    if !matches!(rt.schema, SchemaSource::Builtin) {
        return Ok(());
    }
    let Some(types) = types_of(rt) else {
        return Ok(());
    };
    let ct = req.content_type.as_str();
    if req.method != hyper::Method::PATCH {
        return match decode_error(&types, 0, obj, &mut Ctx::default()) {
            Some(err) => Err(ApiError::bad_request(format!(
                "{kind} in version \"{version}\" cannot be handled as a {kind}: {err}",
                kind = rt.kind,
                version = rt.version,
            ))),
            None => Ok(()),
        };
    }
    if ct.contains("apply-patch") {
        let mut errs = vec![];
        smd_errors(&types, 0, obj, "", &mut String::new(), &mut errs);
        if errs.is_empty() {
            return Ok(());
        }
        let msg = if errs.len() == 1 {
            errs.remove(0)
        } else {
            format!("errors:\n  {}", errs.join("\n  "))
        };
        let meta = obj.get("metadata");
        let field = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str);
        return Err(ApiError::new(
            500,
            "",
            format!(
                "failed to create typed patch object ({}/{}; {}/{}, Kind={}): {msg}",
                field("namespace").unwrap_or_default(),
                field("name").unwrap_or_default(),
                rt.group,
                rt.version,
                rt.kind
            ),
        ));
    }
    if ct.contains("strategic-merge-patch") {
        let Some(err) = convert_error(&types, 0, obj) else {
            return Ok(());
        };
        let patch: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        return Err(patch_invalid(&go_plain(&patch), &err));
    }
    match decode_error(&types, 0, obj, &mut Ctx::default()) {
        Some(err) => Err(patch_invalid(&crate::validate::go_json(obj), &err)),
        None => Ok(()),
    }
}

/// The 422 a patch whose result does not decode answers with: `patch: Invalid value`.
fn patch_invalid(value: &str, err: &str) -> ApiError {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    let body = format!("Invalid value: {quoted}: {err}");
    ApiError::new(422, "Invalid", format!(" \"\" is invalid: patch: {body}")).with_details(
        json!({ "causes": [{ "reason": "FieldValueInvalid", "message": body, "field": "patch" }] }),
    )
}

/// Where `encoding/json` is in the document: the struct of the last field and the field path.
#[derive(Default)]
struct Ctx<'a> {
    strukt: &'a str,
    stack: Vec<&'a str>,
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
        Value::String(_) => "string",
    }
}

/// Whether `n` decodes into a Go integer of `bits` bits.
fn fits(n: &serde_json::Number, bits: u8) -> bool {
    match n.as_i64() {
        Some(i) => bits == 64 || i32::try_from(i).is_ok(),
        None => false,
    }
}

/// The first error `encoding/json` (sigs.k8s.io/json) reports decoding `v` into type `i`.
fn decode_error<'a>(t: &'a Types, i: usize, v: &'a Value, ctx: &mut Ctx<'a>) -> Option<String> {
    if v.is_null() {
        return None;
    }
    let mismatch = |what: String, ctx: &Ctx| {
        let go = t.go(i);
        Some(if ctx.stack.is_empty() && ctx.strukt.is_empty() {
            format!("json: cannot unmarshal {what} into Go value of type {go}")
        } else {
            format!(
                "json: cannot unmarshal {what} into Go struct field {}.{} of type {go}",
                ctx.strukt,
                ctx.stack.join(".")
            )
        })
    };
    match (&t.nodes[i], v) {
        (Ty::Str(_) | Ty::Bytes, Value::String(_)) => None,
        (Ty::Int(bits), Value::Number(n)) => {
            (!fits(n, *bits)).then(|| mismatch(format!("number {n}"), ctx))?
        }
        (Ty::Float, Value::Number(_)) | (Ty::Bool, Value::Bool(_)) => None,
        (Ty::Time, Value::String(_)) | (Ty::Any, _) => None,
        (Ty::Time, other) => Some(format!(
            "json: cannot unmarshal {} into Go value of type string",
            json_kind(other)
        )),
        (Ty::IntOrString, Value::String(_)) => None,
        (Ty::IntOrString, Value::Number(n)) if fits(n, 32) => None,
        (Ty::IntOrString, other) => {
            let what = match other {
                Value::Number(n) => format!("number {n}"),
                o => json_kind(o).to_string(),
            };
            Some(format!(
                "json: cannot unmarshal {what} into Go value of type int32"
            ))
        }
        (Ty::Quantity, Value::String(_) | Value::Number(_)) => None,
        (Ty::Quantity, _) => Some(
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
                .into(),
        ),
        (Ty::List(item), Value::Array(items)) => items
            .iter()
            .find_map(|it| decode_error(t, *item, it, ctx)),
        (Ty::Map(val), Value::Object(m)) => {
            m.values().find_map(|it| decode_error(t, *val, it, ctx))
        }
        (Ty::Struct { name, fields, .. }, Value::Object(m)) => {
            for (k, child) in m {
                let Some(&f) = fields.get(k) else { continue };
                let saved = ctx.strukt;
                ctx.strukt = name;
                ctx.stack.push(k);
                let err = decode_error(t, f, child, ctx);
                ctx.stack.pop();
                ctx.strukt = saved;
                if err.is_some() {
                    return err;
                }
            }
            None
        }
        (_, other) => mismatch(json_kind(other).to_string(), ctx),
    }
}

/// The kind Go's reflection names for an unstructured value.
fn reflect_kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::Array(_) => "slice",
        Value::Object(_) => "map",
        Value::Null => "invalid",
        Value::String(_) => "string",
    }
}

/// The first error `runtime.DefaultUnstructuredConverter.FromUnstructured` reports turning
/// the strategically patched object `v` into type `i`.
fn convert_error(t: &Types, i: usize, v: &Value) -> Option<String> {
    if v.is_null() {
        return None;
    }
    let unrecognized = || Some(format!("unrecognized type: {}", t.go(i)));
    match (&t.nodes[i], v) {
        (Ty::Str(_), Value::String(_)) | (Ty::Bool, Value::Bool(_)) | (Ty::Any, _) => None,
        (Ty::Str(_), Value::Number(_)) => {
            Some(format!("cannot convert {} to {}", reflect_kind(v), t.go(i)))
        }
        (Ty::Int(_), Value::Number(n)) => match n.as_f64() {
            Some(f) if n.is_f64() && f.trunc() != f => {
                Some(format!("cannot convert float64 to {}", t.go(i)))
            }
            _ => None,
        },
        (Ty::Float, Value::Number(_)) => None,
        (Ty::Str(_) | Ty::Int(_) | Ty::Float | Ty::Bool, _) => unrecognized(),
        (Ty::Bytes, Value::String(_)) => None,
        (Ty::Bytes | Ty::List(_), Value::Array(items)) => match &t.nodes[i] {
            Ty::List(item) => items.iter().find_map(|it| convert_error(t, *item, it)),
            _ => None,
        },
        (Ty::Bytes | Ty::List(_), other) => {
            Some(format!("cannot restore slice from {}", reflect_kind(other)))
        }
        (Ty::Map(val), Value::Object(m)) => m.values().find_map(|it| convert_error(t, *val, it)),
        (Ty::Map(_), other) => Some(format!("cannot restore map from {}", reflect_kind(other))),
        (Ty::Struct { fields, .. }, Value::Object(m)) => m
            .iter()
            .filter_map(|(k, child)| fields.get(k).map(|f| (*f, child)))
            .find_map(|(f, child)| convert_error(t, f, child)),
        (Ty::Struct { .. }, other) => Some(format!(
            "cannot restore struct from: {}",
            reflect_kind(other)
        )),
        (Ty::Time | Ty::IntOrString | Ty::Quantity, _) => {
            decode_error(t, i, v, &mut Ctx::default())
        }
    }
}

/// structured-merge-diff's validation errors of the applied configuration `v` against type
/// `i`, each `path: message`; `field` is the name of the field `v` is the value of.
fn smd_errors(
    t: &Types,
    i: usize,
    v: &Value,
    field: &str,
    path: &mut String,
    out: &mut Vec<String>,
) {
    if v.is_null() {
        return;
    }
    let mut err = |msg: String| out.push(format!("{path}: {msg}"));
    match (&t.nodes[i], v) {
        (Ty::Any, _) => {}
        (Ty::Str(_) | Ty::Bytes | Ty::Time, Value::String(_)) => {}
        (Ty::Str(_) | Ty::Bytes | Ty::Time, other) => err(format!(
            "expected string, got &value.valueUnstructured{{Value:{}}}",
            go_sharp(other)
        )),
        (Ty::Int(_) | Ty::Float, Value::Number(_)) => {}
        (Ty::Int(_) | Ty::Float, other) => err(format!(
            "expected numeric (int or float), got {}",
            go_type(other)
        )),
        (Ty::Bool, Value::Bool(_)) => {}
        (Ty::Bool, other) => err(format!("expected boolean, got &{{{}}}", go_plain(other))),
        (Ty::IntOrString | Ty::Quantity, Value::Array(_) | Value::Object(_)) => {
            err(format!("expected any scalar, got &{{{}}}", go_plain(v)))
        }
        (Ty::IntOrString | Ty::Quantity, _) => {}
        (Ty::List(item), Value::Array(items)) => {
            let list_type = Cursor::Builtin(field).list_type(items);
            for (n, it) in items.iter().enumerate() {
                let len = path.len();
                match &list_type {
                    ListType::Map(keys) => match item_key(it, keys) {
                        Some(k) => {
                            let parts: Vec<String> =
                                k.iter().map(|(k, v)| format!("{k}={v}")).collect();
                            path.push_str(&format!("[{}]", parts.join(",")));
                        }
                        None => path.push_str(&format!("[{n}]")),
                    },
                    ListType::Set => path.push_str(&format!("[={it}]")),
                    _ => path.push_str(&format!("[{n}]")),
                }
                smd_errors(t, *item, it, field, path, out);
                path.truncate(len);
            }
        }
        (Ty::List(_), other) => err(format!("expected list, got &{{{}}}", go_plain(other))),
        (Ty::Map(val), Value::Object(m)) => {
            for (k, child) in m {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                smd_errors(t, *val, child, k, path, out);
                path.truncate(len);
            }
        }
        (Ty::Struct { fields, .. }, Value::Object(m)) => {
            for (k, child) in m {
                let Some(&f) = fields.get(k) else { continue };
                let len = path.len();
                path.push('.');
                path.push_str(k);
                smd_errors(t, f, child, k, path, out);
                path.truncate(len);
            }
        }
        (Ty::Map(_) | Ty::Struct { .. }, other) => {
            err(format!("expected map, got &{{{}}}", go_plain(other)))
        }
    }
}

/// Go's `%T` of an unstructured value.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
        Value::Null => "<nil>",
        Value::String(_) => "string",
    }
}

/// Go's `%v` of an unstructured value: `map[a:1 b:[x y]]`, keys sorted.
pub fn go_plain(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_plain).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_plain(&m[*k])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// Go's `%#v` of an unstructured value: `map[string]interface {}{"a":1}`, keys sorted.
fn go_sharp(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Array(a) => format!(
            "[]interface {{}}{{{}}}",
            a.iter().map(go_sharp).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{:?}:{}", k, go_sharp(&m[*k])))
                .collect();
            format!("map[string]interface {{}}{{{}}}", parts.join(", "))
        }
        other => go_plain(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(group: &str, kind: &str) -> Types {
        let s = crate::builtin_schema::named_schema(group, "v1", kind).unwrap();
        compile_root(&s, "v1", kind)
    }

    fn decode(t: &Types, v: Value) -> Option<String> {
        decode_error(t, 0, &v, &mut Ctx::default())
    }

    #[test]
    fn go_decoding_messages_name_the_struct_path_and_type() {
        let t = types("apps", "Deployment");
        assert_eq!(
            decode(&t, json!({"spec": {"replicas": "three"}})).unwrap(),
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
        );
        let ports =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "ports": "80"}]}}}});
        assert_eq!(
            decode(&t, ports).unwrap(),
            "json: cannot unmarshal string into Go struct field Container.spec.template.spec.containers.ports of type []v1.ContainerPort"
        );
        let ok = json!({"spec": {"replicas": 2, "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}},
            "template": {"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": 1, "memory": "1Gi"}}}]}}}});
        assert_eq!(decode(&t, ok), None);
        assert_eq!(
            decode(&t, json!({"spec": {"replicas": 1.5}})).unwrap(),
            "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"
        );
        assert_eq!(
            decode(&t, json!({"metadata": {"labels": {"a": 1}}})).unwrap(),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"
        );
        assert_eq!(
            decode(&t, json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "resources": {"limits": "x"}}]}}}})).unwrap(),
            "json: cannot unmarshal string into Go struct field ResourceRequirements.spec.template.spec.containers.resources.limits of type v1.ResourceList"
        );
    }

    #[test]
    fn smd_and_converter_messages() {
        let t = types("apps", "Deployment");
        let mut errs = vec![];
        let v = json!({"spec": {"replicas": "three", "template": {"spec": {"containers": [{"name": "web", "image": 5}]}}}});
        smd_errors(&t, 0, &v, "", &mut String::new(), &mut errs);
        assert_eq!(
            errs,
            [
                ".spec.replicas: expected numeric (int or float), got string",
                ".spec.template.spec.containers[name=\"web\"].image: expected string, got &value.valueUnstructured{Value:5}"
            ]
        );
        assert_eq!(
            convert_error(&t, 0, &json!({"spec": {"replicas": "three"}})).unwrap(),
            "unrecognized type: int32"
        );
        assert_eq!(
            go_plain(&json!({"spec": {"replicas": "three", "a": [1, 2]}})),
            "map[spec:map[a:[1 2] replicas:three]]"
        );
    }
}
