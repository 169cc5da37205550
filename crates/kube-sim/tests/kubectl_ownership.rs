//! Field ownership through a real kubectl: scale and patch record their managers, a re-apply
//! by another manager conflicts, and force moves ownership.

mod common;

use common::{managers, server, Kubectl};

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: prod
"#;

#[test]
fn scale_patch_conflict_and_force() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let file = k.write_manifest("deploy.yaml", DEPLOYMENT);
    let file = file.to_str().unwrap();
    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=platform",
        "-f",
        file,
    ]);
    let before = k.get_json(&["deployment", "web", "-n", "default"]);
    assert_eq!(before["metadata"]["generation"], 1);

    k.ok(&["scale", "deployment/web", "-n", "default", "--replicas=4"]);
    k.ok(&[
        "patch",
        "deployment",
        "web",
        "-n",
        "default",
        "-p",
        r#"{"metadata":{"labels":{"team":"blue"}}}"#,
    ]);
    let live = k.get_json(&[
        "deployment",
        "web",
        "-n",
        "default",
        "--show-managed-fields",
    ]);
    assert_eq!(live["spec"]["replicas"], 4);
    assert_eq!(live["metadata"]["labels"]["team"], "blue");
    assert_eq!(
        live["metadata"]["generation"], 2,
        "scaling changes spec, labels do not"
    );
    // A Deployment's annotations are copied to its ReplicaSets: changing
    // them bumps the generation, as the real Deployment strategy does.
    k.ok(&[
        "annotate",
        "deployment/web",
        "-n",
        "default",
        "owner=team-a",
    ]);
    let annotated = k.get_json(&["deployment", "web", "-n", "default"]);
    assert_eq!(annotated["metadata"]["generation"], 3);
    k.ok(&["label", "deployment/web", "-n", "default", "tier=front"]);
    let labelled = k.get_json(&["deployment", "web", "-n", "default"]);
    assert_eq!(labelled["metadata"]["generation"], 3, "labels do not");
    let m = managers(&live);
    assert!(m.contains(&"platform/Apply/".to_string()), "{m:?}");
    assert!(m.contains(&"kubectl/Update/scale".to_string()), "{m:?}");
    assert!(m.contains(&"kubectl-patch/Update/".to_string()), "{m:?}");
    let scale_entry = live["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subresource"] == "scale")
        .unwrap();
    assert_eq!(
        scale_entry["fieldsV1"],
        serde_json::json!({"f:spec": {"f:replicas": {}}})
    );

    // The original applier re-applies replicas: 2 and meets the scaler's ownership.
    let err = k.fails(&[
        "apply",
        "--server-side",
        "--field-manager=platform",
        "-f",
        file,
    ]);
    assert!(
        err.contains("Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"),
        "{err}"
    );
    let unchanged = k.get_json(&["deployment", "web", "-n", "default"]);
    assert_eq!(unchanged["spec"]["replicas"], 4);
    assert_eq!(
        unchanged["metadata"]["generation"],
        labelled["metadata"]["generation"]
    );

    // Another manager applying a different image conflicts with the first applier.
    let other = DEPLOYMENT
        .replace("nginx:1.27", "nginx:1.28")
        .replace("replicas: 2", "replicas: 4");
    let other = k.write_manifest("other.yaml", &other);
    let other = other.to_str().unwrap();
    let err = k.fails(&[
        "apply",
        "--server-side",
        "--field-manager=intruder",
        "-f",
        other,
    ]);
    assert!(err.contains("Apply failed with 1 conflict: conflict with \"platform\": .spec.template.spec.containers[name=\"web\"].image"), "{err}");

    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=intruder",
        "--force-conflicts",
        "-f",
        other,
    ]);
    let after = k.get_json(&[
        "deployment",
        "web",
        "-n",
        "default",
        "--show-managed-fields",
    ]);
    assert_eq!(
        after["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.28"
    );
    let entries = after["metadata"]["managedFields"].as_array().unwrap();
    let owns_image = |mgr: &str| {
        entries.iter().filter(|e| e["manager"] == mgr).any(|e| {
            e["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]
                .get("f:image")
                .is_some()
        })
    };
    assert!(owns_image("intruder"));
    assert!(
        !owns_image("platform"),
        "force must take the image from platform"
    );

    // Forcing replicas moves it away from the scaler too.
    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=platform",
        "--force-conflicts",
        "-f",
        file,
    ]);
    let last = k.get_json(&[
        "deployment",
        "web",
        "-n",
        "default",
        "--show-managed-fields",
    ]);
    assert_eq!(last["spec"]["replicas"], 2);
    assert!(!managers(&last).contains(&"kubectl/Update/scale".to_string()));
}

#[test]
fn removed_fields_disappear_only_when_unshared() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let full = k.write_manifest(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  a: \"1\"\n  b: \"2\"\n  c: \"3\"\n",
    );
    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=one",
        "-f",
        full.to_str().unwrap(),
    ]);
    let shared = k.write_manifest(
        "shared.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  b: \"2\"\n",
    );
    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=two",
        "-f",
        shared.to_str().unwrap(),
    ]);
    let rv =
        k.get_json(&["cm", "settings", "-n", "default"])["metadata"]["resourceVersion"].clone();
    // A no-op re-apply changes nothing.
    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=two",
        "-f",
        shared.to_str().unwrap(),
    ]);
    assert_eq!(
        k.get_json(&["cm", "settings", "-n", "default"])["metadata"]["resourceVersion"],
        rv
    );
    let only_c = k.write_manifest(
        "c.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  c: \"3\"\n",
    );
    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=one",
        "-f",
        only_c.to_str().unwrap(),
    ]);
    let live = k.get_json(&["cm", "settings", "-n", "default"]);
    assert_eq!(live["data"], serde_json::json!({"b": "2", "c": "3"}));
}

#[test]
fn edit_uses_strategic_merge_and_records_its_manager() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let file = k.write_manifest("deploy.yaml", DEPLOYMENT);
    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=platform",
        "-f",
        file.to_str().unwrap(),
    ]);
    // The editor rewrites the env value in place; kubectl sends a strategic merge patch.
    let out = k.run_env(
        &["edit", "deployment", "web", "-n", "default"],
        &[("KUBE_EDITOR", "sed -i s/value:\\ prod/value:\\ staging/")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live = k.get_json(&[
        "deployment",
        "web",
        "-n",
        "default",
        "--show-managed-fields",
    ]);
    let container = &live["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["env"],
        serde_json::json!([{"name": "MODE", "value": "staging"}])
    );
    assert_eq!(container["ports"][0]["containerPort"], 80);
    assert!(
        managers(&live).contains(&"kubectl-edit/Update/".to_string()),
        "{:?}",
        managers(&live)
    );
    assert_eq!(live["metadata"]["generation"], 2);
    // kubectl diff against the original manifest now shows the edit.
    let out = k.run(&[
        "diff",
        "--server-side",
        "--field-manager=platform",
        "--force-conflicts",
        "-f",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn apply_status_codes_and_errors() {
    let srv = server();
    let token = Some(srv.token());
    let path = "/api/v1/namespaces/default/configmaps/raw?fieldManager=raw";
    let body =
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"raw"},"data":{"a":"1"}}"#;
    let apply = Some(("application/apply-patch+yaml", body));
    let created = common::raw_request_with_body(&srv, "PATCH", path, token, apply)
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let again = common::raw_request_with_body(&srv, "PATCH", path, token, apply)
        .await
        .unwrap();
    assert_eq!(again.status, 200);
    let no_manager = common::raw_request_with_body(
        &srv,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/raw",
        token,
        apply,
    )
    .await
    .unwrap();
    assert_eq!(no_manager.status, 422);
    assert!(
        no_manager
            .body
            .contains("fieldManager: Required value: is required for apply patch"),
        "{}",
        no_manager.body
    );
    let missing = common::raw_request(
        &srv,
        "GET",
        "/api/v1/namespaces/default/configmaps/nope",
        token,
    )
    .await
    .unwrap();
    assert_eq!(missing.status, 404);
    assert!(
        missing
            .body
            .contains(r#""message":"configmaps \"nope\" not found""#),
        "{}",
        missing.body
    );
    let bad_ns = common::raw_request_with_body(
        &srv,
        "POST",
        "/api/v1/namespaces/ghost/configmaps",
        token,
        Some(("application/json", body)),
    )
    .await
    .unwrap();
    assert_eq!(bad_ns.status, 404);
    assert!(
        bad_ns.body.contains(r#"namespaces \"ghost\" not found"#),
        "{}",
        bad_ns.body
    );
    let invalid = common::raw_request_with_body(
        &srv,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        token,
        Some((
            "application/json",
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}"#,
        )),
    )
    .await
    .unwrap();
    assert_eq!(invalid.status, 422);
    assert!(
        invalid.body.contains(r#""reason":"Invalid""#),
        "{}",
        invalid.body
    );
}

#[test]
fn non_string_configmap_values_are_rejected_like_the_api_server() {
    let srv = server();
    let k = Kubectl::new(&srv);
    // YAML 1.1 (as kubectl reads it) turns `on` into a boolean, which ConfigMap data refuses.
    let m = k.write_manifest("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: default\ndata:\n  enabled: on\n");
    let err = k.fails(&["apply", "--server-side", "-f", m.to_str().unwrap()]);
    // Server-side apply reports structured-merge-diff's error, not the decoder's.
    assert_eq!(
        err.trim(),
        "Error from server: failed to create typed patch object (default/flags; /v1, Kind=ConfigMap): .data.enabled: expected string, got &value.valueUnstructured{Value:true}"
    );
    let err = k.fails(&["create", "-f", m.to_str().unwrap()]);
    assert!(
        err.contains("cannot unmarshal bool into Go struct field ConfigMap.data of type string"),
        "{err}"
    );
}
