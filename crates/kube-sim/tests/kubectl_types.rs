//! Wrong JSON types in built-in kinds' bodies, driven by a real kubectl and raw requests: each
//! way of writing (create, replace, client-side apply, server-side apply, merge and strategic
//! patches) answers with the code, reason and message of the real server's decoder, and right
//! types (IntOrString and quantities as numbers too) are stored.

mod common;

use common::*;
use serde_json::Value;

const REPLICAS_MSG: &str = "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32";

fn deployment(replicas: &str, ports: &str) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  strategy:
    rollingUpdate: {{maxSurge: 1, maxUnavailable: "25%"}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: {ports}
        resources:
          limits: {{cpu: 1, memory: 128Mi}}
          requests: {{cpu: 0.5, memory: 64Mi}}
"#
    )
}

fn service(port: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {{app: web}}
  ports:
  - port: {port}
    targetPort: 8080
"#
    )
}

#[test]
fn kubectl_writes_with_wrong_types_fail_like_the_real_decoder() {
    let srv = server();
    let k = Kubectl::new(&srv);

    // create -f: 400 BadRequest with encoding/json's message, nothing stored.
    let bad = k.write_manifest("bad.yaml", &deployment("three", "[{containerPort: 80}]"));
    let bad = bad.to_str().unwrap();
    let err = k.fails(&["create", "-f", bad]);
    assert_eq!(
        err.trim(),
        format!("Error from server (BadRequest): error when creating \"{bad}\": {REPLICAS_MSG}")
    );
    let err = k.fails(&["get", "deployment", "web"]);
    assert!(err.contains("NotFound"), "{err}");

    // A list given as a string names the innermost struct and the slice type.
    let ports = k.write_manifest("ports.yaml", &deployment("2", "\"80\""));
    let ports = ports.to_str().unwrap();
    let err = k.fails(&["apply", "-f", ports]);
    assert!(
        err.trim().ends_with("Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field Container.spec.template.spec.containers.ports of type []v1.ContainerPort"),
        "{err}"
    );
    assert!(err.contains("(BadRequest)"), "{err}");

    // Right types, with IntOrString and quantities as numbers, are stored as given.
    let good = k.write_manifest("good.yaml", &deployment("2", "[{containerPort: 80}]"));
    let good = good.to_str().unwrap();
    k.ok(&["apply", "-f", good]);
    let d = k.get_json(&["deployment", "web"]);
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], 1);
    let limits = &d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"];
    assert_eq!(limits["memory"], "128Mi");

    // replace with a wrong type: the same 400, and the stored object is unchanged.
    let err = k.fails(&["replace", "-f", bad]);
    assert!(
        err.trim().ends_with(REPLICAS_MSG) && err.contains("(BadRequest)"),
        "{err}"
    );

    // A merge patch: 422 on `patch`, with the patched object and the decoder's message.
    let err = k.fails(&[
        "patch",
        "deployment",
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":"three"}}"#,
    ]);
    assert!(
        err.contains("is invalid: patch: Invalid value: \"{"),
        "{err}"
    );
    assert!(
        err.trim().ends_with("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
        "{err}"
    );

    // A strategic merge patch (kubectl's default, and client-side apply's on an existing
    // object): the unstructured converter's wording, with the patch as Go prints it.
    let err = k.fails(&["apply", "-f", bad]);
    assert!(
        err.contains(r#"is invalid: patch: Invalid value: "map[metadata:map[annotations:map[kubectl.kubernetes.io/last-applied-configuration:"#),
        "{err}"
    );
    assert!(
        err.trim().ends_with("]]\": unrecognized type: int32"),
        "{err}"
    );

    // Server-side apply: structured-merge-diff's error, a 500 without a reason.
    let err = k.fails(&["apply", "--server-side", "-f", bad]);
    assert_eq!(
        err.trim(),
        "Error from server: failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string"
    );
    let d = k.get_json(&["deployment", "web"]);
    assert_eq!(d["spec"]["replicas"], 2, "nothing failed wrote");

    // A Service port as a string; then as a number with an int targetPort it is stored.
    let svc = k.write_manifest("svc.yaml", &service("eighty"));
    let svc = svc.to_str().unwrap();
    let err = k.fails(&["create", "-f", svc]);
    assert!(
        err.trim().ends_with("Service in version \"v1\" cannot be handled as a Service: json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32"),
        "{err}"
    );
    let err = k.fails(&["apply", "--server-side", "-f", svc]);
    assert_eq!(
        err.trim(),
        "Error from server: failed to create typed patch object (default/web; /v1, Kind=Service): .spec.ports[port=\"eighty\",protocol=\"TCP\"].port: expected numeric (int or float), got string"
    );
    let good_svc = k.write_manifest("svc-good.yaml", &service("80"));
    k.ok(&["apply", "-f", good_svc.to_str().unwrap()]);
    let s = k.get_json(&["service", "web"]);
    assert_eq!(s["spec"]["ports"][0]["targetPort"], 8080);

    // A ConfigMap value that is a number.
    let cm = k.write_manifest(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  count: 5\n",
    );
    let cm = cm.to_str().unwrap();
    let err = k.fails(&["create", "-f", cm]);
    assert!(
        err.trim().ends_with("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string"),
        "{err}"
    );
    let err = k.fails(&["apply", "--server-side", "-f", cm]);
    assert_eq!(
        err.trim(),
        "Error from server: failed to create typed patch object (default/c; /v1, Kind=ConfigMap): .data.count: expected string, got &value.valueUnstructured{Value:5}"
    );
}

#[tokio::test]
async fn status_codes_and_reasons_of_type_errors() {
    let srv = server();
    let token = Some(srv.token());
    let send = |method: &'static str, path: &'static str, ct: &'static str, body: &'static str| {
        let srv = &srv;
        async move {
            let r = common::raw_request_with_body(srv, method, path, token, Some((ct, body)))
                .await
                .unwrap();
            (r.status, serde_json::from_str::<Value>(&r.body).unwrap())
        }
    };
    let deploys = "/apis/apps/v1/namespaces/default/deployments";
    let body = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":"three","selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}"#;
    let (code, st) = send("POST", deploys, "application/json", body).await;
    assert_eq!((code, st["reason"].as_str()), (400, Some("BadRequest")));
    assert_eq!(st["message"], REPLICAS_MSG);

    let (code, st) = send(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/d?fieldManager=t",
        "application/apply-patch+yaml",
        body,
    )
    .await;
    assert_eq!(code, 500, "{st}");
    assert!(st.get("reason").is_none(), "{st}");

    let ok = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}"#;
    let (code, _) = send("POST", deploys, "application/json", ok).await;
    assert_eq!(code, 201);
    let (code, st) = send(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/d",
        "application/merge-patch+json",
        r#"{"spec":{"paused":"yes"}}"#,
    )
    .await;
    assert_eq!(
        (code, st["reason"].as_str()),
        (422, Some("Invalid")),
        "{st}"
    );
    let msg = st["message"].as_str().unwrap();
    assert!(msg.starts_with(" \"\" is invalid: patch: Invalid value: \"{\\\"apiVersion\\\":\\\"apps/v1\\\",\\\"kind\\\":\\\"Deployment\\\",\\\"metadata\\\":{"), "{msg}");
    assert!(msg.ends_with("\": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool"), "{msg}");
    assert_eq!(st["details"]["causes"][0]["field"], "patch");
    assert_eq!(st["details"]["causes"][0]["reason"], "FieldValueInvalid");

    let (code, st) = send(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/d",
        "application/strategic-merge-patch+json",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"c","ports":"80"}]}}}}"#,
    )
    .await;
    assert_eq!(code, 422, "{st}");
    assert_eq!(
        st["message"],
        " \"\" is invalid: patch: Invalid value: \"map[spec:map[template:map[spec:map[containers:[map[name:c ports:80]]]]]]\": cannot restore slice from string"
    );
}
