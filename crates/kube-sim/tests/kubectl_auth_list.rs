//! `kubectl auth can-i --list` through SelfSubjectRulesReview: the rules RBAC gives the
//! cluster administrator, as a real server lists them.

mod common;

use common::{raw_request_with_body, server, Kubectl};
use serde_json::Value;

/// What kubectl prints for a `system:masters` member on a real cluster.
const ADMIN: &str = "\
Resources                                       Non-Resource URLs   Resource Names   Verbs
*.*                                             []                  []               [*]
                                                [*]                 []               [*]
selfsubjectreviews.authentication.k8s.io        []                  []               [create]
selfsubjectaccessreviews.authorization.k8s.io   []                  []               [create]
selfsubjectrulesreviews.authorization.k8s.io    []                  []               [create]
                                                [/api/*]            []               [get]
                                                [/api]              []               [get]
                                                [/apis/*]           []               [get]
                                                [/apis]             []               [get]
                                                [/healthz]          []               [get]
                                                [/healthz]          []               [get]
                                                [/livez]            []               [get]
                                                [/livez]            []               [get]
                                                [/openapi/*]        []               [get]
                                                [/openapi]          []               [get]
                                                [/readyz]           []               [get]
                                                [/readyz]           []               [get]
                                                [/version/]         []               [get]
                                                [/version/]         []               [get]
                                                [/version]          []               [get]
                                                [/version]          []               [get]
";

#[test]
fn can_i_list_prints_the_admin_rules() {
    let srv = server();
    let k = Kubectl::new(&srv);
    assert_eq!(k.ok(&["auth", "can-i", "--list"]), ADMIN);
    assert_eq!(
        k.ok(&["auth", "can-i", "--list", "-n", "kube-system"]),
        ADMIN
    );
    let out = k.ok(&[
        "api-resources",
        "--api-group=authorization.k8s.io",
        "-o",
        "wide",
    ]);
    let line = out
        .lines()
        .find(|l| l.starts_with("selfsubjectrulesreviews"))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(line.split_whitespace().last(), Some("create"), "{line}");
}

#[tokio::test]
async fn a_rules_review_needs_a_namespace_and_echoes_no_spec() {
    let srv = server();
    let token = srv.token().to_string();
    let path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";
    let post = |body: &'static str| {
        let (srv, token) = (&srv, token.clone());
        async move {
            raw_request_with_body(
                srv,
                "POST",
                path,
                Some(&token),
                Some(("application/json", body)),
            )
            .await
            .unwrap()
        }
    };
    let bad = post(
        r#"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{}}"#,
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let status: Value = serde_json::from_str(&bad.body).unwrap();
    assert_eq!(status["reason"], "BadRequest");
    assert_eq!(status["message"], "no namespace on request");

    let ok = post(r#"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"default"}}"#).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let review: Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(review["kind"], "SelfSubjectRulesReview");
    assert_eq!(review["spec"], serde_json::json!({}));
    assert_eq!(review["status"]["incomplete"], false);
    assert_eq!(
        review["status"]["resourceRules"][0],
        serde_json::json!({ "verbs": ["*"], "apiGroups": ["*"], "resources": ["*"] })
    );
    assert_eq!(
        review["status"]["nonResourceRules"][0],
        serde_json::json!({ "verbs": ["*"], "nonResourceURLs": ["*"] })
    );

    let list = raw_request_with_body(&srv, "GET", path, Some(&token), None)
        .await
        .unwrap();
    assert_eq!(list.status, 405, "{}", list.body);
}
