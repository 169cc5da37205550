//! Fault injection: unavailable and throttled answers with Retry-After, a failing API group,
//! dropped connections and latency.

mod common;

use std::time::{Duration, Instant};

use kube_sim::FaultConfig;

async fn raw_get(
    client: &kube::Client,
    path: &str,
) -> Result<http::Response<kube::client::Body>, kube::Error> {
    client
        .send(
            http::Request::get(path)
                .body(kube::client::Body::empty())
                .unwrap(),
        )
        .await
}

#[tokio::test]
async fn injected_faults_reach_clients() {
    let srv = common::server();
    let kubeconfig = kube::config::Kubeconfig::read_from(srv.kubeconfig_path()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    let client = kube::Client::try_from(config).unwrap();
    assert_eq!(
        raw_get(&client, "/api/v1/namespaces")
            .await
            .unwrap()
            .status(),
        200
    );

    srv.set_faults(FaultConfig {
        failing_group: Some("apps".into()),
        ..Default::default()
    });
    let resp = raw_get(&client, "/apis/apps/v1/deployments").await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(
        raw_get(&client, "/api/v1/namespaces")
            .await
            .unwrap()
            .status(),
        200
    );

    srv.set_faults(FaultConfig {
        throttle_rate: 1.0,
        ..Default::default()
    });
    let resp = raw_get(&client, "/api/v1/namespaces").await.unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));

    srv.set_faults(FaultConfig {
        unavailable_rate: 0.5,
        ..Default::default()
    });
    let mut codes = vec![];
    for _ in 0..10 {
        codes.push(
            raw_get(&client, "/api/v1/namespaces")
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(codes.iter().filter(|c| **c == 503).count(), 5, "{codes:?}");

    srv.set_faults(FaultConfig {
        drop_rate: 1.0,
        ..Default::default()
    });
    assert!(raw_get(&client, "/api/v1/namespaces").await.is_err());

    srv.set_faults(FaultConfig {
        latency: Duration::from_millis(300),
        ..Default::default()
    });
    let start = Instant::now();
    assert_eq!(raw_get(&client, "/version").await.unwrap().status(), 200);
    assert!(start.elapsed() >= Duration::from_millis(300));

    srv.set_faults(FaultConfig::default());
    assert_eq!(
        raw_get(&client, "/api/v1/namespaces")
            .await
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn failing_group_is_reported_by_kubectl() {
    let srv = common::server_with(|c| c.faults.failing_group = Some("apps".into()));
    let k = common::Kubectl::new(&srv);
    k.ok(&["get", "--raw", "/api/v1/namespaces"]);
    let err = k.fails(&[
        "get",
        "--raw",
        "/apis/apps/v1/namespaces/default/deployments",
        "--request-timeout=2s",
    ]);
    assert!(!err.is_empty());
}

#[test]
fn state_file_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let manifest = dir.path().join("cm.yaml");
    std::fs::write(&manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  namespace: default\ndata:\n  a: b\n").unwrap();
    let uid = {
        let srv = common::server_with(|c| c.state = Some(state.clone()));
        let k = common::Kubectl::new(&srv);
        k.ok(&["apply", "--server-side", "-f", manifest.to_str().unwrap()]);
        k.get_json(&["cm", "kept", "-n", "default"])["metadata"]["uid"].clone()
    };
    let srv = common::server_with(|c| c.state = Some(state.clone()));
    let k = common::Kubectl::new(&srv);
    let live = k.get_json(&["cm", "kept", "-n", "default"]);
    assert_eq!(live["metadata"]["uid"], uid);
    assert_eq!(live["data"]["a"], "b");
}
