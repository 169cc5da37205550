//! CEL programs of `x-kubernetes-validations`, compiled with cel-rust: the standard library and
//! macros (`has`, `all`, `exists`, `exists_one`, `map`, `filter`), the `strings`, `lists` and
//! `math` extensions, and of the Kubernetes libraries `isSorted`, `sum`, `indexOf`,
//! `lastIndexOf`, `isURL` and `isQuantity`. Values are converted from JSON by the schema
//! (`number` fields are doubles, everything else as written).

use std::sync::{Arc, LazyLock};

use cel::common::types::{CelBool, CelString, LIST_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::{Key, Map, OptionalValue};
use cel::{Context, Env, ExecutionError, Program};
use serde_json::Value;

/// A compiled rule: its program and whether it reads `oldSelf` (a transition rule).
pub struct Compiled {
    /// The program of the rule.
    pub program: Program,
    /// Whether the rule reads `oldSelf`.
    pub uses_old_self: bool,
}

static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    // The extensions only fail on overloads declared twice, which a fresh environment has not.
    let _ = env.add_extension(cel::extensions::strings);
    let _ = env.add_extension(cel::extensions::lists);
    let _ = env.add_extension(cel::extensions::math);
    kubernetes_library(&mut env);
    Arc::new(env)
});

/// The environment every rule is compiled and run in.
pub fn env() -> Arc<Env> {
    ENV.clone()
}

/// Compiles `src`; the error is the detail the real server reports after the rule's value.
pub fn compile(src: &str) -> Result<Compiled, String> {
    match ENV.compile(src) {
        Ok(program) => {
            let refs = program.references();
            let uses_old_self = refs.has_variable("oldSelf");
            let unknown: Vec<String> = refs
                .variables()
                .into_iter()
                .filter(|v| !matches!(*v, "self" | "oldSelf") && !declared_locally(src, v))
                .map(String::from)
                .collect();
            if let Some(v) = unknown.first() {
                return Err(format!(
                    "compilation failed: ERROR: <input>:1:1: undeclared reference to '{v}' (in container '')"
                ));
            }
            Ok(Compiled {
                program,
                uses_old_self,
            })
        }
        Err(e) => Err(format!(
            "compilation failed: ERROR: <input>: {}",
            e.to_string().trim()
        )),
    }
}

/// Whether `name` is bound by a macro of `src` (`x` in `self.all(x, ...)`).
fn declared_locally(src: &str, name: &str) -> bool {
    ["all", "exists", "exists_one", "map", "filter"]
        .iter()
        .any(|m| {
            src.match_indices(&format!("{m}("))
                .any(|(i, _)| src[i + m.len() + 1..].trim_start().starts_with(name))
        })
}

/// Runs `rule` with `self` (and `oldSelf`, plain or optional) bound.
pub fn run(
    rule: &Compiled,
    this: cel::Value,
    old: Option<cel::Value>,
    optional_old: bool,
) -> Result<cel::Value, String> {
    let mut ctx = Context::with_env(env());
    ctx.add_variable_from_value("self", this);
    match (old, optional_old) {
        (Some(o), true) => ctx.add_variable_from_value(
            "oldSelf",
            cel::Value::Opaque(Arc::new(OptionalValue::of(o))),
        ),
        (None, true) => ctx.add_variable_from_value(
            "oldSelf",
            cel::Value::Opaque(Arc::new(OptionalValue::none())),
        ),
        (Some(o), false) => ctx.add_variable_from_value("oldSelf", o),
        (None, false) => {}
    }
    rule.program.execute(&ctx).map_err(go_error)
}

/// cel-go's wording of the common runtime errors.
fn go_error(e: ExecutionError) -> String {
    match e {
        ExecutionError::NoSuchKey(k) => format!("no such key: {k}"),
        ExecutionError::NoSuchOverload(_) | ExecutionError::UnsupportedBinaryOperator(..) => {
            "no such overload".into()
        }
        ExecutionError::DivisionByZero(_) => "division by zero".into(),
        ExecutionError::RemainderByZero(_) => "modulus by zero".into(),
        ExecutionError::Overflow(..) => "integer overflow".into(),
        ExecutionError::IndexOutOfBounds(i) => format!("index out of bounds: {}", plain(&i)),
        other => other.to_string(),
    }
}

fn plain(v: &cel::Value) -> String {
    match v {
        cel::Value::Int(i) => i.to_string(),
        cel::Value::UInt(u) => u.to_string(),
        other => format!("{other:?}"),
    }
}

/// Converts a JSON value to CEL, as typed by its structural `schema`.
pub fn to_cel(v: &Value, schema: Option<&Value>) -> cel::Value {
    let ty = schema
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match v {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match (ty, n.as_i64()) {
            ("number", _) | (_, None) => cel::Value::Float(n.as_f64().unwrap_or(0.0)),
            (_, Some(i)) => cel::Value::Int(i),
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(a) => {
            let items = schema.and_then(|s| s.get("items"));
            cel::Value::List(Arc::new(a.iter().map(|x| to_cel(x, items)).collect()))
        }
        Value::Object(m) => {
            let props = schema.and_then(|s| s.get("properties"));
            let extra = schema.and_then(|s| s.get("additionalProperties"));
            let map: std::collections::HashMap<Key, cel::Value> = m
                .iter()
                .map(|(k, x)| {
                    let s = props.and_then(|p| p.get(k)).or(extra);
                    (Key::String(Arc::new(k.clone())), to_cel(x, s))
                })
                .collect();
            cel::Value::Map(Map { map: Arc::new(map) })
        }
    }
}

/// The Kubernetes CEL library functions that are practical here.
fn kubernetes_library(env: &mut Env) {
    let _ = env.add_member_overload("isSorted", "list_is_sorted", LIST_TYPE, vec![], |args| {
        let items = list(&args[0])?;
        let sorted = items.windows(2).all(|w| {
            matches!(
                w[0].partial_cmp(&w[1]),
                Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
            )
        });
        Ok(CowVal::owned(CelBool::from(sorted)))
    });
    let _ = env.add_member_overload("sum", "list_sum", LIST_TYPE, vec![], |args| {
        let items = list(&args[0])?;
        let total = items.iter().try_fold(None::<cel::Value>, |acc, x| {
            Ok::<_, ExecutionError>(Some(match (acc, x) {
                (None, x) => x.clone(),
                (Some(cel::Value::Int(a)), cel::Value::Int(b)) => cel::Value::Int(a + b),
                (Some(cel::Value::Float(a)), cel::Value::Float(b)) => cel::Value::Float(a + b),
                (Some(cel::Value::UInt(a)), cel::Value::UInt(b)) => cel::Value::UInt(a + b),
                _ => return Err(ExecutionError::function_error("sum", "no such overload")),
            }))
        })?;
        owned(total.unwrap_or(cel::Value::Int(0)))
    });
    let _ = env.add_member_overload(
        "indexOf",
        "list_indexOf",
        LIST_TYPE,
        vec![cel::common::types::DYN_TYPE],
        |args| position(args, false),
    );
    let _ = env.add_member_overload(
        "lastIndexOf",
        "list_lastIndexOf",
        LIST_TYPE,
        vec![cel::common::types::DYN_TYPE],
        |args| position(args, true),
    );
    let _ = env.add_overload("isURL", "is_url_string", vec![STRING_TYPE], |args| {
        let s = args[0]
            .downcast_ref::<CelString>()
            .map(|s| s.inner().to_string())
            .unwrap_or_default();
        Ok(CowVal::owned(CelBool::from(is_url(&s))))
    });
    let _ = env.add_overload(
        "isQuantity",
        "is_quantity_string",
        vec![STRING_TYPE],
        |args| {
            let s = args[0]
                .downcast_ref::<CelString>()
                .map(|s| s.inner().to_string())
                .unwrap_or_default();
            Ok(CowVal::owned(CelBool::from(crate::quantity::is_valid(&s))))
        },
    );
}

fn list(v: &CowVal<'_, '_>) -> Result<Vec<cel::Value>, ExecutionError> {
    match cel::Value::try_from(&**v) {
        Ok(cel::Value::List(l)) => Ok(l.to_vec()),
        _ => Err(ExecutionError::function_error("list", "no such overload")),
    }
}

fn owned<'b, 'v>(v: cel::Value) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let b: Box<dyn Val> = v
        .try_into()
        .map_err(|_| ExecutionError::function_error("sum", "no such overload"))?;
    Ok(CowVal::Owned(b))
}

fn position<'b, 'v>(
    args: Vec<CowVal<'b, 'v>>,
    last: bool,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let items = list(&args[0])?;
    let want = cel::Value::try_from(&*args[1])
        .map_err(|_| ExecutionError::function_error("indexOf", "no such overload"))?;
    let mut found = items.iter().enumerate().filter(|(_, x)| **x == want);
    let i = if last {
        found.next_back()
    } else {
        found.next()
    };
    owned(cel::Value::Int(i.map(|(i, _)| i as i64).unwrap_or(-1)))
}

/// The Kubernetes `isURL`: an absolute URL as Go's `url.Parse` reads it, with a scheme.
fn is_url(s: &str) -> bool {
    match s.split_once("://") {
        Some((scheme, rest)) => {
            let mut c = scheme.chars();
            c.next().is_some_and(|x| x.is_ascii_alphabetic())
                && c.all(|x| x.is_ascii_alphanumeric() || "+-.".contains(x))
                && !rest.chars().any(|x| x.is_control() || x == ' ')
        }
        None => s.starts_with('/') && !s.contains(' '),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(rule: &str, this: Value) -> Result<cel::Value, String> {
        let c = compile(rule)?;
        run(&c, to_cel(&this, None), None, false)
    }

    #[test]
    fn rules_run_with_the_library() {
        assert_eq!(
            eval("self.a > 1 && has(self.b)", json!({"a": 2, "b": 1})),
            Ok(true.into())
        );
        assert_eq!(
            eval(
                "self.l.all(x, x.startsWith('a'))",
                json!({"l": ["ab", "ac"]})
            ),
            Ok(true.into())
        );
        assert_eq!(
            eval("self.s.matches('^[a-z]+$')", json!({"s": "Ab"})),
            Ok(false.into())
        );
        assert_eq!(
            eval(
                "self.l.isSorted() && self.l.sum() == 6",
                json!({"l": [1, 2, 3]})
            ),
            Ok(true.into())
        );
        assert_eq!(
            eval("self.s.lowerAscii() == 'ab'", json!({"s": "AB"})),
            Ok(true.into())
        );
        assert_eq!(
            eval("isQuantity(self.q)", json!({"q": "10Gi"})),
            Ok(true.into())
        );
        assert_eq!(eval("self.x == 1", json!({})), Err("no such key: x".into()));
        assert!(compile("self.").is_err());
        assert!(compile("foo == 1").is_err());
        assert!(compile("self.l.exists(x, x == 1)").is_ok());
    }
}
