//! Requests without a token, or with a wrong one, get a 401 Status.

mod common;

use common::{server, Kubectl};

fn kubeconfig_with(
    srv: &kube_sim::SimServer,
    dir: &std::path::Path,
    token: Option<&str>,
) -> std::path::PathBuf {
    let text = std::fs::read_to_string(srv.kubeconfig_path()).unwrap();
    let replaced = match token {
        Some(t) => text.replace(srv.token(), t),
        None => text.replace(&format!("token: {}", srv.token()), "username: nobody"),
    };
    assert_ne!(replaced, text, "kubeconfig must carry the token");
    let p = dir.join(format!("kc-{}", token.unwrap_or("none")));
    std::fs::write(&p, replaced).unwrap();
    p
}

#[test]
fn wrong_or_missing_token_is_unauthorized() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let good = Kubectl::new(&srv);
    good.ok(&["get", "namespaces"]);
    for token in [Some("wrong-token"), None] {
        let kc = kubeconfig_with(&srv, dir.path(), token);
        let k = Kubectl::with_kubeconfig(&kc);
        let err = k.fails(&["get", "--raw", "/api/v1/namespaces"]);
        assert!(err.contains("Unauthorized"), "{token:?}: {err}");
    }
}

#[tokio::test]
async fn unauthorized_status_body() {
    let srv = server();
    let mut config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::read_from(srv.kubeconfig_path()).unwrap(),
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .unwrap();
    config.auth_info.token = Some("not-the-token".to_string().into());
    let client = kube::Client::try_from(config).unwrap();
    let req = http::Request::get("/api/v1/namespaces")
        .body(Vec::new())
        .unwrap();
    let err = client.request::<serde_json::Value>(req).await.unwrap_err();
    match err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 401);
            assert_eq!(status.reason, "Unauthorized");
        }
        other => panic!("expected a 401 Status, got {other:?}"),
    }
}

#[tokio::test]
async fn raw_requests_without_or_with_wrong_token_get_401() {
    let srv = server();
    for token in [None, Some("wrong"), Some("")] {
        let resp = common::raw_request(&srv, "GET", "/api/v1/namespaces", token)
            .await
            .unwrap();
        assert_eq!(resp.status, 401, "{token:?}");
        let status: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
        assert_eq!(status["kind"], "Status");
        assert_eq!(status["reason"], "Unauthorized");
        assert_eq!(status["code"], 401);
    }
    let ok = common::raw_request(&srv, "GET", "/api/v1/namespaces", Some(srv.token()))
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
}
