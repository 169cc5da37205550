//! `kubectl auth can-i` through SelfSubjectAccessReview: the sim's credential is a cluster
//! administrator, so every question is answered "yes".

mod common;

use common::{raw_request_with_body, server, Kubectl};

#[test]
fn can_i_answers_yes_for_the_admin() {
    let srv = server();
    let k = Kubectl::new(&srv);
    assert_eq!(
        k.ok(&["auth", "can-i", "create", "deployments"]).trim(),
        "yes"
    );
    assert_eq!(
        k.ok(&["auth", "can-i", "delete", "secrets", "-n", "kube-system"])
            .trim(),
        "yes"
    );
    assert_eq!(k.ok(&["auth", "can-i", "get", "/healthz"]).trim(), "yes");
    let out = k.ok(&[
        "api-resources",
        "--api-group=authorization.k8s.io",
        "-o",
        "wide",
    ]);
    let line = out
        .lines()
        .find(|l| l.starts_with("selfsubjectaccessreviews"))
        .unwrap_or_else(|| panic!("{out}"));
    // The VERBS column: create only.
    assert_eq!(line.split_whitespace().last(), Some("create"), "{line}");
    assert!(!line.contains("get"), "{line}");
}

#[tokio::test]
async fn reviews_are_create_only_and_validated() {
    let srv = server();
    let token = srv.token().to_string();
    let path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    let list = raw_request_with_body(&srv, "GET", path, Some(&token), None)
        .await
        .unwrap();
    assert_eq!(list.status, 405, "{}", list.body);
    assert!(
        list.body.contains("\"reason\":\"MethodNotAllowed\""),
        "{}",
        list.body
    );

    let empty =
        r#"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{}}"#;
    let bad = raw_request_with_body(
        &srv,
        "POST",
        path,
        Some(&token),
        Some(("application/json", empty)),
    )
    .await
    .unwrap();
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("SelfSubjectAccessReview.authorization.k8s.io \\\"\\\" is invalid: spec: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified"),
        "{}",
        bad.body
    );

    let ok = r#"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"list","resource":"pods","namespace":"default"}}}"#;
    let created = raw_request_with_body(
        &srv,
        "POST",
        path,
        Some(&token),
        Some(("application/json", ok)),
    )
    .await
    .unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let v: serde_json::Value = serde_json::from_str(&created.body).unwrap();
    assert_eq!(v["status"]["allowed"], true);
    assert_eq!(v["spec"]["resourceAttributes"]["resource"], "pods");
}
