//! The `components.schemas` of a built-in group-version's OpenAPI v3 document, generated from
//! the Kubernetes API types of `k8s-openapi` (its `schemars` feature) as the real server's
//! documents are shaped: keyed by definition name (`io.k8s.api.apps.v1.Deployment`), nested
//! types by `$ref: "#/components/schemas/..."` (wrapped in `allOf` when the field has its own
//! description), descriptions kept, and `x-kubernetes-group-version-kind` on each kind.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

use k8s_openapi::api::authorization::v1 as authorization;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;

use crate::builtin_schema::{visit_kind, KindVisitor};

/// Registers a kind's type (and every type it uses) with the generator; gives the kind's
/// definition name.
struct Register<'a>(&'a mut SchemaGenerator);

impl KindVisitor for Register<'_> {
    type Output = String;
    fn visit<T: JsonSchema>(&mut self) -> String {
        self.0.subschema_for::<T>();
        T::schema_name().into_owned()
    }
}

/// The schemas of `kinds` of built-in `group/version`, with the definition name of each kind
/// found here; kinds without a Rust type here are left out of both.
pub fn components(
    group: &str,
    version: &str,
    kinds: &[&str],
) -> (Map<String, Value>, Vec<(String, String)>) {
    let mut generator = SchemaSettings::openapi3()
        .with(|s| s.meta_schema = None)
        .into_generator();
    let mut names = vec![];
    for kind in kinds {
        let mut register = Register(&mut generator);
        let name = visit_kind(group, version, kind, &mut register)
            .or_else(|| visit_other_kind(group, version, kind, &mut register));
        if let Some(name) = name {
            names.push((kind.to_string(), name));
        }
    }
    let mut schemas = generator.take_definitions(true);
    for (kind, name) in &names {
        if let Some(Value::Object(s)) = schemas.get_mut(name) {
            unrequire_metadata(s, group, kind);
            s.insert(
                "x-kubernetes-group-version-kind".into(),
                json!([{ "group": group, "kind": kind, "version": version }]),
            );
        }
    }
    scalar_unions(&mut schemas);
    schemas.sort_keys();
    (schemas, names)
}

/// Served kinds whose bodies field validation does not check against a schema (so they are
/// not in `builtin_schema`), but whose definitions `kubectl explain` shows.
fn visit_other_kind<V: KindVisitor>(
    group: &str,
    version: &str,
    kind: &str,
    visitor: &mut V,
) -> Option<V::Output> {
    Some(match (group, version, kind) {
        ("apiextensions.k8s.io", "v1", "CustomResourceDefinition") => {
            visitor.visit::<apiextensions::CustomResourceDefinition>()
        }
        ("authorization.k8s.io", "v1", "SelfSubjectAccessReview") => {
            visitor.visit::<authorization::SelfSubjectAccessReview>()
        }
        ("authorization.k8s.io", "v1", "SelfSubjectRulesReview") => {
            visitor.visit::<authorization::SelfSubjectRulesReview>()
        }
        _ => return None,
    })
}

/// k8s-openapi requires every kind's `metadata` (its Rust field is not optional); the real
/// definitions require it only for core `Event`.
fn unrequire_metadata(schema: &mut Map<String, Value>, group: &str, kind: &str) {
    if group.is_empty() && kind == "Event" {
        return;
    }
    let Some(Value::Array(required)) = schema.get_mut("required") else {
        return;
    };
    required.retain(|r| r != "metadata");
    if required.is_empty() {
        schema.shift_remove("required");
    }
}

/// `Quantity` and `IntOrString` as the real documents give them: `oneOf` their JSON types
/// (k8s-openapi marks both `x-kubernetes-int-or-string`, as CRD schemas would).
fn scalar_unions(schemas: &mut Map<String, Value>) {
    let unions = [
        (
            "io.k8s.apimachinery.pkg.api.resource.Quantity",
            json!({ "oneOf": [{ "type": "string" }, { "type": "number" }] }),
        ),
        (
            "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
            json!({ "format": "int-or-string", "oneOf": [{ "type": "integer" }, { "type": "string" }] }),
        ),
    ];
    for (name, shape) in unions {
        let Some(Value::Object(s)) = schemas.get_mut(name) else {
            continue;
        };
        s.shift_remove("x-kubernetes-int-or-string");
        if let Value::Object(shape) = shape {
            s.extend(shape);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::components;

    #[test]
    fn kinds_refer_to_shared_definitions() {
        let (schemas, names) = components("apps", "v1", &["Deployment", "ControllerRevision"]);
        assert_eq!(names.len(), 1, "ControllerRevision has no type here");
        let d = &schemas["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            d["x-kubernetes-group-version-kind"][0]["kind"],
            "Deployment"
        );
        assert_eq!(
            d["properties"]["spec"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"
        );
        assert!(d["properties"]["spec"]["description"].is_string());
        assert_eq!(
            d["required"],
            serde_json::json!(["spec"]),
            "metadata is optional"
        );
        let meta = &schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"];
        assert_eq!(meta["properties"]["name"]["type"], "string");
        assert!(schemas.contains_key("io.k8s.api.core.v1.Container"));
        let surge = &schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
        assert_eq!(surge["format"], "int-or-string");
        assert_eq!(surge["oneOf"][0]["type"], "integer");
        assert!(surge.get("x-kubernetes-int-or-string").is_none());
    }
}
