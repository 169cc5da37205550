//! `kubectl create token` through the `serviceaccounts/{name}/token` subresource.

mod common;

use base64::Engine;
use common::{server, Kubectl};
use serde_json::{json, Value};

fn claims(token: &str) -> Value {
    let parts: Vec<&str> = token.trim().split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT: {token}");
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .expect("base64url payload");
    serde_json::from_slice(&payload).expect("JSON claims")
}

#[test]
fn create_token_issues_a_service_account_jwt() {
    let srv = server();
    let k = Kubectl::new(&srv);
    k.ok(&["create", "serviceaccount", "bot"]);
    let uid = k.get_json(&["serviceaccount", "bot"])["metadata"]["uid"].clone();

    let c = claims(&k.ok(&["create", "token", "bot"]));
    assert_eq!(c["sub"], "system:serviceaccount:default:bot");
    assert_eq!(
        c["aud"],
        json!(["https://kubernetes.default.svc.cluster.local", "k3s"])
    );
    assert_eq!(
        c["kubernetes.io"]["serviceaccount"],
        json!({ "name": "bot", "uid": uid })
    );
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        3600
    );

    let c = claims(&k.ok(&[
        "create",
        "token",
        "bot",
        "--duration=2h",
        "--audience=vault",
    ]));
    assert_eq!(c["aud"], json!(["vault"]));
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        7200
    );

    let out: Value =
        serde_json::from_str(&k.ok(&["create", "token", "bot", "-o", "json"])).unwrap();
    assert_eq!(out["kind"], "TokenRequest");
    assert_eq!(out["metadata"]["name"], "bot");
    assert_eq!(out["spec"]["expirationSeconds"], 3600);
    assert!(out["status"]["expirationTimestamp"].is_string(), "{out}");

    // The signature is not one kube-sim checks: the token does not log in.
    let token = k.ok(&["create", "token", "bot"]);
    let err = k.fails(&["get", "pods", "--token", token.trim()]);
    assert!(err.contains("Unauthorized"), "{err}");

    let api: Value = serde_json::from_str(&k.ok(&["get", "--raw", "/api/v1"])).unwrap();
    let sub = api["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "serviceaccounts/token")
        .cloned();
    assert_eq!(
        sub,
        Some(
            json!({ "name": "serviceaccounts/token", "singularName": "", "namespaced": true, "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest", "verbs": ["create"] })
        )
    );
}

#[test]
fn token_requests_are_checked_as_the_registry_checks_them() {
    let srv = server();
    let k = Kubectl::new(&srv);
    k.ok(&["create", "serviceaccount", "bot"]);
    let err = k.fails(&["create", "token", "bot", "--duration=10s"]);
    assert!(
        err.contains("TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes"),
        "{err}"
    );
    let err = k.fails(&["create", "token", "nobody"]);
    assert!(
        err.contains("serviceaccounts \"nobody\" not found"),
        "{err}"
    );
    let err = k.fails(&[
        "create",
        "token",
        "bot",
        "--bound-object-kind=Secret",
        "--bound-object-name=gone",
    ]);
    assert!(err.contains("secrets \"gone\" not found"), "{err}");

    k.ok(&[
        "create",
        "secret",
        "generic",
        "anchor",
        "--from-literal=a=b",
    ]);
    let secret_uid = k.get_json(&["secret", "anchor"])["metadata"]["uid"].clone();
    let c = claims(&k.ok(&[
        "create",
        "token",
        "bot",
        "--bound-object-kind=Secret",
        "--bound-object-name=anchor",
    ]));
    assert_eq!(
        c["kubernetes.io"]["secret"],
        json!({ "name": "anchor", "uid": secret_uid })
    );

    let pod = k.write_manifest(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default}\nspec:\n  serviceAccountName: other\n  containers: [{name: c, image: nginx}]\n",
    );
    k.ok(&["apply", "-f", pod.to_str().unwrap()]);
    let err = k.fails(&[
        "create",
        "token",
        "bot",
        "--bound-object-kind=Pod",
        "--bound-object-name=web",
    ]);
    assert!(
        err.contains("cannot bind token for serviceaccount \"bot\" to pod running with different serviceaccount name."),
        "{err}"
    );
}
