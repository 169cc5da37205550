//! Small answers every real API server gives: health endpoints in plain text, DELETE answered
//! with a `Status` of Success, and delete preconditions that refuse a stale uid.

mod common;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn health_endpoints_delete_status_and_preconditions() {
    let srv = server();
    let token = Some(srv.token());
    for path in ["/readyz", "/livez", "/healthz"] {
        let r = common::raw_request(&srv, "GET", path, token).await.unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "ok"), "{path}");
        assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    }

    let k = Kubectl::new(&srv);
    k.ok(&["create", "configmap", "settings", "--from-literal=a=1"]);
    let uid = k.get_json(&["configmap", "settings"])["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let path = "/api/v1/namespaces/default/configmaps/settings";
    let stale = r#"{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"00000000-0000-0000-0000-000000000000"}}"#;
    let r = common::raw_request_with_body(
        &srv,
        "DELETE",
        path,
        token,
        Some(("application/json", stale)),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 409, "{}", r.body);
    let status: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(status["reason"], "Conflict");
    assert_eq!(
        status["message"],
        format!("Operation cannot be fulfilled on configmaps \"settings\": Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: {uid}")
    );

    let fresh = format!(
        r#"{{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{{"uid":"{uid}"}}}}"#
    );
    let r = common::raw_request_with_body(
        &srv,
        "DELETE",
        path,
        token,
        Some(("application/json", &fresh)),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let status: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["status"], "Success");
    assert_eq!(status["details"]["name"], "settings");
    assert_eq!(status["details"]["kind"], "configmaps");
    assert_eq!(status["details"]["uid"], uid);
    assert_ne!(
        k.run(&["get", "configmap", "settings"]).status.code(),
        Some(0)
    );

    // A namespace is not gone at once: its DELETE answers with the Terminating object.
    k.ok(&["create", "namespace", "doomed"]);
    let r = common::raw_request(&srv, "DELETE", "/api/v1/namespaces/doomed", token)
        .await
        .unwrap();
    let ns: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(ns["kind"], "Namespace", "{}", r.body);
    assert_eq!(ns["status"]["phase"], "Terminating");
}

#[test]
fn every_namespace_gets_a_default_service_account_and_the_root_ca() {
    let srv = server();
    let k = Kubectl::new(&srv);
    k.ok(&["create", "namespace", "team"]);
    let ready = eventually(std::time::Duration::from_secs(5), || {
        k.run(&["get", "serviceaccount", "default", "-n", "team"])
            .status
            .success()
            && k.run(&["get", "configmap", "kube-root-ca.crt", "-n", "team"])
                .status
                .success()
    });
    assert!(ready, "default ServiceAccount and kube-root-ca.crt appear");
    let ca = k.get_json(&["configmap", "kube-root-ca.crt", "-n", "team"]);
    assert_eq!(
        ca["data"]["ca.crt"].as_str().unwrap(),
        srv.ca_pem().unwrap(),
        "the CA clients trust"
    );
    let svc = k.get_json(&["service", "kubernetes", "-n", "default"]);
    assert_eq!(svc["spec"]["clusterIP"], "10.43.0.1");
    assert_eq!(svc["spec"]["ports"][0]["port"], 443);
    // A namespace being deleted does not get them back.
    k.ok(&["delete", "namespace", "team"]);
    assert!(eventually(std::time::Duration::from_secs(5), || {
        !k.run(&["get", "namespace", "team"]).status.success()
    }));
}

#[test]
fn unsupported_field_selectors_are_refused() {
    let srv = server();
    let k = Kubectl::new(&srv);
    let err = k.fails(&["get", "configmaps", "--field-selector", "data.a=1"]);
    assert!(err.contains("field label not supported: data.a"), "{err}");
    let err = k.fails(&[
        "get",
        "helmcharts",
        "-A",
        "--field-selector",
        "spec.chart=x",
    ]);
    assert!(
        err.contains("\"spec.chart\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""),
        "{err}"
    );
    k.ok(&["get", "secrets", "--field-selector", "type=Opaque"]);
    k.ok(&[
        "get",
        "configmaps",
        "--field-selector",
        "metadata.name=kube-root-ca.crt",
    ]);
}
