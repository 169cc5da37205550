//! CRDs whose schema is not structural are refused with the real 422 and its causes, and the
//! real CRDs in the fixtures (which are structural) are accepted.

mod common;

use common::{fixtures, server, Kubectl};

fn crd(schema: &str) -> String {
    format!(
        r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
{schema}"#
    )
}

#[test]
fn a_field_without_type_is_refused() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let m = k.write_manifest(
        "crd.yaml",
        &crd("        type: object\n        properties:\n          spec:\n            properties:\n              size: {type: integer}\n"),
    );
    let err = k.fails(&["apply", "--server-side", "-f", m.to_str().unwrap()]);
    assert!(
        err.contains("The CustomResourceDefinition \"widgets.example.com\" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields"),
        "{err}"
    );
    let err = k.fails(&["get", "crd", "widgets.example.com"]);
    assert!(err.contains("NotFound"), "{err}");
}

#[test]
fn preserve_unknown_fields_and_int_or_string_need_no_type() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let m = k.write_manifest(
        "crd.yaml",
        &crd("        type: object\n        properties:\n          spec:\n            x-kubernetes-preserve-unknown-fields: true\n          port:\n            x-kubernetes-int-or-string: true\n            anyOf: [{type: integer}, {type: string}]\n"),
    );
    k.ok(&["apply", "--server-side", "-f", m.to_str().unwrap()]);
}

#[test]
fn all_violations_are_reported_sorted() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let m = k.write_manifest(
        "crd.yaml",
        &crd("        type: object\n        properties:\n          mode:\n            type: string\n            oneOf:\n            - {type: string, enum: [a]}\n            - {description: b}\n"),
    );
    let err = k.fails(&["create", "-f", m.to_str().unwrap()]);
    let p = "spec.versions[0].schema.openAPIV3Schema";
    // kubectl lists the causes of the 422, in the order the server sorted them.
    let expected = format!(
        "The CustomResourceDefinition \"widgets.example.com\" is invalid: \n\
         * {p}.properties[mode].oneOf[0].type: Forbidden: must be empty to be structural\n\
         * {p}.properties[mode].oneOf[1].description: Forbidden: must be empty to be structural"
    );
    assert!(err.contains(&expected), "{err}\nexpected: {expected}");
}

#[test]
fn additional_properties_at_the_root_is_refused() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let m = k.write_manifest(
        "crd.yaml",
        &crd("        type: object\n        additionalProperties: {type: string}\n"),
    );
    let err = k.fails(&["create", "-f", m.to_str().unwrap()]);
    assert!(
        err.contains("spec.versions[0].schema.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root"),
        "{err}"
    );
}

#[test]
fn the_fixture_crds_are_structural() {
    let srv = server();
    let k = Kubectl::new(&srv);
    for name in [
        "crd-cnpg-clusters.yaml",
        "crd-strimzi-kafka.yaml",
        "crd-monitoring-prometheusrules.yaml",
    ] {
        let path = fixtures().join(name);
        k.ok(&["apply", "--server-side", "-f", path.to_str().unwrap()]);
    }
}
