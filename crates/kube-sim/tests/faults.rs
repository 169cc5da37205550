//! Fault injection: unavailable and throttled answers with Retry-After, a failing API group,
//! dropped connections and latency.

mod common;

use std::time::{Duration, Instant};

use kube_sim::FaultConfig;

#[tokio::test]
async fn injected_faults_reach_clients() {
    let srv = common::server();
    let token = Some(srv.token().to_string());
    let get = |path: &'static str| {
        let token = token.clone();
        let srv = &srv;
        async move { common::raw_request(srv, "GET", path, token.as_deref()).await }
    };
    assert_eq!(get("/api/v1/namespaces").await.unwrap().status, 200);

    srv.set_faults(FaultConfig {
        failing_group: Some("apps".into()),
        ..Default::default()
    });
    let resp = get("/apis/apps/v1/deployments").await.unwrap();
    assert_eq!(resp.status, 503);
    assert_eq!(resp.header("retry-after"), Some("1"));
    assert!(
        resp.body.contains("\"reason\":\"ServiceUnavailable\""),
        "{}",
        resp.body
    );
    assert_eq!(get("/api/v1/namespaces").await.unwrap().status, 200);

    srv.set_faults(FaultConfig {
        throttle_rate: 1.0,
        ..Default::default()
    });
    let resp = get("/api/v1/namespaces").await.unwrap();
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("retry-after"), Some("1"));

    srv.set_faults(FaultConfig {
        unavailable_rate: 0.5,
        ..Default::default()
    });
    let mut codes = vec![];
    for _ in 0..20 {
        codes.push(get("/api/v1/namespaces").await.unwrap().status);
    }
    let failed = codes.iter().filter(|c| **c == 503).count();
    assert!((8..=12).contains(&failed), "{codes:?}");

    srv.set_faults(FaultConfig {
        drop_rate: 1.0,
        ..Default::default()
    });
    assert!(get("/api/v1/namespaces").await.is_err());

    srv.set_faults(FaultConfig {
        latency: Duration::from_millis(300),
        ..Default::default()
    });
    let start = Instant::now();
    assert_eq!(get("/version").await.unwrap().status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300));

    srv.set_faults(FaultConfig::default());
    assert_eq!(get("/api/v1/namespaces").await.unwrap().status, 200);
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
