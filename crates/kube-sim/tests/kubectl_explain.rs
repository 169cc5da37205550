//! `kubectl explain` against the OpenAPI v3 documents of built-in kinds: the real field
//! descriptions and types, nested through `$ref`s, and `kubectl apply` still working with them.

mod common;

use common::*;

/// The output with its wrapped lines joined, so a description can be matched whole.
fn unwrapped(out: &str) -> String {
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `<type>` kubectl prints for `field` in a field list.
fn field_type<'a>(out: &'a str, field: &str) -> Option<&'a str> {
    out.lines().find_map(|l| {
        let (name, rest) = l.trim_start().split_once('\t')?;
        (name == field).then(|| rest.trim())
    })
}

#[test]
fn explain_shows_the_real_description_and_type_of_a_field() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let out = k.ok(&["explain", "deployment.spec.replicas"]);
    assert!(out.contains("GROUP:      apps"), "{out}");
    assert!(out.contains("KIND:       Deployment"), "{out}");
    assert!(out.contains("FIELD: replicas <integer>"), "{out}");
    assert!(
        unwrapped(&out).contains(
            "Number of desired pods. This is a pointer to distinguish between explicit zero \
             and not specified. Defaults to 1."
        ),
        "{out}"
    );

    let out = k.ok(&["explain", "deployment.spec"]);
    assert_eq!(field_type(&out, "replicas"), Some("<integer>"), "{out}");
    assert_eq!(
        field_type(&out, "selector"),
        Some("<LabelSelector> -required-")
    );
    assert_eq!(
        field_type(&out, "template"),
        Some("<PodTemplateSpec> -required-")
    );
    assert_eq!(field_type(&out, "strategy"), Some("<DeploymentStrategy>"));
    assert!(
        unwrapped(&out).contains("Label selector for pods. Existing ReplicaSets whose pods"),
        "{out}"
    );

    let out = k.ok(&["explain", "deployment.spec.strategy.rollingUpdate.maxSurge"]);
    assert!(out.contains("FIELD: maxSurge <IntOrString>"), "{out}");
}

#[test]
fn explain_lists_the_fields_of_a_nested_list() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let out = k.ok(&["explain", "pods.spec.containers"]);
    assert!(out.contains("KIND:       Pod"), "{out}");
    assert!(out.contains("FIELD: containers <[]Container>"), "{out}");
    assert_eq!(
        field_type(&out, "name"),
        Some("<string> -required-"),
        "{out}"
    );
    assert_eq!(field_type(&out, "image"), Some("<string>"));
    assert_eq!(field_type(&out, "ports"), Some("<[]ContainerPort>"));
    assert_eq!(field_type(&out, "env"), Some("<[]EnvVar>"));
    assert_eq!(
        field_type(&out, "resources"),
        Some("<ResourceRequirements>")
    );
    assert_eq!(field_type(&out, "command"), Some("<[]string>"));
    assert!(
        unwrapped(&out).contains("Container image name."),
        "field descriptions are listed: {out}"
    );

    let out = k.ok(&["explain", "pods.spec.containers.resources.limits"]);
    assert!(out.contains("FIELD: limits <map[string]Quantity>"), "{out}");
}

#[test]
fn explain_works_for_configmaps_and_autoscaling_v2() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let out = k.ok(&["explain", "configmap"]);
    assert!(out.contains("KIND:       ConfigMap"), "{out}");
    assert!(out.contains("VERSION:    v1"), "{out}");
    assert!(!out.contains("GROUP:"), "the core group has no name: {out}");
    assert!(
        unwrapped(&out).contains("ConfigMap holds configuration data for pods to consume."),
        "{out}"
    );
    assert_eq!(
        field_type(&out, "data"),
        Some("<map[string]string>"),
        "{out}"
    );
    assert_eq!(field_type(&out, "immutable"), Some("<boolean>"));
    assert_eq!(field_type(&out, "metadata"), Some("<ObjectMeta>"));

    let out = k.ok(&[
        "explain",
        "horizontalpodautoscalers.spec.behavior.scaleDown.stabilizationWindowSeconds",
        "--api-version=autoscaling/v2",
    ]);
    assert!(out.contains("GROUP:      autoscaling"), "{out}");
    assert!(out.contains("VERSION:    v2"), "{out}");
    assert!(
        out.contains("FIELD: stabilizationWindowSeconds <integer>"),
        "{out}"
    );
    let out = k.ok(&[
        "explain",
        "hpa.spec.metrics",
        "--api-version=autoscaling/v2",
    ]);
    assert_eq!(
        field_type(&out, "type"),
        Some("<string> -required-"),
        "{out}"
    );
    assert_eq!(field_type(&out, "resource"), Some("<ResourceMetricSource>"));

    let err = k.fails(&["explain", "configmap.nosuchfield"]);
    assert!(
        err.contains(r#"field "nosuchfield" does not exist"#),
        "{err}"
    );
}

#[test]
fn explain_follows_recursive_definitions_of_crds() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let out = k.ok(&[
        "explain",
        "customresourcedefinitions.spec.versions.schema.openAPIV3Schema.properties",
    ]);
    assert!(out.contains("GROUP:      apiextensions.k8s.io"), "{out}");
    assert!(
        out.contains("FIELD: properties <map[string]JSONSchemaProps>"),
        "{out}"
    );
    assert_eq!(
        field_type(&out, "x-kubernetes-list-type"),
        Some("<string>"),
        "{out}"
    );
}

#[test]
fn explain_recursive_prints_the_whole_tree_of_a_small_kind() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let out = k.ok(&["explain", "lease", "--recursive"]);
    assert!(out.contains("KIND:       Lease"), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    for expected in [
        "  spec\t<LeaseSpec>",
        "    holderIdentity\t<string>",
        "    leaseDurationSeconds\t<integer>",
        "  metadata\t<ObjectMeta>",
        "    name\t<string>",
        "    managedFields\t<[]ManagedFieldsEntry>",
        "      manager\t<string>",
    ] {
        assert!(lines.contains(&expected), "missing {expected:?} in {out}");
    }
}

#[test]
fn client_side_apply_with_default_validation_still_succeeds() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let manifest = |image: &str, replicas: u32| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n\
             spec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: web}}\n  template:\n\
             \x20   metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n\
             \x20     - name: web\n        image: {image}\n        ports:\n        - containerPort: 80\n"
        )
    };
    let path = k.write_manifest("web.yaml", &manifest("nginx:1.27", 2));
    let out = k.ok(&["apply", "-f", path.to_str().unwrap()]);
    assert!(out.contains("deployment.apps/web created"), "{out}");
    let path = k.write_manifest("web.yaml", &manifest("nginx:1.28", 3));
    let out = k.ok(&["apply", "-f", path.to_str().unwrap()]);
    assert!(out.contains("deployment.apps/web configured"), "{out}");

    let d = k.get_json(&["deployment", "web", "-n", "default"]);
    assert_eq!(d["spec"]["replicas"], 3);
    let containers = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 1, "the container is merged by name: {d}");
    assert_eq!(containers[0]["image"], "nginx:1.28");
    assert_eq!(containers[0]["ports"][0]["containerPort"], 80);
}
