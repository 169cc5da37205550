//! Validation and immutable fields, checked with a real kubectl and raw requests: what a real
//! API server rejects is rejected with the same code, reason, message and causes.

mod common;

use common::*;
use serde_json::Value;

const DEPLOYMENT_WITHOUT_SELECTOR: &str = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}"#;

#[tokio::test]
async fn invalid_objects_get_422_with_the_real_message_and_causes() {
    let srv = server();
    let token = Some(srv.token());
    let post = |path: &'static str, body: &'static str| {
        let srv = &srv;
        async move {
            common::raw_request_with_body(
                srv,
                "POST",
                path,
                token,
                Some(("application/json", body)),
            )
            .await
            .unwrap()
        }
    };
    let r = post(
        "/apis/apps/v1/namespaces/default/deployments",
        DEPLOYMENT_WITHOUT_SELECTOR,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let status: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(status["code"], 422);
    assert_eq!(
        status["message"],
        "Deployment.apps \"web\" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`]"
    );
    assert_eq!(status["details"]["kind"], "Deployment");
    assert_eq!(status["details"]["group"], "apps");
    assert_eq!(
        status["details"]["causes"][0],
        serde_json::json!({"reason": "FieldValueRequired", "message": "Required value", "field": "spec.selector"})
    );
    assert_eq!(
        status["details"]["causes"][1]["reason"],
        "FieldValueInvalid"
    );

    // ConfigMap keys, a key in both maps, and base64 that does not decode.
    let r = post(
        "/api/v1/namespaces/default/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"bad key":"x","both":"y"},"binaryData":{"both":"eQ=="}}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let status: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        status["message"],
        "ConfigMap \"c\" is invalid: [data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+'), data[both]: Invalid value: \"both\": duplicate of key present in binaryData]"
    );
    let r = post(
        "/api/v1/namespaces/default/secrets",
        r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"password":"not base64!"}}"#,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("Secret in version \\\"v1\\\" cannot be handled as a Secret: illegal base64 data at input byte 3"),
        "{}",
        r.body
    );

    // Labels: key and value syntax.
    let r = post(
        "/api/v1/namespaces/default/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"l","labels":{"bad key":"ok","app":"-bad"}}}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let status: Value = serde_json::from_str(&r.body).unwrap();
    let causes: Vec<&str> = status["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"].as_str().unwrap())
        .collect();
    assert_eq!(causes.len(), 2, "{causes:?}");
    assert!(
        causes[0].starts_with(
            "Invalid value: \"bad key\": name part must consist of alphanumeric characters"
        ),
        "{causes:?}"
    );
    assert!(causes[1].starts_with("Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters"), "{causes:?}");
}

const BAD_PODS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: twins
  namespace: default
spec:
  selector:
    matchLabels: {app: twins}
  template:
    metadata:
      labels: {app: twins}
    spec:
      restartPolicy: Never
      containers:
      - name: app
        image: app:1
        imagePullPolicy: Sometimes
      - name: app
        image: app:2
        volumeMounts:
        - {name: missing, mountPath: /data}
      - image: app:3
"#;

#[test]
fn kubectl_shows_the_real_causes_for_pod_templates_and_services() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let f = k.write_manifest("bad.yaml", BAD_PODS);
    let err = k.fails(&["apply", "--server-side", "-f", f.to_str().unwrap()]);
    for cause in [
        "spec.template.spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
        "spec.template.spec.containers[1].name: Duplicate value: \"app\"",
        "spec.template.spec.containers[1].volumeMounts[0].name: Not found: \"missing\"",
        "spec.template.spec.containers[2].name: Required value",
        "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
    ] {
        assert!(err.contains(cause), "missing {cause:?} in:\n{err}");
    }
    assert!(err.contains("The Deployment \"twins\" is invalid"), "{err}");
    assert!(
        k.run(&["get", "deployment", "twins"]).status.code() != Some(0),
        "nothing was stored"
    );

    let svc = k.write_manifest(
        "svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: default\nspec:\n  type: Cluster\n  ports:\n  - port: 80\n  - port: 70000\n    protocol: ICMP\n",
    );
    let err = k.fails(&["apply", "--server-side", "-f", svc.to_str().unwrap()]);
    for cause in [
        "spec.type: Unsupported value: \"Cluster\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
        "spec.ports[0].name: Required value",
        "spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
        "spec.ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
    ] {
        assert!(err.contains(cause), "missing {cause:?} in:\n{err}");
    }

    // A Job's pods may not restart forever.
    let job = k.write_manifest(
        "job.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\n  namespace: default\nspec:\n  template:\n    spec:\n      containers:\n      - name: once\n        image: once:1\n",
    );
    let err = k.fails(&["apply", "--server-side", "-f", job.to_str().unwrap()]);
    assert!(
        err.contains("spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""),
        "{err}"
    );
}

const IMMUTABLE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      containers:
      - {name: web, image: "web:1"}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: frozen
  namespace: default
immutable: true
data: {a: "1"}
---
apiVersion: v1
kind: Secret
metadata:
  name: token
  namespace: default
stringData: {a: "1"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: readers
  namespace: default
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- {kind: ServiceAccount, name: default, namespace: default}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: default
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - {name: db, image: "db:1"}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector: {app: web}
  ports:
  - port: 80
"#;

#[test]
fn immutable_fields_are_refused_with_the_real_messages() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let f = k.write_manifest("objects.yaml", IMMUTABLE);
    k.ok(&["apply", "--server-side", "-f", f.to_str().unwrap()]);
    let ip = k.get_json(&["service", "web"])["spec"]["clusterIP"]
        .as_str()
        .unwrap()
        .to_string();

    let change = |from: &str, to: &str| {
        let text = IMMUTABLE.replace(from, to);
        assert_ne!(text, IMMUTABLE, "{from} not found");
        let f = k.write_manifest("changed.yaml", &text);
        k.fails(&["apply", "--server-side", "-f", f.to_str().unwrap()])
    };
    let err = change(
        "matchLabels: {app: web}",
        "matchLabels: {app: web, tier: front}",
    );
    assert!(
        err.contains("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"front\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"),
        "{err}"
    );
    let err = change("data: {a: \"1\"}", "data: {a: \"2\"}");
    assert!(
        err.contains("ConfigMap \"frozen\" is invalid: data: Forbidden: field is immutable when `immutable` is set"),
        "{err}"
    );
    let err = change(
        "stringData: {a: \"1\"}",
        "type: kubernetes.io/basic-auth\nstringData: {a: \"1\"}",
    );
    assert!(
        err.contains("Secret \"token\" is invalid: type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable"),
        "{err}"
    );
    let err = change("name: reader}", "name: writer}");
    assert!(
        err.contains("roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"writer\"}: cannot change roleRef"),
        "{err}"
    );
    let err = change("serviceName: db", "serviceName: db-headless");
    assert!(
        err.contains("The StatefulSet \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"),
        "{err}"
    );
    let err = change(
        "  selector: {app: web}\n  ports:",
        "  selector: {app: web}\n  clusterIP: 10.43.255.254\n  ports:",
    );
    assert!(
        err.contains("Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.43.255.254\"}: may not change once set"),
        "{err}"
    );
    // Nothing above was stored: the originals are unchanged and re-applying them is a no-op.
    assert_eq!(k.get_json(&["service", "web"])["spec"]["clusterIP"], ip);
    assert_eq!(k.get_json(&["configmap", "frozen"])["data"]["a"], "1");
    let out = k.run(&["diff", "--server-side", "-f", f.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

const TYPO: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: typo\n  namespace: default\nspec:\n  replica: 3\n  selector:\n    matchLabels: {app: typo}\n  template:\n    metadata:\n      labels: {app: typo}\n    spec:\n      containers:\n      - name: typo\n        image: typo:1\n        imagePolicy: Always\n";

#[test]
fn unknown_fields_of_built_in_kinds_follow_field_validation() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let f = k.write_manifest("typo.yaml", TYPO);
    let f = f.to_str().unwrap();

    // Strict (kubectl's default): server-side apply and create refuse, naming every field.
    let err = k.fails(&["apply", "--server-side", "-f", f]);
    assert!(
        err.contains(".spec.replica: field not declared in schema")
            && err.contains(
                ".spec.template.spec.containers[0].imagePolicy: field not declared in schema"
            ),
        "{err}"
    );
    let err = k.fails(&["create", "-f", f]);
    assert!(
        err.contains("strict decoding error: unknown field \"spec.replica\", unknown field \"spec.template.spec.containers[0].imagePolicy\""),
        "{err}"
    );

    // Warn: stored without the unknown fields, with a warning per field.
    let out = k.run(&["create", "--validate=warn", "-f", f]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Warning: unknown field \"spec.replica\""),
        "{stderr}"
    );
    let live = k.get_json(&["deployment", "typo"]);
    assert!(live["spec"].get("replica").is_none(), "{live}");
    assert_eq!(live["spec"]["replicas"], 1);
    assert!(live["spec"]["template"]["spec"]["containers"][0]
        .get("imagePolicy")
        .is_none());

    // Ignore: dropped silently.
    k.ok(&["delete", "deployment", "typo"]);
    let out = k.run(&["apply", "--server-side", "--validate=false", "-f", f]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), "");
    let live = k.get_json(&["deployment", "typo", "--show-managed-fields"]);
    assert!(live["spec"].get("replica").is_none(), "{live}");
    let owned = live["metadata"]["managedFields"].to_string();
    assert!(!owned.contains("f:replica\""), "never owned: {owned}");
}

#[test]
fn custom_resources_are_validated_against_their_crd_schema() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let crd = fixtures().join("crd-cnpg-clusters.yaml");
    k.ok(&["apply", "--server-side", "-f", crd.to_str().unwrap()]);
    let bad = k.write_manifest(
        "cluster.yaml",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n  namespace: default\nspec:\n  instances: 0\n  primaryUpdateStrategy: sometimes\n  logLevel: 3\n  storage:\n    size: 1Gi\n",
    );
    let err = k.fails(&["apply", "--server-side", "-f", bad.to_str().unwrap()]);
    for cause in [
        "The Cluster \"db\" is invalid",
        "spec.instances: Invalid value: 0: spec.instances in body should be greater than or equal to 1",
        "spec.primaryUpdateStrategy: Unsupported value: \"sometimes\": supported values: \"unsupervised\", \"supervised\"",
        "spec.logLevel: Invalid value: \"integer\": spec.logLevel in body must be of type string: \"integer\"",
    ] {
        assert!(err.contains(cause), "missing {cause:?} in:\n{err}");
    }
    // The same object within the schema is accepted, its defaults filled in.
    let good = k.write_manifest(
        "good.yaml",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n  namespace: default\nspec:\n  instances: 2\n  storage:\n    size: 1Gi\n",
    );
    k.ok(&["apply", "--server-side", "-f", good.to_str().unwrap()]);
    let live = k.get_json(&["clusters.postgresql.cnpg.io", "db"]);
    assert_eq!(live["spec"]["primaryUpdateStrategy"], "unsupervised");
}

#[test]
fn an_object_being_deleted_takes_no_new_finalizers() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let f = k.write_manifest(
        "held.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: default\n  finalizers: [example.com/keep]\n",
    );
    k.ok(&["apply", "--server-side", "-f", f.to_str().unwrap()]);
    k.ok(&["delete", "configmap", "held", "--wait=false"]);
    let err = k.fails(&[
        "patch",
        "configmap",
        "held",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":["example.com/keep","example.com/more"]}}"#,
    ]);
    assert!(
        err.contains("metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/more\"}"),
        "{err}"
    );
    // Removing the last finalizer lets it go.
    k.ok(&[
        "patch",
        "configmap",
        "held",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    assert!(!k.run(&["get", "configmap", "held"]).status.success());
}
