//! Custom resources are validated against their CRD's value validations and CEL rules as a real
//! API server does: a CRD with such rules is applied with kubectl, good objects are accepted,
//! bad ones get a 422 Invalid whose message lists the real causes; transition rules compare
//! with the stored object on update; CRDs whose rules or schemas the real server refuses are
//! refused.

mod common;

use common::{server, Kubectl};

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [replicas]
            x-kubernetes-validations:
            - rule: "!has(self.minReplicas) || self.minReplicas <= self.replicas"
              message: replicas must be at least minReplicas
            - rule: "!has(self.mode) || self.mode != 'legacy' || self.replicas == 1"
              messageExpression: "'legacy mode runs ' + string(self.replicas) + ' replicas, want 1'"
            - rule: "!has(self.tags) || self.tags.all(t, t.startsWith('t-'))"
              fieldPath: .tags
              reason: FieldValueForbidden
            properties:
              replicas:
                type: integer
                maximum: 5
                x-kubernetes-validations:
                - {rule: "self >= oldSelf", message: replicas may not decrease}
              minReplicas: {type: integer, minimum: 0, multipleOf: 2}
              name: {type: string, pattern: '^[a-z]+$', maxLength: 10, minLength: 2}
              email: {type: string, format: email}
              mode: {type: string, enum: [fast, slow, legacy]}
              tags:
                type: array
                maxItems: 3
                x-kubernetes-list-type: set
                items: {type: string}
              labels:
                type: object
                maxProperties: 2
                additionalProperties: {type: string}
              ratio: {type: number, maximum: 1, exclusiveMaximum: true}
              endpoint:
                type: object
                properties:
                  host: {type: string, format: hostname}
                  ip: {type: string, format: ipv4}
                oneOf:
                - required: [host]
                - required: [ip]
          status:
            type: object
            properties:
              ready: {type: integer, minimum: 0}
"#;

fn widget(spec: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: default\nspec:\n{spec}")
}

fn setup() -> (kube_sim::SimServer, Kubectl) {
    let srv = server();
    let k = Kubectl::new(&srv);
    let m = k.write_manifest("crd.yaml", CRD);
    k.ok(&["apply", "--server-side", "-f", m.to_str().unwrap()]);
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
    ]);
    (srv, k)
}

/// Creates a widget expecting a 422 Invalid; returns kubectl's message (with the HTTP status
/// kubectl logged at -v=6).
fn rejected(k: &Kubectl, spec: &str) -> String {
    let m = k.write_manifest("w.yaml", &widget(spec));
    let err = k.fails(&["create", "-v=6", "-f", m.to_str().unwrap()]);
    assert!(err.contains("422 Unprocessable Entity"), "{err}");
    err
}

const BLOCKED: &str = "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

#[test]
fn good_objects_are_accepted_and_value_validations_refuse_bad_ones() {
    let (_srv, k) = setup();
    let good = widget(
        "  replicas: 3\n  minReplicas: 2\n  name: web\n  email: ops@example.com\n  mode: fast\n  tags: [t-a, t-b]\n  labels: {a: x}\n  ratio: 0.5\n  endpoint: {host: db.example.com}\n",
    );
    let m = k.write_manifest("good.yaml", &good);
    k.ok(&["create", "-f", m.to_str().unwrap()]);
    let stored = k.get_json(&["widget", "w"]);
    assert_eq!(stored["spec"]["endpoint"]["host"], "db.example.com");
    k.ok(&["delete", "widget", "w"]);

    let cases: &[(&str, &str)] = &[
        (
            "  replicas: 7\n",
            "The Widget \"w\" is invalid: spec.replicas: Invalid value: 7: spec.replicas in body should be less than or equal to 5",
        ),
        (
            "  replicas: 1\n  name: ABC\n",
            "The Widget \"w\" is invalid: spec.name: Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'",
        ),
        (
            "  replicas: 1\n  name: a\n",
            "spec.name: Invalid value: \"a\": spec.name in body should be at least 2 chars long",
        ),
        (
            "  replicas: 1\n  minReplicas: 1\n",
            "spec.minReplicas: Invalid value: 1: spec.minReplicas in body should be a multiple of 2",
        ),
        (
            "  replicas: 1\n  ratio: 1\n",
            "spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1",
        ),
        (
            "  replicas: 1\n  tags: [t-a, t-a]\n",
            "spec.tags[1]: Duplicate value: \"t-a\"",
        ),
        (
            "  replicas: 1\n  endpoint: {}\n",
            "* <nil>: Invalid value: \"\": \"spec.endpoint\" must validate one and only one schema (oneOf). Found none valid\n* spec.endpoint.host: Required value",
        ),
        (
            "  replicas: 1\n  endpoint: {host: a.example.com, ip: 10.0.0.1}\n",
            "\"spec.endpoint\" must validate one and only one schema (oneOf). Found 2 valid alternatives",
        ),
    ];
    for (spec, want) in cases {
        let err = rejected(&k, spec);
        assert!(err.contains(want), "{spec}\n{err}\nwanted: {want}");
    }

    // Errors that stop the CEL rules from running say so, as the real server does.
    let blocking: &[(&str, &str)] = &[
        (
            "  replicas: 1\n  name: abcdefghijkl\n",
            "spec.name: Too long: may not be more than 10 bytes",
        ),
        (
            "  replicas: 1\n  email: nope\n",
            "spec.email: Invalid value: \"nope\": spec.email in body must be of type email: \"nope\"",
        ),
        (
            "  replicas: 1\n  endpoint: {ip: 10.0.0.300}\n",
            "spec.endpoint.ip: Invalid value: \"10.0.0.300\": spec.endpoint.ip in body must be of type ipv4: \"10.0.0.300\"",
        ),
        (
            "  replicas: 1\n  mode: turbo\n",
            "spec.mode: Unsupported value: \"turbo\": supported values: \"fast\", \"slow\", \"legacy\"",
        ),
        (
            "  replicas: 1\n  tags: [t-a, t-b, t-c, t-d]\n",
            "spec.tags: Too many: 4: must have at most 3 items",
        ),
        (
            "  replicas: 1\n  labels: {a: x1, b: x2, c: x3}\n",
            "spec.labels: Too many: 3: must have at most 2 items",
        ),
        (
            "  replicas: one\n",
            "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"",
        ),
        ("  minReplicas: 2\n", "spec.replicas: Required value"),
    ];
    for (spec, want) in blocking {
        let err = rejected(&k, spec);
        let expected = format!("The Widget \"w\" is invalid: \n* {want}\n* {BLOCKED}");
        assert!(err.contains(&expected), "{spec}\n{err}\nwanted: {expected}");
    }
    let err = k.fails(&["get", "widget", "w"]);
    assert!(err.contains("NotFound"), "{err}");
}

#[test]
fn cel_rules_report_their_message_field_path_and_reason() {
    let (_srv, k) = setup();
    let cases: &[(&str, &str)] = &[
        (
            "  replicas: 2\n  minReplicas: 4\n",
            "The Widget \"w\" is invalid: spec: Invalid value: replicas must be at least minReplicas",
        ),
        (
            "  replicas: 2\n  mode: legacy\n",
            "The Widget \"w\" is invalid: spec: Invalid value: legacy mode runs 2 replicas, want 1",
        ),
        (
            "  replicas: 1\n  tags: [x]\n",
            "The Widget \"w\" is invalid: spec.tags: Forbidden: failed rule: !has(self.tags) || self.tags.all(t, t.startsWith('t-'))",
        ),
    ];
    for (spec, want) in cases {
        let err = rejected(&k, spec);
        assert!(err.contains(want), "{spec}\n{err}\nwanted: {want}");
    }
    let m = k.write_manifest("ok.yaml", &widget("  replicas: 1\n  mode: legacy\n"));
    k.ok(&["create", "-f", m.to_str().unwrap()]);
}

#[test]
fn transition_rules_compare_with_the_stored_object() {
    let (_srv, k) = setup();
    let apply = |replicas: u32| {
        let m = k.write_manifest("w.yaml", &widget(&format!("  replicas: {replicas}\n")));
        k.run(&["apply", "--server-side", "-v=6", "-f", m.to_str().unwrap()])
    };
    // On create there is no oldSelf, so the transition rule is not evaluated.
    assert!(apply(3).status.success());
    assert!(apply(4).status.success());
    let out = apply(2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("422 Unprocessable Entity"), "{err}");
    assert!(
        err.contains("The Widget \"w\" is invalid: spec.replicas: Invalid value: 2: replicas may not decrease"),
        "{err}"
    );
    let stored = k.get_json(&["widget", "w"]);
    assert_eq!(stored["spec"]["replicas"], 4);
    assert!(apply(5).status.success());
}

#[test]
fn unchanged_invalid_values_are_ratcheted_on_update() {
    let (_srv, k) = setup();
    let m = k.write_manifest("w.yaml", &widget("  replicas: 1\n"));
    k.ok(&["create", "-f", m.to_str().unwrap()]);
    // Tighten the schema so the stored object no longer validates.
    let stricter = CRD.replace("maximum: 5\n", "maximum: 0\n");
    let c = k.write_manifest("crd2.yaml", &stricter);
    k.ok(&["apply", "--server-side", "-f", c.to_str().unwrap()]);
    // Changing another field is allowed: the invalid replicas did not change.
    k.ok(&["label", "widget", "w", "team=a"]);
    let m = k.write_manifest("w2.yaml", &widget("  replicas: 1\n  name: web\n"));
    k.ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        m.to_str().unwrap(),
    ]);
    // Changing the invalid field itself is checked.
    let m = k.write_manifest("w3.yaml", &widget("  replicas: 2\n  name: web\n"));
    let err = k.fails(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        m.to_str().unwrap(),
    ]);
    assert!(
        err.contains("spec.replicas: Invalid value: 2: spec.replicas in body should be less than or equal to 0"),
        "{err}"
    );
}

#[test]
fn status_updates_are_validated_against_the_status_schema() {
    let (_srv, k) = setup();
    let m = k.write_manifest("w.yaml", &widget("  replicas: 1\n"));
    k.ok(&["create", "-f", m.to_str().unwrap()]);
    let patch = |ready: i32| {
        k.run(&[
            "patch",
            "widget",
            "w",
            "--subresource=status",
            "--type=merge",
            "-p",
            &format!("{{\"status\":{{\"ready\":{ready}}}}}"),
        ])
    };
    assert!(patch(2).status.success());
    let out = patch(-1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("The Widget \"w\" is invalid: status.ready: Invalid value: -1: ready in body should be greater than or equal to 0"),
        "{err}"
    );
    assert_eq!(k.get_json(&["widget", "w"])["status"]["ready"], 2);
}

fn crd_with(schema_spec: &str) -> String {
    CRD.replace(
        "          spec:\n            type: object\n            required: [replicas]\n",
        &format!("{schema_spec}          spec:\n            type: object\n            required: [replicas]\n"),
    )
}

#[test]
fn crds_whose_rules_or_schemas_the_server_refuses_get_422() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let p = "spec.versions[0].schema.openAPIV3Schema";
    let cases: Vec<(String, String)> = vec![
        (
            CRD.replace("{rule: \"self >= oldSelf\"", "{rule: \"self >=\""),
            format!("{p}.properties[spec].properties[replicas].x-kubernetes-validations[0].rule: Invalid value: {{\"Rule\":\"self \\u003e=\",\"Message\":\"replicas may not decrease\",\"MessageExpression\":\"\",\"Reason\":null,\"FieldPath\":\"\",\"OptionalOldSelf\":null}}: compilation failed: "),
        ),
        (
            CRD.replace("pattern: '^[a-z]+$'", "pattern: '^[a-z+$'"),
            format!("{p}.properties[spec].properties[name].pattern: Invalid value: \"^[a-z+$\": must be a valid regular expression, but isn't: error parsing regexp: "),
        ),
        (
            CRD.replace("fieldPath: .tags", "fieldPath: .nothing"),
            format!("{p}.properties[spec].x-kubernetes-validations[2].fieldPath: Invalid value: \".nothing\": must be a valid path"),
        ),
        (
            CRD.replace("x-kubernetes-list-type: set", "uniqueItems: true"),
            format!("{p}.properties[spec].properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic"),
        ),
        (
            CRD.replace("                maxProperties: 2\n", "                maxProperties: 2\n                properties: {a: {type: string}}\n"),
            format!("{p}.properties[spec].properties[labels].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"),
        ),
        (
            CRD.replace("ratio: {type: number,", "ratio: {$ref: '#/definitions/x', type: number,"),
            format!("{p}.properties[spec].properties[ratio].$ref: Forbidden: $ref is not supported"),
        ),
        (
            crd_with("          metadata:\n            type: object\n            properties:\n              labels: {type: object}\n"),
            format!("{p}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified"),
        ),
        (
            CRD.replace("maximum: 5\n", "maximum: 5\n                default: many\n"),
            format!("{p}.properties[spec].properties[replicas].default: Invalid value: \"string\":  in body must be of type integer: \"string\""),
        ),
        (
            CRD.replace("maximum: 5\n", "maximum: 5\n                default: 9\n"),
            format!("{p}.properties[spec].properties[replicas].default: Invalid value: 9:  in body should be less than or equal to 5"),
        ),
    ];
    for (crd, want) in cases {
        let m = k.write_manifest("crd.yaml", &crd);
        let err = k.fails(&["create", "-v=6", "-f", m.to_str().unwrap()]);
        assert!(err.contains("422 Unprocessable Entity"), "{err}");
        assert!(
            err.contains("The CustomResourceDefinition \"widgets.example.com\" is invalid"),
            "{err}"
        );
        assert!(err.contains(&want), "{err}\nwanted: {want}");
    }
    // A name restriction on metadata is allowed, and checked.
    let crd = crd_with("          metadata:\n            type: object\n            properties:\n              name: {type: string, maxLength: 3}\n");
    let m = k.write_manifest("crd.yaml", &crd);
    k.ok(&["create", "-f", m.to_str().unwrap()]);
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
    ]);
    let w = k.write_manifest(
        "w.yaml",
        &widget("  replicas: 1\n").replace("name: w\n", "name: wide\n"),
    );
    let err = k.fails(&["create", "-f", w.to_str().unwrap()]);
    assert!(
        err.contains(&format!("The Widget \"wide\" is invalid: \n* metadata.name: Too long: may not be more than 3 bytes\n* {BLOCKED}")),
        "{err}"
    );
}
